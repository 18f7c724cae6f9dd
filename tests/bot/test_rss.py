"""A category's day from the arXiv RSS feed: parsed as XML (math intact, artefacts cleaned),
fetched politely through the shared throttle, retried on transient failures only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from bot.arxiv_source import ArxivThrottle
from bot.errors import ArxivUnavailable
from bot.models import Announcement, FeedItem, Paper
from bot.rss import fetch_announcement, parse_feed
from bot.selection import merge_items
from tests.fakes.arxiv_api import FakeArxivRss, RssItem


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


@pytest.fixture
def throttle() -> ArxivThrottle:
    return ArxivThrottle(0.01)


async def fetch(
    fake_rss: FakeArxivRss,
    client: httpx.AsyncClient,
    throttle: ArxivThrottle,
    category: str = "cs.LG",
    timeout: float = 5.0,  # noqa: ASYNC109  # passed through to the function under test
) -> Announcement:
    return await fetch_announcement(client, throttle, fake_rss.rss_root, category, timeout)


def item(number: int, announce_type: str = "new", **fields: object) -> dict[str, object]:
    return {"arxiv_id": f"2403.{number:05d}", "announce_type": announce_type, **fields}


def rss(items: str, channel: str = "<pubDate>Thu, 04 Dec 2026 00:00:00 -0500</pubDate>") -> bytes:
    """A minimal RSS 2.0 document in the shape of arXiv's feed."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">'
        f"<channel><title>cs.LG updates on arXiv.org</title>{channel}{items}</channel></rss>"
    ).encode()


# --- parsing, through the fake feed -----------------------------------------------------------


async def test_only_new_and_cross_items_are_kept_in_feed_order(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed(
        "cs.LG",
        [
            item(5, "cross"),
            item(1, "replace"),
            item(3, "new"),
            item(4, "replace-cross"),
            item(2, "new"),
        ],
    )
    announcement = await fetch(fake_rss, client, throttle)
    assert announcement.category == "cs.LG"
    assert [(i.paper.arxiv_id, i.announce_type) for i in announcement.items] == [
        ("2403.00005", "cross"),
        ("2403.00003", "new"),
        ("2403.00002", "new"),
    ]


async def test_an_item_becomes_a_clean_paper(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed(
        "cs.LG",
        [
            RssItem(
                arxiv_id="2403.15176",
                version=3,
                title="Deep   Nets\n  Revisited (arXiv:2403.15176v3 [cs.LG])",
                abstract="We revisit\n  deep nets.   They work.",
                authors=["Alice Author", "Bob Builder", "Chen Wei"],
                categories=["cs.LG", "stat.ML", "cs.LG"],
                announce_type="cross",
            )
        ],
    )
    (only,) = (await fetch(fake_rss, client, throttle)).items
    assert only == FeedItem(
        paper=Paper(
            arxiv_id="2403.15176",
            version=3,
            title="Deep Nets Revisited",
            abstract="We revisit deep nets. They work.",
            authors=("Alice Author", "Bob Builder", "Chen Wei"),
            categories=("cs.LG", "stat.ML"),
        ),
        announce_type="cross",
    )
    assert only.paper.url == "https://arxiv.org/abs/2403.15176"


async def test_escaped_math_in_the_abstract_survives(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    abstract = "We show $a<b$ and $c>d$ for all x & y, and <i>not</i> &amp; markup."
    fake_rss.set_feed("cs.LG", [item(1, abstract=abstract)])
    raw = (await client.get(fake_rss.rss_root + "cs.LG")).text
    assert "$a&lt;b$ and $c&gt;d$" in raw  # the feed really escapes it
    (only,) = (await fetch(fake_rss, client, throttle)).items
    assert only.paper.abstract == abstract


async def test_a_weekend_feed_is_an_empty_announcement(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_empty("cs.LG", pub_date="2026-12-05T00:00:00")
    announcement = await fetch(fake_rss, client, throttle)
    assert announcement == Announcement("cs.LG", date(2026, 12, 5), ())


async def test_the_channel_pub_date_is_the_announcement_date(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed("cs.LG", [item(1)], pub_date="2026-12-04T00:00:00")
    assert (await fetch(fake_rss, client, throttle)).date == date(2026, 12, 4)


async def test_the_root_may_lack_its_trailing_slash(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed("q-bio.NC", [item(1)])
    root = fake_rss.rss_root.rstrip("/")
    announcement = await fetch_announcement(client, throttle, root, "q-bio.NC")
    assert [i.paper.arxiv_id for i in announcement.items] == ["2403.00001"]
    assert fake_rss.requests[0].path == "/rss/q-bio.NC"


# --- parsing, from hand-written documents -----------------------------------------------------


def test_the_date_is_taken_in_the_feeds_own_offset() -> None:
    late = "<pubDate>Thu, 04 Dec 2026 23:30:00 -0500</pubDate>"  # already 5 December in UTC
    assert parse_feed(rss("", late), "cs.LG").date == date(2026, 12, 4)


def test_last_build_date_stands_in_for_a_missing_pub_date() -> None:
    channel = "<lastBuildDate>Mon, 07 Dec 2026 00:00:00 -0500</lastBuildDate>"
    assert parse_feed(rss("", channel), "cs.LG").date == date(2026, 12, 7)


@pytest.mark.parametrize("channel", ["", "<pubDate>not a date</pubDate>"])
def test_no_readable_date_gives_none(channel: str) -> None:
    assert parse_feed(rss("", channel), "cs.LG") == Announcement("cs.LG", None, ())


def test_literal_escapes_in_the_xml_are_decoded_exactly_once() -> None:
    description = (
        "arXiv:2403.15176v2 Announce Type: new \nAbstract: Let $a&lt;b$ and $c&gt;d$; "
        "then &amp;lt; stays."
    )
    xml = rss(
        f"<item><title>T</title><description>{description}</description>"
        "<guid>oai:arXiv.org:2403.15176v2</guid></item>"
    )
    (only,) = parse_feed(xml, "cs.LG").items
    assert only.paper.abstract == "Let $a<b$ and $c>d$; then &lt; stays."
    assert (only.paper.versioned_id, only.announce_type) == ("2403.15176v2", "new")


def test_without_guid_the_id_comes_from_the_description_then_the_link() -> None:
    xml = rss(
        "<item><title>A</title><description>arXiv:2403.00001v4 Announce Type: cross "
        "Abstract: First.</description></item>"
        "<item><title>B</title><link>https://arxiv.org/abs/2403.00002</link>"
        "<description>Second.</description><arxiv:announce_type>new</arxiv:announce_type></item>"
        "<item><title>C</title><description>No id anywhere.</description>"
        "<arxiv:announce_type>new</arxiv:announce_type></item>"
    )
    items = parse_feed(xml, "cs.LG").items
    assert [(i.paper.versioned_id, i.announce_type, i.paper.abstract) for i in items] == [
        ("2403.00001v4", "cross", "First."),
        ("2403.00002v1", "new", "Second."),
    ]


def test_authors_are_split_on_commas_and_and() -> None:
    xml = rss(
        "<item><title>T</title><guid>oai:arXiv.org:2403.00001v1</guid>"
        "<description>arXiv:2403.00001v1 Announce Type: new Abstract: A.</description>"
        "<dc:creator>Ann Lee, Bo Li, and Cy Andrews</dc:creator>"
        "<dc:creator>Dee Wu and Eve Ng</dc:creator></item>"
    )
    (only,) = parse_feed(xml, "cs.LG").items
    assert only.paper.authors == ("Ann Lee", "Bo Li", "Cy Andrews", "Dee Wu", "Eve Ng")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<rss><channel><item></channel></rss>",
        b"<html><body>Rate exceeded.</body></html>",
        b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>',
        b"<rss version='2.0'></rss>",
        b"Rate exceeded.",
    ],
)
def test_a_document_that_is_not_rss_is_arxiv_unavailable(body: bytes) -> None:
    with pytest.raises(ArxivUnavailable):
        parse_feed(body, "cs.LG")


def test_entities_are_never_expanded() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY boom "BOOM">]>'
        b"<rss><channel><item><title>&boom;</title><guid>oai:arXiv.org:2403.00001v1</guid>"
        b"<description>arXiv:2403.00001v1 Announce Type: new Abstract: x</description>"
        b"</item></channel></rss>"
    )
    (only,) = parse_feed(xml, "cs.LG").items
    assert "BOOM" not in only.paper.title


# --- fetching ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_transient_failure_is_retried(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle, status: int
) -> None:
    fake_rss.set_feed("cs.LG", [item(1)])
    fake_rss.fail_next(status)
    announcement = await fetch(fake_rss, client, throttle)
    assert [i.paper.arxiv_id for i in announcement.items] == ["2403.00001"]
    assert [r.status for r in fake_rss.requests] == [status, 200]


async def test_three_failures_are_arxiv_unavailable_after_exactly_three_requests(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.fail_next(503, count=None)
    with pytest.raises(ArxivUnavailable, match="503"):
        await fetch(fake_rss, client, throttle)
    assert [r.status for r in fake_rss.requests] == [503, 503, 503]


async def test_retries_back_off_exponentially(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient
) -> None:
    fake_rss.fail_next(503, count=2)
    await fetch(fake_rss, client, ArxivThrottle(0.05))
    first, second, third = fake_rss.requests
    assert first.end is not None
    assert second.end is not None
    assert second.start - first.end >= 0.05
    assert third.start - second.end >= 0.1


@pytest.mark.parametrize("status", [404, 400, 403, 200])
async def test_a_useless_answer_fails_at_once(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle, status: int
) -> None:
    fake_rss.fail_next(status)  # a plain-text body; with 200 it is simply not RSS
    with pytest.raises(ArxivUnavailable):
        await fetch(fake_rss, client, throttle)
    assert len(fake_rss.requests) == 1


async def test_a_long_retry_after_gives_up_instead_of_hammering(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.fail_next(429, retry_after=3600)
    with pytest.raises(ArxivUnavailable, match="429"):
        await fetch(fake_rss, client, throttle)
    assert len(fake_rss.requests) == 1


async def test_a_short_retry_after_is_honoured(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.fail_next(429, retry_after=1)
    await fetch(fake_rss, client, throttle)
    first, second = fake_rss.requests
    assert first.end is not None
    assert second.start - first.end >= 1.0


async def test_a_hanging_feed_times_out_into_arxiv_unavailable(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.hang_next(10, count=None)
    started = time.monotonic()
    with pytest.raises(ArxivUnavailable, match="no answer"):
        await fetch(fake_rss, client, throttle, timeout=0.5)
    assert time.monotonic() - started < 3
    assert len(fake_rss.requests) == 3


async def test_one_hang_is_retried(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed("cs.LG", [item(1)])
    fake_rss.hang_next(10)
    announcement = await fetch(fake_rss, client, throttle, timeout=0.5)
    assert len(announcement.items) == 1
    assert len(fake_rss.requests) == 2


async def test_unreachable_server_is_arxiv_unavailable(
    client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    with pytest.raises(ArxivUnavailable, match="unreachable"):
        await fetch_announcement(client, throttle, "http://127.0.0.1:9/rss/", "cs.LG")


async def test_the_throttle_keeps_requests_apart_and_one_at_a_time(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient
) -> None:
    throttle = ArxivThrottle(0.05)
    categories = ["cs.LG", "cs.CL", "math.OC", "hep-th"]
    for number, category in enumerate(categories):
        fake_rss.set_feed(category, [item(number)])
    fake_rss.set_latency(0.02)
    await asyncio.gather(*(fetch(fake_rss, client, throttle, c) for c in categories))
    assert len(fake_rss.requests) == 4
    assert fake_rss.max_in_flight == 1
    assert fake_rss.min_idle_gap() >= 0.05


# --- merging ----------------------------------------------------------------------------------


async def test_merging_keeps_order_and_the_first_occurrence_of_a_cross_list(
    fake_rss: FakeArxivRss, client: httpx.AsyncClient, throttle: ArxivThrottle
) -> None:
    fake_rss.set_feed("cs.LG", [item(1), item(2, "cross"), item(9, "replace")])
    fake_rss.set_feed("cs.CL", [item(2), item(3), item(1, "cross")])
    announcements = [await fetch(fake_rss, client, throttle, c) for c in ["cs.LG", "cs.CL"]]
    merged = merge_items([a.items for a in announcements])
    assert [(i.paper.arxiv_id, i.announce_type) for i in merged] == [
        ("2403.00001", "new"),
        ("2403.00002", "cross"),
        ("2403.00003", "new"),
    ]


def test_merging_nothing_is_empty() -> None:
    empty = Announcement("cs.LG", None, ())
    assert merge_items([]) == []
    assert merge_items([empty.items, empty.items]) == []


def test_announcement_and_feed_item_are_frozen() -> None:
    announcement = Announcement("cs.LG", date(2026, 12, 4), ())
    with pytest.raises(AttributeError):
        announcement.category = "cs.CL"  # type: ignore[misc]
