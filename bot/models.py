"""Plain data that travels through the pipeline: ids -> papers -> summaries -> digest.

Every stage takes and returns these frozen dataclasses; only the edges (arXiv, LLM, SQLite,
Telegram) do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

ABS_URL = "https://arxiv.org/abs/{}"


@dataclass(frozen=True)
class Paper:
    """One arXiv paper as of its latest known version.

    `arxiv_id` never carries a version (`2403.15176`, `hep-th/9901001`); `version` does.
    `title` and `abstract` are clean: white space normalised, no RSS artefacts.
    """

    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The canonical abstract page, the only link we ever put in a message."""
        return ABS_URL.format(self.arxiv_id)

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


@dataclass(frozen=True)
class Summary:
    """The LLM's validated answer, in the JSON keys of SPEC."""

    title_zh: str
    tldr_zh: str
    abstract_zh: str


@dataclass(frozen=True)
class DigestEntry:
    """A paper and its summary; `summary` is None when summarizing failed."""

    paper: Paper
    summary: Summary | None


@dataclass(frozen=True)
class Digest:
    """What a renderer turns into messages.

    `header` is an optional first line (the daily digest's date and counts); `notes` are short
    Chinese remarks shown after the papers (ids not found, quota reached, ...).
    """

    entries: tuple[DigestEntry, ...]
    header: str = ""
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Subscription:
    """A chat's daily digest: what, when (local time in its zone) and how much.

    `first_due_at` (UTC) is the first occurrence of the digest time after the subscription was
    made or its time changed: nothing is due before it (no surprise digest on subscribing).
    """

    chat_id: int
    chat_type: str
    title: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    digest_time: str
    timezone: str
    max_papers: int
    active: bool
    first_due_at: datetime


@dataclass(frozen=True)
class FeedItem:
    """One paper of a day's announcement and how it was announced (`new` or `cross`)."""

    paper: Paper
    announce_type: str


@dataclass(frozen=True)
class Announcement:
    """One category's announcement of a day: its date and its new and cross-listed papers."""

    category: str
    date: date | None
    items: tuple[FeedItem, ...]
