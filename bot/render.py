"""Turn a digest into Telegram HTML messages and into Markdown; clean arXiv text on the way in.

Pure functions, no I/O. Every text from arXiv or the LLM is data: escaped for HTML, with `|`, `[`
and `]` escaped in Markdown table cells and link texts. The only link ever produced is a paper's
own `Paper.url`.

Telegram counts a message in UTF-16 code units of its text after entity parsing
(`telegram_length`). Each field of a paper block is cut to a fixed budget in those units, so one
block always fits into one message (at most 4,096); `render_telegram` packs whole units (header,
overview lines, paper blocks, notes) greedily and never splits inside one.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from bot.models import Digest, DigestEntry

MESSAGE_LIMIT = 4096
"""Telegram's `MessageLimit.MAX_TEXT_LENGTH`, in UTF-16 units after entity parsing."""

ENGLISH_ABSTRACT_LIMIT = 1000
TITLE_LIMIT = 300
TLDR_LIMIT = 300
CHINESE_ABSTRACT_LIMIT = 1500
ID_LIMIT = 64
NOTE_LIMIT = 1000
"""Budgets in UTF-16 units: their sum plus the fixed text stays far below `MESSAGE_LIMIT`."""

ELLIPSIS = "…"
NO_SUMMARY_LINE = "⚠️ 暂无中文摘要（摘要服务暂时不可用，稍后再试）"
NO_SUMMARY_MARK = " （暂无中文摘要）"
NO_SUMMARY_CELL = "—"

_RSS_ABSTRACT_PREFIX = re.compile(
    r"^arXiv:\S+\s+Announce Type:\s*[A-Za-z-]+\s+Abstract:\s*", re.IGNORECASE
)
_RSS_TITLE_SUFFIX = re.compile(r"\s*\(arXiv:[^\s()]+(?:\s+\[[^\]]*\])?(?:\s+UPDATED)?\)$")
_TAG = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);")
_CELL_SPECIAL = re.compile(r"(\\*)\|")
_LINK_TEXT_SPECIAL = re.compile(r"(\\*)([\[\]|]|\Z)")


# --- cleaning and cutting -------------------------------------------------------------------


def normalize_space(text: str) -> str:
    """Collapse every run of white space (newlines included) into one space; strip the ends."""
    return " ".join(text.split())


def clean_title(text: str) -> str:
    """A title without RSS artefacts: `... (arXiv:2309.15039v1 [cs.LG])` loses its suffix."""
    return _RSS_TITLE_SUFFIX.sub("", normalize_space(text))


def clean_abstract(text: str) -> str:
    """An abstract without the RSS lead-in `arXiv:ID Announce Type: TYPE Abstract:`."""
    return _RSS_ABSTRACT_PREFIX.sub("", normalize_space(text))


def cut_abstract(text: str, limit: int = ENGLISH_ABSTRACT_LIMIT) -> str:
    """At most `limit` characters, cut at a word boundary and ending with `…` when cut."""
    return _truncate(text, limit, len)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_length(html_text: str) -> int:
    """Length of a message as Telegram counts it: UTF-16 units of the text, tags removed."""
    text = _ENTITY.sub(lambda match: html.unescape(match.group(0)), _TAG.sub("", html_text))
    return utf16_length(text)


def _truncate(text: str, limit: int, measure: Callable[[str], int]) -> str:
    """`text` if it measures at most `limit`, else a word-boundary prefix plus `…` that does."""
    if measure(text) <= limit:
        return text
    if limit < measure(ELLIPSIS):
        return ""
    end = _longest_prefix(text, limit - measure(ELLIPSIS), measure)
    return text[: _word_boundary(text, end)].rstrip() + ELLIPSIS


def _longest_prefix(text: str, budget: int, measure: Callable[[str], int]) -> int:
    """The largest `n` with `measure(text[:n]) <= budget` (a binary search: measure grows)."""
    low, high = 0, min(len(text), budget)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _word_boundary(text: str, end: int) -> int:
    """The last cut at or before `end` that does not split a word (none found: `end` itself)."""
    for cut in range(end, end // 2, -1):
        if not (_is_word_char(text[cut - 1]) and _is_word_char(text[cut])):
            return cut
    return end


def _is_word_char(char: str) -> bool:
    """Letters and digits of space-separated scripts; CJK characters break anywhere."""
    return char.isalnum() and unicodedata.east_asian_width(char) not in ("W", "F")


def _fit(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` UTF-16 units."""
    return _truncate(normalize_space(text), limit, utf16_length)


# --- Telegram HTML ----------------------------------------------------------------------------


_COMMAND = re.compile(r"(?<![\w/<])/(?=[A-Za-z])")  # `</b>` in a title is text, no command
_MENTION = re.compile(r"(?<![\w@])@(?=[A-Za-z0-9_])")


def unclickable(text: str) -> str:
    """`/command` and `@mention` with a full-width slash / at sign: Telegram links neither.

    Text from arXiv or the LLM is data: a paper titled "/subscribe @spam" must not put a
    clickable command or mention in a chat.
    """
    return _MENTION.sub("＠", _COMMAND.sub("／", text))


def _escape(text: str) -> str:
    return html.escape(unclickable(text), quote=True)


def _wrap(tag: str, text: str, attributes: str = "") -> str:
    """`text` escaped inside `<tag>`; an empty text gives no element at all."""
    return f"<{tag}{attributes}>{_escape(text)}</{tag}>" if text else ""


def _link(entry: DigestEntry) -> str:
    paper = entry.paper
    label = "arXiv:" + _truncate(paper.arxiv_id, ID_LIMIT, utf16_length)
    return _wrap("a", label, f' href="{_escape(paper.url)}"')


def _numbered(text: str, number: int | None) -> str:
    return text if number is None else f"{number}. {text}"


def render_paper_html(entry: DigestEntry, number: int | None = None) -> str:
    """One paper as Telegram HTML; always at most `MESSAGE_LIMIT` in `telegram_length`."""
    paper, summary = entry.paper, entry.summary
    english_title = _fit(paper.title, TITLE_LIMIT)
    if summary is None:
        lines = [_wrap("b", _numbered(english_title, number)), _link(entry), NO_SUMMARY_LINE]
    else:
        tldr = _fit(summary.tldr_zh, TLDR_LIMIT)
        lines = [
            _wrap("b", _numbered(_fit(summary.title_zh, TITLE_LIMIT), number)),
            _wrap("i", english_title),
            _link(entry),
            "💡 " + _escape(tldr) if tldr else "",
            _blockquote(summary.abstract_zh.strip(), CHINESE_ABSTRACT_LIMIT),
        ]
    lines.append(_blockquote(_english_abstract(entry), ENGLISH_ABSTRACT_LIMIT))
    return "\n".join(line for line in lines if line)


def _english_abstract(entry: DigestEntry) -> str:
    """The English abstract on one line, cut to 1,000 characters (Telegram and Markdown)."""
    return cut_abstract(normalize_space(entry.paper.abstract))


def _blockquote(text: str, limit: int) -> str:
    return _wrap("blockquote", _truncate(text, limit, utf16_length), " expandable")


def _overview_line(entry: DigestEntry, number: int) -> str:
    """`N. <b>title</b> — tldr`: the Chinese title when there is one, else the English one."""
    summary = entry.summary
    if summary is None:
        title = _wrap("b", _fit(entry.paper.title, TITLE_LIMIT))
        return f"{number}. {title}{_escape(NO_SUMMARY_MARK)}"
    title = _wrap("b", _fit(summary.title_zh, TITLE_LIMIT) or _fit(entry.paper.title, TITLE_LIMIT))
    tldr = _fit(summary.tldr_zh, TLDR_LIMIT)
    return f"{number}. {title} — {_escape(tldr)}" if tldr else f"{number}. {title}"


_Unit = tuple[str, str]
"""(separator before it when it follows another unit in the same message, HTML)."""


def _units(separator: str, parts: Iterable[str]) -> list[_Unit]:
    """Units of one section: two newlines before the first, `separator` between the others."""
    return [("\n\n" if index == 0 else separator, part) for index, part in enumerate(parts)]


def render_telegram(digest: Digest) -> list[str]:
    """The messages of a digest: header, overview, one block per paper, notes; none empty."""
    numbered = list(enumerate(digest.entries, start=1))
    header = _fit(digest.header, NOTE_LIMIT)
    notes = (_fit(note, NOTE_LIMIT) for note in digest.notes)
    return _pack(
        [
            *_units("\n", [_wrap("b", header)] if header else []),
            *_units("\n", (_overview_line(entry, number) for number, entry in numbered)),
            *_units("\n\n", (render_paper_html(entry, number) for number, entry in numbered)),
            *_units("\n", (_escape(note) for note in notes if note)),
        ]
    )


def _pack(units: Sequence[_Unit]) -> list[str]:
    """Greedily fill messages of at most `MESSAGE_LIMIT` with whole units, in order."""
    messages: list[list[str]] = []
    size = 0
    for separator, text in units:
        added = telegram_length(separator + text)
        if messages and size + added <= MESSAGE_LIMIT:
            messages[-1] += [separator, text]
            size += added
        else:
            messages.append([text])
            size = telegram_length(text)
    return ["".join(parts) for parts in messages]


# --- Markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """A table cell: one line, `|` escaped (with any backslashes right before it)."""
    return _CELL_SPECIAL.sub(lambda m: m[1] * 2 + "\\|", normalize_space(text))


def _link_text(text: str) -> str:
    """Link text inside a table cell: `[`, `]`, `|` and a trailing backslash escaped."""
    return _LINK_TEXT_SPECIAL.sub(
        lambda m: m[1] * 2 + ("\\" + m[2] if m[2] else ""), normalize_space(text)
    )


def _table_row(entry: DigestEntry, number: int) -> str:
    paper, summary = entry.paper, entry.summary
    tldr = _cell(summary.tldr_zh) if summary else NO_SUMMARY_CELL
    return f"| [^{number}] | [{_link_text(paper.title)}]({paper.url}) | {tldr} |"


def _detail_lines(entry: DigestEntry, number: int) -> list[str]:
    """One footnote block; without a summary the Chinese abstract paragraph is left out."""
    paper, summary = entry.paper, entry.summary
    english_title = normalize_space(paper.title)
    title = normalize_space(summary.title_zh) if summary else english_title + NO_SUMMARY_MARK
    tldr = normalize_space(summary.tldr_zh) if summary else NO_SUMMARY_CELL
    chinese = ["    " + normalize_space(summary.abstract_zh), ""] if summary else []
    return [
        f"[^{number}]: {title}",
        "",
        "    " + english_title,
        "",
        f"    [{paper.url}]({paper.url})",
        "",
        "    " + tldr,
        "",
        "    ",
        "",
        *chinese,
        "    " + _english_abstract(entry),
        "    ",
    ]


def render_markdown(digest: Digest) -> str:
    """The digest in the format of `examples/digest-example.md`: table, then footnotes."""
    header = normalize_space(digest.header)
    lines = [header, ""] if header else []
    lines += ["# 摘要", "", "| Ref | Title | Summary |", "| --- | --- | --- |"]
    numbered = list(enumerate(digest.entries, start=1))
    lines += [_table_row(entry, number) for number, entry in numbered]
    lines += ["", "# 详细", ""]
    for number, entry in numbered:
        lines += _detail_lines(entry, number)
    if numbered:
        lines.append("")
    lines += ["> " + normalize_space(note) for note in digest.notes if note.strip()]
    return "\n".join(lines) + "\n"
