"""A search, page by page: follow `nextPageToken` to the end, save progress after every page, resume.

Progress (the next page token and counts) is saved in the output folder after every page, so an
interrupted fetch resumes where it stopped without duplicates. Replies are shape-checked: a page that
is not a JSON object, `studies` that is not a list or a `nextPageToken` that is not a string is an
error; a repeated page token, or a page that brings no new study yet names a next one, stops the fetch
(its pages loop); a study that is not an object or has no valid NCT id is reported (page and position)
and skipped, and the rest of the page is written. Separate because the saved state and the loop
checks concern searches only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import FetchError
from kg.rdf.sinks import write_atomically
from kg.sources.fetch.client import Client
from kg.sources.fetch.config import FetchConfig, search_parameters
from kg.sources.fetch.shown import kind, shown
from kg.sources.fetch.studies import FetchResult, study_id, write_study
from kg.sources.values import is_nct_id

STATE_FILE = ".kg-fetch-state.json"


@dataclass
class FetchState:
    """What is saved between runs: enough to resume a search where it stopped."""

    search: str
    next_page_token: str | None = None
    fetched: int = 0
    total: int | None = None
    done: bool = False
    nct_ids: list[str] = field(default_factory=list)
    pages: int = 0


def fetch_search(
    config: FetchConfig,
    client: Client,
    progress: Callable[[int, int | None], None] | None,
    say: Callable[[str], None],
) -> FetchResult:
    """The studies of the search `config` asks for, resuming a search of the same parameters that stopped."""
    params = search_parameters(config)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    search = hashlib.sha256(json.dumps([config.base_url, params], sort_keys=True).encode()).hexdigest()
    state_path = config.out_dir / STATE_FILE
    state = _load_state(state_path, search)
    resumed = state is not None and not state.done
    if state is None or state.done:
        state = FetchState(search)
    seen = set(state.nct_ids)
    token_pages: dict[str, int] = {state.next_page_token: state.pages} if state.next_page_token else {}
    skipped = 0
    while not state.done:
        number = state.pages + 1
        page = client.get_json("/studies", _page_params(params, state.next_page_token), what=f"page {number}")
        studies, token = _page_parts(page, number)
        if isinstance(page.get("totalCount"), int) and not isinstance(page["totalCount"], bool):
            state.total = page["totalCount"]
        new, left_out = _write_page(config, studies, number, seen, state, say)
        skipped += left_out
        state.pages, state.fetched, state.next_page_token = number, len(seen), token
        state.done = not token or (config.max_studies is not None and len(seen) >= config.max_studies)
        write_atomically(state_path, json.dumps(asdict(state)))
        if progress:
            progress(state.fetched, state.total)
        if state.done or token is None:
            break
        _refuse_a_loop(token, token_pages, number, new, state.fetched)
        token_pages[token] = number
    return FetchResult(state.fetched, state.total, resumed, client.requests, client.retries, skipped)


def _load_state(path: Path, search: str) -> FetchState | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(saved, dict) or saved.get("search") != search:
        return None
    try:
        state = FetchState(**saved)
    except TypeError:  # written by another version of kg, or damaged: start afresh
        return None
    ids_ok = isinstance(state.nct_ids, list) and all(is_nct_id(nct_id) for nct_id in state.nct_ids)
    token_ok = state.next_page_token is None or isinstance(state.next_page_token, str)
    return state if ids_ok and token_ok and isinstance(state.pages, int) else None


def _page_params(params: dict[str, str], token: str | None) -> dict[str, str]:
    """The next page's parameters: its token, or (for the first page) a request for the total count."""
    page_params = dict(params)
    if token:
        page_params["pageToken"] = token
    else:
        page_params["countTotal"] = "true"
    return page_params


def _page_parts(page: object, number: int) -> tuple[list[Any], str | None]:
    """A page's studies and next page token, or a FetchError saying why the reply is not a page."""
    if not isinstance(page, dict):
        raise FetchError(
            f"page {number}: the registry's reply is {kind(page)}, not a JSON object ({shown(page)}): "
            "is --base-url the registry's API v2?"
        )
    studies = page.get("studies")
    if studies is None:
        studies = []
    if not isinstance(studies, list):
        raise FetchError(f"page {number}: 'studies' is {kind(studies)}, not a list: {shown(studies)}")
    token = page.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise FetchError(f"page {number}: 'nextPageToken' is {kind(token)}, not a string: {shown(token)}")
    return studies, token or None


def _write_page(
    config: FetchConfig,
    studies: list[Any],
    number: int,
    seen: set[str],
    state: FetchState,
    say: Callable[[str], None],
) -> tuple[int, int]:
    """Write a page's studies (up to --max-studies), recording the new ones in `seen` and `state`.
    Returns how many were new and how many were reported and skipped."""
    new = skipped = 0
    for position, study in enumerate(studies, 1):
        if config.max_studies is not None and len(seen) >= config.max_studies:
            break
        found, problem = study_id(study)
        if found is None:
            say(f"skipped page {number} study {position}: {problem}")
            skipped += 1
            continue
        write_study(config.out_dir, found, study)
        if found not in seen:
            seen.add(found)
            state.nct_ids.append(found)
            new += 1
    return new, skipped


def _refuse_a_loop(token: str, token_pages: dict[str, int], number: int, new: int, fetched: int) -> None:
    """Stop a search whose pages loop: a token sent again, or a page with nothing new naming a next one."""
    if token in token_pages:
        raise FetchError(
            f"page {number}: the registry sent the page token {shown(token)} again (it came with page "
            f"{token_pages[token]}): its pages loop; stopped with {fetched} studies fetched"
        )
    if not new:
        raise FetchError(
            f"page {number} brought no study not already fetched, yet names a next page: stopped rather "
            f"than loop, with {fetched} studies fetched"
        )
