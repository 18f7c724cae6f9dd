"""The link-summary pipeline: ids -> papers (store, then arXiv) -> summaries -> messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import texts
from bot.errors import ArxivUnavailable, SummaryFailed
from bot.ids import MAX_PAPERS_PER_MESSAGE
from bot.models import DigestEntry, Paper, Summary
from bot.render import render_paper_html
from bot.services import Services
from storage import papers as paper_store
from storage import usage

log = logging.getLogger(__name__)

# A stored paper is reused this long before arXiv is asked again for a newer version.
PAPER_REFRESH = timedelta(days=7)


@dataclass(frozen=True)
class FoundPapers:
    papers: tuple[Paper, ...]  # in the order asked
    not_found: tuple[str, ...]


async def find_papers(services: Services, ids: Sequence[str]) -> FoundPapers:
    """Papers for `ids` from the store, the rest in one batched arXiv request."""
    fresh_after = (datetime.now(UTC) - PAPER_REFRESH).isoformat(timespec="seconds")
    known = await services.store.call(paper_store.get_papers, list(ids), fresh_after)
    missing = [i for i in ids if i not in known]
    if missing:
        fetched = await services.arxiv.fetch(missing)
        if fetched:
            await services.store.call(paper_store.put_papers, list(fetched.values()))
        known.update(fetched)
    return FoundPapers(
        papers=tuple(known[i] for i in ids if i in known),
        not_found=tuple(i for i in ids if i not in known),
    )


async def summarize_all(
    services: Services,
    papers: Sequence[Paper],
    progress: Callable[[int, int], None] | None = None,
) -> list[DigestEntry]:
    """Every paper with its summary (None where it failed), concurrently, in order."""
    done = 0

    async def one(paper: Paper) -> Summary:
        nonlocal done
        try:
            return await services.summarizer.summarize(paper)
        finally:
            done += 1
            if progress is not None:
                progress(done, len(papers))

    results = await asyncio.gather(*(one(p) for p in papers), return_exceptions=True)
    return [_entry(p, r) for p, r in zip(papers, results, strict=True)]


async def link_replies(
    services: Services, ids: Sequence[str], user_id: int | None
) -> AsyncIterator[str]:
    """The Telegram HTML replies to a message holding `ids`: one per paper, then notes."""
    notes: list[str] = []
    if len(ids) > MAX_PAPERS_PER_MESSAGE:
        rest = len(ids) - MAX_PAPERS_PER_MESSAGE
        notes.append(texts.TOO_MANY.format(limit=MAX_PAPERS_PER_MESSAGE, rest=rest))
        ids = ids[:MAX_PAPERS_PER_MESSAGE]
    try:
        found = await find_papers(services, ids)
    except ArxivUnavailable as exc:
        log.warning("arXiv unavailable for %s: %s", ids, exc)
        yield texts.ARXIV_DOWN
        return
    if found.not_found:
        notes.append(texts.NOT_FOUND.format(ids="、".join(found.not_found)))
    jobs, refused = await _start_summaries(services, found.papers, user_id)
    if refused:
        notes.append(_quota_note(services, refused))
    failed = 0
    for paper, job in jobs:
        entry = await _finish(paper, job)
        failed += entry.summary is None
        yield render_paper_html(entry)
    if failed:
        await _refund(services, user_id, failed)
        notes.append(texts.SUMMARY_FAILED)
    if notes:
        yield "\n\n".join(notes)


Job = asyncio.Task[Summary] | Summary


async def _start_summaries(
    services: Services, papers: Sequence[Paper], user_id: int | None
) -> tuple[list[tuple[Paper, Job]], list[Paper]]:
    """Start summaries: cached ones are free; fresh ones only within the user's quota."""
    cached = [await services.summarizer.cached(p) for p in papers]
    fresh = [p for p, s in zip(papers, cached, strict=True) if s is None]
    granted = await _reserve(services, user_id, len(fresh))
    allowed = {p.arxiv_id for p in fresh[:granted]}
    jobs: list[tuple[Paper, Job]] = []
    for paper, summary in zip(papers, cached, strict=True):
        if summary is not None:
            jobs.append((paper, summary))
        elif paper.arxiv_id in allowed:
            jobs.append((paper, asyncio.create_task(services.summarizer.summarize(paper))))
    return jobs, fresh[granted:]


async def _finish(paper: Paper, job: Job) -> DigestEntry:
    if isinstance(job, Summary):
        return DigestEntry(paper, job)
    try:
        return DigestEntry(paper, await job)
    except SummaryFailed as exc:
        log.warning("no summary for %s: %s", paper.arxiv_id, exc)
        return DigestEntry(paper, None)


def _entry(paper: Paper, result: Summary | BaseException) -> DigestEntry:
    if isinstance(result, Summary):
        return DigestEntry(paper, result)
    if not isinstance(result, SummaryFailed):
        raise result
    log.warning("no summary for %s: %s", paper.arxiv_id, result)
    return DigestEntry(paper, None)


def _quota_day(services: Services) -> str:
    return datetime.now(services.settings.zone).date().isoformat()


def _exempt(services: Services, user_id: int | None) -> bool:
    return user_id is None or user_id in services.settings.admin_user_ids


async def _reserve(services: Services, user_id: int | None, wanted: int) -> int:
    if wanted == 0 or _exempt(services, user_id) or user_id is None:
        return wanted
    quota = services.settings.user_daily_quota
    return await services.store.call(usage.reserve, user_id, _quota_day(services), wanted, quota)


async def _refund(services: Services, user_id: int | None, count: int) -> None:
    if not _exempt(services, user_id) and user_id is not None:
        await services.store.call(usage.release, user_id, _quota_day(services), count)


def _quota_note(services: Services, refused: Sequence[Paper]) -> str:
    return texts.QUOTA_REACHED.format(
        quota=services.settings.user_daily_quota,
        ids="、".join(p.arxiv_id for p in refused),
        zone=services.settings.default_timezone,
    )
