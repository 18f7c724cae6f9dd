"""One category's daily announcement from the arXiv RSS feed (`rss.arxiv.org/rss/cs.LG`).

Decisions
---------
* XML, not HTML: the feed is parsed with lxml (`resolve_entities=False`, `no_network=True`,
  `recover=False`), never with feedparser, which treats the description as HTML and turns
  `$a&lt;b$ and $c&gt;d$` into `$a<b>d$`. The XML parser decodes `&lt;` once, which is exactly
  what the abstract needs. Malformed XML or a document that is not RSS 2.0 with a `<channel>`
  is `ArxivUnavailable`.
* Items: only announce types `new` and `cross` are kept (a replacement is not a new paper), in
  feed order. The type comes from `arxiv:announce_type`, else from the description's lead-in.
  The id and version come from the `guid` (`oai:arXiv.org:2403.15176v1`), else the lead-in
  (`arXiv:2403.15176v1 Announce Type: ...`), else the `link` with version 1; an item without
  any id is skipped with a warning rather than failing the whole day.
* Text: `clean_title` and `clean_abstract` from `bot.render`; authors are the `dc:creator`
  text split on commas and " and "; categories are the `category` elements, deduplicated.
* Date: the channel's `pubDate` (else `lastBuildDate`), RFC 822, taken as a date in the feed's
  own offset (arXiv stamps US Eastern midnight). None when absent or unreadable. A day without
  announcements (weekend, holiday) is an empty channel: `items=()`.
* Fetching: one GET of `rss_root + category` per attempt inside `ArxivThrottle.slot()` (shared
  with the API: one request at a time, `interval` apart). `timeout` bounds each attempt inside
  the slot, not the wait for the slot, so many categories queued behind each other do not time
  out. Up to `MAX_ATTEMPTS` attempts on 5xx, 429, transport errors and timeouts, sleeping
  `interval * 2**(attempt-1)` between them, or longer when `Retry-After` asks for it; a
  `Retry-After` beyond `MAX_RETRY_AFTER` gives up at once instead of hammering. Any other
  status (404 for an unknown feed) or a body that is not RSS fails at once: the category was
  validated against `bot.taxonomy`, so retrying would not help.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints

from bot.arxiv_source import ArxivThrottle
from bot.errors import ArxivUnavailable
from bot.models import Announcement, FeedItem, Paper
from bot.render import clean_abstract, clean_title, normalize_space

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
"""Seconds: a server asking us to wait longer than this gets no further attempt."""
KEPT_ANNOUNCE_TYPES = frozenset({"new", "cross"})

ARXIV_NS = "http://arxiv.org/schemas/atom"
DC_NS = "http://purl.org/dc/elements/1.1/"

_LEAD_IN = re.compile(
    r"^arXiv:\s*(?P<id>\S+?)(?:\s*v(?P<version>\d+))?\s+Announce Type:\s*(?P<type>[\w-]+)"
    r"(?:\s+Abstract:)?\s*",
    re.IGNORECASE,
)
_GUID = re.compile(r"^oai:arXiv\.org:(?P<id>\S+?)(?:v(?P<version>\d+))?$", re.IGNORECASE)
_LINK = re.compile(r"arxiv\.org/abs/(?P<id>\S+?)(?:v(?P<version>\d+))?/?$", re.IGNORECASE)
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


# --- parsing ----------------------------------------------------------------------------------


def parse_feed(xml: bytes, category: str) -> Announcement:
    """The announcement in an RSS document; `ArxivUnavailable` if it is not RSS."""
    channel = _channel(xml)
    items = (_feed_item(element) for element in channel.iterfind("item"))
    return Announcement(
        category=category,
        date=_channel_date(channel),
        items=tuple(item for item in items if item is not None),
    )


def _channel(xml: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ArxivUnavailable(f"arXiv RSS: malformed XML ({exc})") from exc
    channel = root.find("channel") if root is not None and root.tag == "rss" else None
    if channel is None:
        raise ArxivUnavailable("arXiv RSS: the answer is not an RSS feed")
    return channel


def _text(element: Any, path: str) -> str:
    """The white-space-normalised text of the first `path` child ("" if there is none)."""
    return normalize_space(element.findtext(path) or "")


def _channel_date(channel: Any) -> datetime.date | None:
    for path in ("pubDate", "lastBuildDate"):
        text = _text(channel, path)
        if not text:
            continue
        try:
            return parsedate_to_datetime(text).date()
        except (TypeError, ValueError):
            log.warning("arXiv RSS: unreadable %s %r", path, text)
    return None


def _feed_item(item: Any) -> FeedItem | None:
    """The item as a `FeedItem`; None if its type is not kept or it carries no id."""
    description = _text(item, "description")
    lead_in = _LEAD_IN.match(description)
    announce_type = _text(item, f"{{{ARXIV_NS}}}announce_type") or (
        lead_in["type"] if lead_in else ""
    )
    if announce_type.lower() not in KEPT_ANNOUNCE_TYPES:
        return None
    versioned = _versioned_id(item, lead_in)
    if versioned is None:
        log.warning("arXiv RSS: item without an id skipped: %r", _text(item, "title"))
        return None
    paper = Paper(
        arxiv_id=versioned[0],
        version=versioned[1],
        title=clean_title(_text(item, "title")),
        abstract=clean_abstract(description[lead_in.end() :] if lead_in else description),
        authors=tuple(_authors(item)),
        categories=tuple(dict.fromkeys(_all_texts(item, "category"))),
    )
    return FeedItem(paper=paper, announce_type=announce_type.lower())


def _versioned_id(item: Any, lead_in: re.Match[str] | None) -> tuple[str, int] | None:
    """(id, version) from the guid, else the description's lead-in, else the link (v1)."""
    candidates = (
        _GUID.match(_text(item, "guid")),
        lead_in,
        _LINK.search(_text(item, "link")),
    )
    for match in candidates:
        if match is not None:
            return match["id"], int(match["version"] or 1)
    return None


def _all_texts(item: Any, path: str) -> Iterator[str]:
    for element in item.iterfind(path):
        text = normalize_space(element.text or "")
        if text:
            yield text


def _authors(item: Any) -> Iterator[str]:
    for creators in _all_texts(item, f"{{{DC_NS}}}creator"):
        yield from (name for name in _AUTHOR_SEPARATOR.split(creators) if name)


# --- fetching ---------------------------------------------------------------------------------


class _TransientFailure(ArxivUnavailable):
    """An attempt failed in a way another attempt may fix; `delay` is the server's wish."""

    def __init__(self, message: str, delay: float = 0.0) -> None:
        super().__init__(message)
        self.delay = delay


async def fetch_announcement(
    client: httpx.AsyncClient,
    throttle: ArxivThrottle,
    rss_root: str,
    category: str,
    timeout: float = 30.0,  # noqa: ASYNC109  # bounds each attempt inside the throttle slot
) -> Announcement:
    """Today's announcement of `category`, politely and with retries (module docstring)."""
    url = rss_root.rstrip("/") + "/" + category
    for attempt in range(1, MAX_ATTEMPTS):
        try:
            return parse_feed(await _attempt(client, throttle, url, timeout), category)
        except _TransientFailure as exc:
            delay = max(throttle.interval * 2 ** (attempt - 1), exc.delay)
            if delay > MAX_RETRY_AFTER:
                raise
            log.warning("arXiv RSS attempt %d failed, retrying in %.1f s: %s", attempt, delay, exc)
            await asyncio.sleep(delay)
    return parse_feed(await _attempt(client, throttle, url, timeout), category)


async def _attempt(
    client: httpx.AsyncClient,
    throttle: ArxivThrottle,
    url: str,
    timeout: float,  # noqa: ASYNC109  # see fetch_announcement
) -> bytes:
    """One GET inside the throttle slot: a 200 body; `_TransientFailure` when worth retrying."""
    async with throttle.slot():
        try:
            async with asyncio.timeout(timeout):
                response = await client.get(url, timeout=timeout, follow_redirects=True)
        except TimeoutError as exc:
            raise _TransientFailure(f"{url}: no answer within {timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise _TransientFailure(f"{url}: unreachable ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:  # too many redirects, undecodable body: not transient
            raise ArxivUnavailable(f"{url}: {type(exc).__name__}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise _TransientFailure(f"{url}: HTTP {status}", _retry_after(response))
    if status != 200:
        raise ArxivUnavailable(f"{url}: HTTP {status}")
    return response.content


def _retry_after(response: httpx.Response) -> float:
    """The `Retry-After` header in seconds (0 when absent or given as a date)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0
