"""Paper metadata from the arXiv API, politely.

The `arxiv` package is blocking (requests + time.sleep) and sets no HTTP timeout, so:
- every request runs on one dedicated worker thread (one request in flight, process-wide) with a
  requests-level timeout, and the event loop only awaits it;
- `ArxivThrottle` keeps `ARXIV_REQUEST_INTERVAL` seconds between the end of one arXiv request
  and the start of the next (API and RSS share it);
- the package's own retries and delay are off: we retry here, with backoff, on 5xx, 429,
  transport errors and an empty answer (arXiv occasionally returns an empty page for ids it
  knows), at most `MAX_ATTEMPTS` requests per batch.

All ids of one call go into one batched `id_list` request. An id arXiv does not know is simply
absent from the answer; the caller reports it as not found.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import arxiv
import requests

from bot.errors import ArxivUnavailable
from bot.models import Paper
from bot.render import clean_abstract, clean_title

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
_VERSIONED = re.compile(r"^(?P<id>.+?)v(?P<version>\d+)$")


class ArxivThrottle:
    """One arXiv request at a time, at least `interval` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = asyncio.Lock()
        self._last_end = -float("inf")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._lock:
            wait = self._last_end + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_end = time.monotonic()


class _TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout (the arxiv package sets none)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        return super().request(*args, **kwargs)


class ArxivSource:
    """Fetches papers by id from `api_url` through the `arxiv` package."""

    def __init__(self, api_url: str, throttle: ArxivThrottle) -> None:
        self.throttle = throttle
        self._client = arxiv.Client(page_size=100, delay_seconds=0, num_retries=0)
        self._client.query_url_format = api_url + "?{}"
        self._client._session = _TimeoutSession()  # the only way to give it a timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arxiv")

    async def fetch(self, ids: Sequence[str]) -> dict[str, Paper]:
        """The papers arXiv knows among `ids` (versionless), keyed by id; one batched request."""
        if not ids:
            return {}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                papers = await self._request(list(ids))
            except ArxivUnavailable as exc:
                if attempt == MAX_ATTEMPTS:
                    raise
                log.warning("arXiv attempt %d failed: %s", attempt, exc)
            else:
                if papers or attempt >= 2:  # one retry for an empty answer, then trust it
                    return papers
                log.info("arXiv returned no entry for %s; retrying once", ids)
            await asyncio.sleep(self.throttle.interval * 2 ** (attempt - 1))
        return {}

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._client._session.close()

    async def _request(self, ids: list[str]) -> dict[str, Paper]:
        loop = asyncio.get_running_loop()
        async with self.throttle.slot():
            return await loop.run_in_executor(self._executor, self._query, ids)

    def _query(self, ids: list[str]) -> dict[str, Paper]:
        search = arxiv.Search(id_list=ids, max_results=len(ids))
        try:
            results = list(self._client.results(search))
        except arxiv.HTTPError as exc:
            raise ArxivUnavailable(f"arXiv answered HTTP {exc.status}") from exc
        except arxiv.ArxivError as exc:
            raise ArxivUnavailable(f"arXiv gave an unusable answer: {exc.message}") from exc
        except requests.RequestException as exc:
            raise ArxivUnavailable(f"arXiv unreachable: {type(exc).__name__}") from exc
        wanted = set(ids)
        papers = (to_paper(r) for r in results)
        return {p.arxiv_id: p for p in papers if p.arxiv_id in wanted}


def to_paper(result: arxiv.Result) -> Paper:
    """Convert an API result into our clean `Paper`."""
    match = _VERSIONED.match(result.get_short_id())
    arxiv_id, version = (
        (match["id"], int(match["version"])) if match else (result.get_short_id(), 1)
    )
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=clean_title(result.title),
        abstract=clean_abstract(result.summary),
        authors=tuple(a.name for a in result.authors),
        categories=tuple(result.categories),
    )
