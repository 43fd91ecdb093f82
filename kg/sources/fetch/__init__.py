"""`kg fetch`: studies straight from the registry's API v2, politely and resumably.

Searches call `GET {base}/studies` with `query.*` / `filter.*` parameters and follow `nextPageToken` to
the end; single studies call `GET {base}/studies/{nctId}`. Each study is written as `NCT….json` (the
form `kg build` reads), atomically. Progress (the next page token and counts) is saved in the output
folder after every page, so an interrupted fetch resumes where it stopped without duplicates. Requests
are rate-limited; 429, 5xx, dropped connections, truncated bodies and requests over their deadline are
retried with exponential backoff and jitter, honouring `Retry-After` (up to the longest backoff).

No reply can lead the fetch astray. Only the base URL's host and port are ever contacted: kg speaks HTTP
itself (`http.client`, no proxy, no redirect handling), and a redirect is an error naming its target. Each
request has an overall deadline (`timeout`, for connecting, headers and body together: a watchdog cuts
the connection, so a server that drips a byte a second cannot stall it) and a body cap (`max_bytes`: an
endless body is cut there). Replies are shape-checked: a page that is not a JSON object, `studies` that
is not a list or a `nextPageToken` that is not a string is an error; a repeated page token, or a page
that brings no new study yet names a next one, stops the fetch (its pages loop); a study that is not an
object or whose NCT id is not `NCT` and 8 ASCII digits is reported (page and position) and skipped, and
the rest of the page is written.

One module per concern: `config` (the settings and their checks), `client` (HTTP, limits, retries),
`deadline` (the watchdog), `paging` (searches and their saved state), `studies` (checking and writing
one study; studies by NCT id), `shown` (reply values in messages), `run` (`fetch` itself). This package
only re-exports what the rest of kg uses.
"""

from __future__ import annotations

from kg.sources.fetch.config import FetchConfig
from kg.sources.fetch.run import fetch

__all__ = ["FetchConfig", "fetch"]
