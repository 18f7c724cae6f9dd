"""Papers from the arXiv API: one batched request per call, clean text, retries on failures, one
request at a time and spaced, never blocking the event loop, never hanging past our timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

import bot.arxiv_source
from bot.arxiv_source import ArxivSource, ArxivThrottle
from bot.errors import ArxivUnavailable
from bot.models import Paper
from tests.fakes.arxiv_api import FakeArxivApi

INTERVAL = 0.05
LONG_TITLE = (
    "Brain-grounding of semantic vectors improves neural decoding of visual stimuli "
    "recorded with functional magnetic resonance imaging in humans"
)
ABSTRACT = (
    "Developing algorithms for accurate and comprehensive neural decoding of mental contents "
    "is one of the long-cherished goals in the field of neuroscience and brain-machine "
    "interfaces. Previous studies have demonstrated the feasibility of neural decoding.\n\n"
    "We show that $a<b$ & $c>d$ hold."
)


@pytest.fixture
async def source(fake_arxiv: FakeArxivApi) -> AsyncIterator[ArxivSource]:
    arxiv = ArxivSource(fake_arxiv.query_url, ArxivThrottle(INTERVAL))
    yield arxiv
    await arxiv.close()


def add_three(fake_arxiv: FakeArxivApi) -> None:
    fake_arxiv.add_paper(
        "2403.15176",
        title=LONG_TITLE,
        abstract=ABSTRACT,
        authors=["Shirin Vafaei", "Ryohei Fukuma"],
        categories=["q-bio.NC", "cs.LG"],
    )
    fake_arxiv.add_paper("2312.15230", version=3, title="PERP: Rethinking the Prune-Retrain")
    fake_arxiv.add_paper("hep-th/9901001", version=2, title="An old-style paper")


async def test_several_ids_are_fetched_in_one_request_keyed_by_versionless_id(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    add_three(fake_arxiv)
    papers = await source.fetch(["2403.15176", "2312.15230", "hep-th/9901001"])
    assert len(fake_arxiv.requests) == 1
    assert sorted(fake_arxiv.requests[0].ids) == ["2312.15230", "2403.15176", "hep-th/9901001"]
    assert set(papers) == {"2403.15176", "2312.15230", "hep-th/9901001"}
    assert {i: p.version for i, p in papers.items()} == {
        "2403.15176": 1,
        "2312.15230": 3,
        "hep-th/9901001": 2,
    }
    assert papers["2312.15230"].arxiv_id == "2312.15230"


async def test_titles_and_abstracts_come_with_white_space_normalised(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    add_three(fake_arxiv)
    paper = (await source.fetch(["2403.15176"]))["2403.15176"]
    assert paper == Paper(
        arxiv_id="2403.15176",
        version=1,
        title=" ".join(LONG_TITLE.split()),
        abstract=" ".join(ABSTRACT.split()),
        authors=("Shirin Vafaei", "Ryohei Fukuma"),
        categories=("q-bio.NC", "cs.LG"),
    )
    assert "$a<b$ & $c>d$" in paper.abstract


async def test_an_unknown_id_is_absent(source: ArxivSource, fake_arxiv: FakeArxivApi) -> None:
    add_three(fake_arxiv)
    papers = await source.fetch(["2403.15176", "2403.99999"])
    assert set(papers) == {"2403.15176"}
    assert len(fake_arxiv.requests) == 1


async def test_an_all_unknown_batch_is_asked_twice_then_gives_nothing(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    assert await source.fetch(["2403.99999", "2403.99998"]) == {}
    assert len(fake_arxiv.requests) == 2


async def test_a_sporadic_empty_answer_is_retried(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    add_three(fake_arxiv)
    fake_arxiv.empty_next()
    assert set(await source.fetch(["2403.15176"])) == {"2403.15176"}
    assert len(fake_arxiv.requests) == 2


async def test_no_ids_ask_nothing(source: ArxivSource, fake_arxiv: FakeArxivApi) -> None:
    assert await source.fetch([]) == {}
    assert fake_arxiv.requests == []


async def test_one_server_error_is_retried(source: ArxivSource, fake_arxiv: FakeArxivApi) -> None:
    add_three(fake_arxiv)
    fake_arxiv.fail_next(503)
    assert set(await source.fetch(["2403.15176"])) == {"2403.15176"}
    assert [r.status for r in fake_arxiv.requests] == [503, 200]


async def test_three_server_errors_make_arxiv_unavailable_after_exactly_three_requests(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    add_three(fake_arxiv)
    fake_arxiv.fail_next(503, count=3)
    with pytest.raises(ArxivUnavailable, match="503"):
        await source.fetch(["2403.15176"])
    assert len(fake_arxiv.requests) == 3


async def test_concurrent_fetches_send_one_request_at_a_time_spaced_by_the_interval(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    fake_arxiv.set_latency(0.02)
    ids = [f"2403.{n:05d}" for n in range(10001, 10006)]
    for arxiv_id in ids:
        fake_arxiv.add_paper(arxiv_id)
    results = await asyncio.gather(*(source.fetch([i]) for i in ids))
    assert [set(r) for r in results] == [{i} for i in ids]
    assert len(fake_arxiv.requests) == 5
    assert fake_arxiv.max_in_flight == 1
    assert fake_arxiv.min_idle_gap() >= INTERVAL * 0.9


async def test_the_event_loop_stays_free_while_a_request_waits(
    source: ArxivSource, fake_arxiv: FakeArxivApi
) -> None:
    add_three(fake_arxiv)
    fake_arxiv.hang_next(0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        papers = await source.fetch(["2403.15176"])
    finally:
        ticker.cancel()
    assert set(papers) == {"2403.15176"}
    assert ticks >= 10  # about 30 in 0.3 s; a blocked loop would give 0 or 1


async def test_a_hung_request_is_cut_by_our_timeout_and_retried(
    source: ArxivSource, fake_arxiv: FakeArxivApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.arxiv_source, "READ_TIMEOUT", 0.3)
    add_three(fake_arxiv)
    fake_arxiv.hang_next(30)
    started = time.monotonic()
    papers = await source.fetch(["2403.15176"])
    assert time.monotonic() - started < 5  # far below the fake's 30 s hang
    assert set(papers) == {"2403.15176"}
    assert len(fake_arxiv.requests) == 2


async def test_a_hung_arxiv_is_unavailable_after_three_timed_out_requests(
    source: ArxivSource, fake_arxiv: FakeArxivApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.arxiv_source, "READ_TIMEOUT", 0.15)
    add_three(fake_arxiv)
    fake_arxiv.hang_next(30, count=None)
    started = time.monotonic()
    with pytest.raises(ArxivUnavailable, match="unreachable"):
        await source.fetch(["2403.15176"])
    assert time.monotonic() - started < 5
    assert len(fake_arxiv.requests) == 3
