"""Markdown digests for the command line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from bot.errors import InputError
from bot.models import Digest
from bot.pipeline import find_papers, summarize_all
from bot.render import render_markdown
from bot.services import create_services


async def summarize_to_markdown(settings: Settings, ids: Sequence[str]) -> tuple[str, list[str]]:
    """The Markdown digest of `ids`, and the problems to report (not found, no summary)."""
    services = create_services(settings)
    await services.open()
    try:
        found = await find_papers(services, ids)
        if not found.papers:
            raise InputError(f"not found on arXiv: {', '.join(found.not_found)}")
        entries = await summarize_all(services, found.papers)
    finally:
        await services.close()
    problems = [f"not found on arXiv: {i}" for i in found.not_found]
    problems += [
        f"no Chinese summary for {e.paper.arxiv_id} (LLM failed)"
        for e in entries
        if e.summary is None
    ]
    return render_markdown(Digest(entries=tuple(entries))), problems
