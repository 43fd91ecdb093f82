"""The entry point of `kg fetch`: one client for the whole fetch, then studies by NCT id or a search.

Separate so that neither way of fetching depends on the other; both share the client and its counts.
"""

from __future__ import annotations

from collections.abc import Callable

from kg.sources.fetch.client import Client
from kg.sources.fetch.config import FetchConfig
from kg.sources.fetch.paging import fetch_search
from kg.sources.fetch.studies import FetchResult, fetch_listed


def fetch(
    config: FetchConfig,
    progress: Callable[[int, int | None], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> FetchResult:
    """Fetch the studies `config` asks for into `config.out_dir`. `progress(fetched, total)` is called after
    each page or study; `notify(message)` with each retry (its reason and wait) and each study skipped."""
    say = notify or (lambda message: None)
    client = Client(config, notify=say)  # refuses a base URL that is not http(s)://host[:port][/path]
    if config.nct_ids:
        return fetch_listed(config, client, progress, say)
    return fetch_search(config, client, progress, say)
