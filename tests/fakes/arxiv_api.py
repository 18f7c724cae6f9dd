"""Fake arXiv endpoints: the export API (Atom) and the announcement RSS feeds.

`FakeArxivApi` emulates `https://export.arxiv.org/api/query`: `id_list=` look-ups answered with
an Atom 1.0 feed (namespaces Atom, `http://arxiv.org/schemas/atom`,
`http://a9.com/-/spec/opensearch/1.1/`), entries in an order different from the request
(reversed), abstracts with the real API's hard line breaks and indentation, unknown well-formed
ids simply absent, and a malformed id answered with HTTP 400 and a single "Error" entry.

`FakeArxivRss` emulates `https://rss.arxiv.org/rss/cs.LG+cs.CL`: RSS 2.0 with `arxiv:` and `dc:`
extensions, one `<item>` per announced paper, an empty channel (with `<skipDays>`) on days without
announcements.

Both record every request with its start/end time (`time.monotonic()`) so tests can check the
client's politeness: `min_gap()` (between consecutive request *starts*), `min_idle_gap()` (end of
one request to start of the next), `max_in_flight`.  Faults: `fail_next`, `hang_next`,
`set_latency` (and `empty_next` for the API).
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode
from xml.sax.saxutils import escape, quoteattr

from tests.fakes._server import (
    FakeHTTPServer,
    FaultQueue,
    Request,
    Response,
    max_overlap,
    min_idle_gap,
    min_start_gap,
)

__all__ = [
    "ArxivRequest",
    "FakeArxivApi",
    "FakeArxivRss",
    "Paper",
    "RssItem",
    "RssRequest",
    "is_valid_arxiv_id",
    "max_overlap",
    "min_idle_gap",
    "min_start_gap",
    "split_version",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
DC_NS = "http://purl.org/dc/elements/1.1/"

_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")
_OLD_ID = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}")
_VERSION = re.compile(r"(.+?)v(\d+)")

_LOREM = (
    "We study a problem of considerable interest and propose a method that improves on prior "
    "work. Experiments on standard benchmarks show consistent gains, and an analysis explains "
    "when and why the approach helps."
)


def split_version(arxiv_id: str) -> tuple[str, int | None]:
    """ "2403.15176v2" -> ("2403.15176", 2); "hep-th/9901001" -> ("hep-th/9901001", None)."""
    m = _VERSION.fullmatch(arxiv_id)
    if m and (_NEW_ID.fullmatch(m.group(1)) or _OLD_ID.fullmatch(m.group(1))):
        return m.group(1), int(m.group(2))
    return arxiv_id, None


def is_valid_arxiv_id(arxiv_id: str) -> bool:
    """New-style (YYMM.NNNNN) or old-style (archive/YYMMNNN) id, with or without version."""
    base, _ = split_version(arxiv_id)
    return bool(_NEW_ID.fullmatch(base) or _OLD_ID.fullmatch(base))


def _default_published(base_id: str) -> datetime:
    digits = base_id.split("/")[-1]
    try:
        yy, mm = int(digits[0:2]), int(digits[2:4])
        year = 2000 + yy if yy < 90 else 1900 + yy
        return datetime(year, max(1, min(mm, 12)), 15, 17, 59, 59, tzinfo=UTC)
    except ValueError:
        return datetime(2024, 1, 15, 17, 59, 59, tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Paper:
    """A paper the fakes know.  `arxiv_id` has no version; `version` is the latest one."""

    arxiv_id: str
    version: int = 1
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


@dataclass
class ArxivRequest:
    """One API request: `ids` as requested (maybe with versions), `start`/`end` monotonic times
    (`end` None while in flight), the HTTP `status` answered, all query `params`."""

    ids: list[str]
    start: float
    end: float | None = None
    status: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass
class RssRequest:
    """One RSS request: the `categories` of the path, times and status like `ArxivRequest`."""

    categories: list[str]
    start: float
    end: float | None = None
    status: int | None = None
    path: str = ""

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass
class _Failure:
    status: int
    retry_after: float | None


class _ArxivServer(FakeHTTPServer):
    """Common request recording and fault injection of the two arXiv fakes."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Any] = []
        self._fails = FaultQueue()
        self._hangs = FaultQueue()
        self._latency = 0.0

    def _records(self) -> Sequence[Any]:
        return self.requests

    # ------------------------------------------------------------------ faults
    def fail_next(
        self, status: int = 503, count: int | None = 1, retry_after: float | None = None
    ) -> None:
        """Answer the next `count` requests with HTTP `status` (plain-text body, like arXiv's
        "Rate exceeded."), with a `Retry-After` header if given.  count=None: until cleared."""
        with self._cond:
            self._fails.add(_Failure(status, retry_after), count)

    def hang_next(self, seconds: float, count: int | None = 1) -> None:
        """Hold the next `count` responses for `seconds` (released at once by `close()`)."""
        with self._cond:
            self._hangs.add(seconds, count)

    def set_latency(self, seconds: float) -> None:
        """Delay every response by `seconds`."""
        with self._cond:
            self._latency = seconds

    def clear_faults(self) -> None:
        with self._cond:
            self._fails.clear()
            self._hangs.clear()
            self._latency = 0.0

    # ------------------------------------------------------------------ timing
    def min_gap(self) -> float:
        """Smallest time between the STARTS of two consecutive requests (inf if < 2)."""
        with self._cond:
            return min_start_gap(self.requests)

    def min_idle_gap(self) -> float:
        """Smallest time from the END of one request to the START of the next (inf if < 2)."""
        with self._cond:
            return min_idle_gap(self.requests)

    # ------------------------------------------------------------------ plumbing
    def _serve(self, record: Any, answer: Any) -> Response:
        with self._cond:
            self.requests.append(record)
            hang = self._hangs.take() or 0.0
            failure = self._fails.take()
            latency = self._latency
            self._cond.notify_all()
        self._sleep(latency + hang)
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(int(failure.retry_after))
            body = b"Rate exceeded." if failure.status in (429, 503) else b"Error."
            response = Response(failure.status, body, "text/plain; charset=utf-8", headers)
        else:
            response = answer()
        with self._cond:
            record.status = response.status
            record.end = time.monotonic()
            self._cond.notify_all()
        return response


class FakeArxivApi(_ArxivServer):
    """Fake arXiv export API (`{url}/api/query`).  See the module docstring.

    `wait_for` predicates receive the list of `ArxivRequest`s.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[ArxivRequest] = []
        self.papers: dict[str, Paper] = {}
        self._empties = FaultQueue()

    @property
    def query_url(self) -> str:
        """`{url}/api/query`: the value for ARXIV_API_URL."""
        return self.url + "/api/query"

    def add_paper(
        self,
        arxiv_id: str,
        version: int = 1,
        title: str | None = None,
        abstract: str | None = None,
        authors: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        primary_category: str | None = None,
        published: datetime | None = None,
        updated: datetime | None = None,
        comment: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
    ) -> Paper:
        """Make a paper known (id without version; a versioned id sets `version`)."""
        base, v = split_version(arxiv_id)
        if not is_valid_arxiv_id(base):
            raise ValueError(f"not an arXiv id: {arxiv_id!r}")
        version = v or version
        cats = list(categories or ([primary_category] if primary_category else ["cs.CL"]))
        primary = primary_category or cats[0]
        if primary not in cats:
            cats.insert(0, primary)
        pub = published or _default_published(base)
        paper = Paper(
            arxiv_id=base,
            version=version,
            title=title if title is not None else f"A Study of Topic {base}",
            abstract=abstract if abstract is not None else _LOREM,
            authors=list(authors) if authors is not None else ["Alice Author", "Bob Builder"],
            categories=cats,
            primary_category=primary,
            published=pub,
            updated=updated or pub + timedelta(days=version - 1),
            comment=comment,
            journal_ref=journal_ref,
            doi=doi,
        )
        with self._cond:
            self.papers[base] = paper
        return paper

    def empty_next(self, count: int | None = 1) -> None:
        """Answer the next `count` requests with an empty feed (totalResults 0), like arXiv's
        sporadic empty pages, even for known ids."""
        with self._cond:
            self._empties.add(True, count)

    def clear_faults(self) -> None:
        super().clear_faults()
        with self._cond:
            self._empties.clear()

    # ------------------------------------------------------------------ serving
    def _handle(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.query.items()}
        if request.method == "POST" and request.body:
            form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        ids = [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]
        record = ArxivRequest(ids=ids, start=time.monotonic(), params=params)
        if request.path.rstrip("/") != "/api/query":
            return self._serve(record, lambda: Response(404, b"Not Found", "text/plain"))
        with self._cond:
            empty = self._empties.take() is not None
        return self._serve(record, lambda: self._answer(params, ids, empty))

    def _answer(self, params: dict[str, str], ids: list[str], empty: bool) -> Response:
        query_string = urlencode(params)
        for raw in ids:
            if not is_valid_arxiv_id(raw):
                return Response(400, _error_feed(raw, query_string), "application/atom+xml")
        try:
            start = int(params.get("start") or 0)
            per_page = int(params.get("max_results") or 10)
        except ValueError:
            return Response(400, _error_feed("start", query_string), "application/atom+xml")

        chosen: list[tuple[Paper, int]] = []
        with self._cond:
            if ids:
                seen: set[str] = set()
                for raw in ids:
                    base, version = split_version(raw)
                    paper = self.papers.get(base)
                    if paper is None or base in seen:
                        continue
                    seen.add(base)
                    v = version if version is not None and version <= paper.version else None
                    chosen.append((paper, v or paper.version))
                chosen.reverse()  # arXiv does not keep the request order
            elif params.get("search_query"):
                cats = re.findall(r"cat:([\w.\-]+)", params["search_query"])
                matches = [p for p in self.papers.values() if set(cats) & set(p.categories)]
                matches.sort(key=lambda p: p.published or datetime.min.replace(tzinfo=UTC))
                chosen = [(p, p.version) for p in reversed(matches)]
        if empty:
            chosen = []
        page = chosen[start : start + per_page]
        entries = "".join(_entry_xml(p, v) for p, v in page)
        body = _feed_xml(query_string, len(chosen), start, per_page, entries)
        return Response(200, body, "application/atom+xml; charset=utf-8")


def _wrap_title(title: str) -> str:
    """Long titles come back hard-wrapped with a two-space indent, like the real API."""
    lines = textwrap.wrap(title, width=70)
    return "\n  ".join(lines) if lines else title


def _wrap_summary(abstract: str) -> str:
    """The real API indents the abstract by two spaces and hard-wraps it at ~80 columns."""
    paragraphs = [textwrap.fill(p, width=78) for p in abstract.split("\n\n")]
    return "  " + "\n".join(paragraphs) + "\n"


def _entry_xml(paper: Paper, version: int) -> str:
    vid = f"{paper.arxiv_id}v{version}"
    published = paper.published or _default_published(paper.arxiv_id)
    if version == paper.version and paper.updated is not None:
        updated = paper.updated
    else:
        updated = published + timedelta(days=version - 1)
    parts = [
        "  <entry>\n",
        f"    <id>http://arxiv.org/abs/{escape(vid)}</id>\n",
        f"    <updated>{_iso(updated)}</updated>\n",
        f"    <published>{_iso(published)}</published>\n",
        f"    <title>{escape(_wrap_title(paper.title))}</title>\n",
        f"    <summary>{escape(_wrap_summary(paper.abstract))}</summary>\n",
    ]
    parts += [
        f"    <author>\n      <name>{escape(a)}</name>\n    </author>\n" for a in paper.authors
    ]
    if paper.doi:
        parts.append(f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>\n")
        parts.append(
            f'    <link title="doi" href={quoteattr("https://doi.org/" + paper.doi)}'
            ' rel="related"/>\n'
        )
    if paper.comment:
        parts.append(f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>\n")
    if paper.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>\n")
    parts += [
        f"    <link href={quoteattr('http://arxiv.org/abs/' + vid)}"
        ' rel="alternate" type="text/html"/>\n',
        f'    <link title="pdf" href={quoteattr("http://arxiv.org/pdf/" + vid)}'
        ' rel="related" type="application/pdf"/>\n',
        f"    <arxiv:primary_category term={quoteattr(paper.primary_category)}"
        f" scheme={quoteattr(ARXIV_NS)}/>\n",
    ]
    parts += [
        f"    <category term={quoteattr(c)} scheme={quoteattr(ARXIV_NS)}/>\n"
        for c in paper.categories
    ]
    parts.append("  </entry>\n")
    return "".join(parts)


def _feed_xml(query_string: str, total: int, start: int, per_page: int, entries: str) -> bytes:
    now = datetime.now(UTC)
    self_url = "http://arxiv.org/api/query?" + query_string
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<feed xmlns="{ATOM_NS}" xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}">\n'
        f'  <link href={quoteattr(self_url)} rel="self" type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {escape(query_string)}</title>\n'
        f"  <id>http://arxiv.org/api/fake{abs(hash(query_string)) % 10**8}</id>\n"
        f"  <updated>{_iso(now)}</updated>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
    )
    return (head + entries + "</feed>\n").encode("utf-8")


def _error_feed(bad_id: str, query_string: str) -> bytes:
    anchor = "incorrect_id_format_for_" + bad_id
    entry = (
        "  <entry>\n"
        f"    <id>http://arxiv.org/api/errors#{escape(anchor)}</id>\n"
        "    <title>Error</title>\n"
        f"    <summary>incorrect id format for {escape(bad_id)}</summary>\n"
        f"    <updated>{_iso(datetime.now(UTC))}</updated>\n"
        f"    <link href={quoteattr('http://arxiv.org/api/errors#' + anchor)}"
        ' rel="alternate" type="text/html"/>\n'
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n"
    )
    return _feed_xml(query_string, 1, 0, 1, entry)


# ====================================================================== RSS

_NY = timezone(timedelta(hours=-4))  # arXiv's feeds are stamped in US Eastern time


@dataclass
class RssItem:
    """One announced paper in an RSS feed.  `announce_type`: new | cross | replace |
    replace-cross.  `authors` become one comma-separated `dc:creator`."""

    arxiv_id: str
    version: int = 1
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    announce_type: str = "new"

    @classmethod
    def from_paper(cls, paper: Paper, announce_type: str = "new") -> RssItem:
        return cls(
            arxiv_id=paper.arxiv_id,
            version=paper.version,
            title=paper.title,
            abstract=paper.abstract,
            authors=list(paper.authors),
            categories=list(paper.categories),
            announce_type=announce_type,
        )

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


def _as_item(item: RssItem | Paper | dict[str, Any]) -> RssItem:
    if isinstance(item, RssItem):
        return item
    if isinstance(item, Paper):
        return RssItem.from_paper(item)
    data = dict(item)
    base, version = split_version(str(data.pop("arxiv_id")))
    data.setdefault("version", version or 1)
    data.setdefault("title", f"A Study of Topic {base}")
    data.setdefault("abstract", _LOREM)
    data.setdefault("authors", ["Alice Author", "Bob Builder"])
    data.setdefault("categories", ["cs.CL"])
    return RssItem(arxiv_id=base, **data)


@dataclass
class _Feed:
    items: list[RssItem]
    pub_date: datetime


def _rss_date(value: datetime | str | None) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_NY)
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=_NY)
    return datetime.now(_NY).replace(hour=0, minute=0, second=0, microsecond=0)


class FakeArxivRss(_ArxivServer):
    """Fake arXiv RSS server (`{url}/rss/cs.LG+cs.CL`).  See the module docstring.

    `set_feed("cs.LG", [...])` sets one category's announcements (items: `RssItem`, `Paper` or
    dicts with RssItem's fields); a multi-category request merges the single-category feeds
    (first occurrence of an id wins) unless that exact combination was set.  Unknown categories
    answer an empty day.  `wait_for` predicates receive the list of `RssRequest`s.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[RssRequest] = []
        self._feeds: dict[str, _Feed] = {}

    @property
    def rss_root(self) -> str:
        """`{url}/rss/`: the value for ARXIV_RSS_URL (categories are appended with +)."""
        return self.url + "/rss/"

    def set_feed(
        self,
        category: str,
        items: Iterable[RssItem | Paper | dict[str, Any]],
        pub_date: datetime | str | None = None,
    ) -> list[RssItem]:
        """Set the announcements of `category` (or of an exact "a+b" combination)."""
        converted = [_as_item(i) for i in items]
        with self._cond:
            self._feeds[category] = _Feed(converted, _rss_date(pub_date))
        return converted

    def set_empty(self, category: str, pub_date: datetime | str | None = None) -> None:
        """An announcement-free day (weekend, holiday) for `category`."""
        self.set_feed(category, [], pub_date)

    def _handle(self, request: Request) -> Response:
        path = unquote(request.path)
        cats_part = path[len("/rss/") :] if path.startswith("/rss/") else ""
        cats = [c for c in re.split(r"[+ ]", cats_part) if c]
        record = RssRequest(categories=cats, start=time.monotonic(), path=request.path)
        if not cats:
            return self._serve(record, lambda: Response(404, b"Not Found", "text/plain"))
        return self._serve(record, lambda: self._answer(cats))

    def _answer(self, cats: list[str]) -> Response:
        key = "+".join(cats)
        with self._cond:
            feed = self._feeds.get(key)
            if feed is None:
                items: list[RssItem] = []
                seen: set[str] = set()
                dates: list[datetime] = []
                for cat in cats:
                    single = self._feeds.get(cat)
                    if single is None:
                        continue
                    dates.append(single.pub_date)
                    for item in single.items:
                        if item.arxiv_id not in seen:
                            seen.add(item.arxiv_id)
                            items.append(item)
                feed = _Feed(items, max(dates) if dates else _rss_date(None))
        return Response(200, _rss_xml(key, feed), "application/rss+xml; charset=utf-8")


def _rss_xml(key: str, feed: _Feed) -> bytes:
    date = format_datetime(feed.pub_date)
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        f'<rss xmlns:arxiv="{ARXIV_NS}" xmlns:dc="{DC_NS}" xmlns:atom="{ATOM_NS}"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n',
        "  <channel>\n",
        f"    <title>{escape(key)} updates on arXiv.org</title>\n",
        f"    <link>http://rss.arxiv.org/rss/{escape(key)}</link>\n",
        f"    <description>{escape(key)} updates on the arXiv.org e-print archive.</description>\n",
        f"    <atom:link href={quoteattr('https://rss.arxiv.org/rss/' + key)}"
        ' rel="self" type="application/rss+xml"/>\n',
        "    <docs>http://www.rssboard.org/rss-specification</docs>\n",
        "    <language>en-us</language>\n",
        f"    <lastBuildDate>{date}</lastBuildDate>\n",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>\n",
        f"    <pubDate>{date}</pubDate>\n",
        "    <skipDays>\n      <day>Saturday</day>\n      <day>Sunday</day>\n    </skipDays>\n",
    ]
    for item in feed.items:
        description = (
            f"arXiv:{item.versioned_id} Announce Type: {item.announce_type} \n"
            f"Abstract: {item.abstract}"
        )
        out += [
            "    <item>\n",
            f"      <title>{escape(item.title)}</title>\n",
            f"      <link>https://arxiv.org/abs/{escape(item.arxiv_id)}</link>\n",
            f"      <description>{escape(description)}</description>\n",
            f'      <guid isPermaLink="false">oai:arXiv.org:{escape(item.versioned_id)}</guid>\n',
        ]
        out += [f"      <category>{escape(c)}</category>\n" for c in item.categories]
        out += [
            f"      <pubDate>{date}</pubDate>\n",
            f"      <arxiv:announce_type>{escape(item.announce_type)}</arxiv:announce_type>\n",
            "      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>\n",
            f"      <dc:creator>{escape(', '.join(item.authors))}</dc:creator>\n",
            "    </item>\n",
        ]
    out.append("  </channel>\n</rss>\n")
    return "".join(out).encode("utf-8")
