"""Validation and defusing of the LLM's answer.

The answer must be one JSON object with the keys `title_zh`, `tldr_zh`, `abstract_zh`: strings,
non-empty, written in Chinese, of bounded length; a truncated answer (`finish_reason == "length"`)
or a refusal is invalid. Extra keys are ignored.

The text is then defused, because the model read text an attacker may control (the abstract):
- a URL or domain that does not occur in the paper's own title or abstract is removed (Telegram
  clients turn bare URLs into links even in escaped text);
- `/command` and `@mention` tokens get a full-width slash / at sign, so they are not clickable.
"""

from __future__ import annotations

import json
import re

from openai.types.chat import ChatCompletion

from bot.models import Paper, Summary
from bot.render import unclickable

KEYS = ("title_zh", "tldr_zh", "abstract_zh")
MAX_LENGTH = {"title_zh": 300, "tldr_zh": 400, "abstract_zh": 2000}
MIN_CJK = {"title_zh": 1, "tldr_zh": 1, "abstract_zh": 1}  # short answers are fine; English is not

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Top-level domains Telegram turns into links: every two-letter country code (so `cs.AI` in
# the model's text counts too, unless the paper itself has it) and the common generic ones.
_TLDS = (
    r"[a-z]{2}|com|net|org|edu|gov|mil|int|info|biz|pro|name|xyz|top|app|dev|site|online|club"
    r"|shop|store|vip|link|click|live|tech|space|website|fun|icu|cloud|news|email|blog|page"
    r"|zip|mov|art|bio|life|world|today|wiki|media|network|digital|social|games|one|ink"
)
_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"'，。）)]+"
    rf"|(?<![a-z0-9@.-])(?:[a-z0-9-]+\.)+(?:{_TLDS})(?![a-z0-9-])(?:/[^\s<>\"'，。）)]*)?",
    re.IGNORECASE | re.ASCII,
)


class InvalidSummary(ValueError):
    """The LLM's answer is not a usable summary."""


def parse_summary(completion: ChatCompletion, paper: Paper) -> Summary:
    """Validate and defuse one chat completion; raise InvalidSummary when it is not usable."""
    if not completion.choices:
        raise InvalidSummary("no choice in the answer")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise InvalidSummary("answer truncated (finish_reason=length)")
    if getattr(choice.message, "refusal", None):
        raise InvalidSummary("the model refused")
    data = _json_object(choice.message.content or "")
    source = " ".join((paper.title, paper.abstract, *paper.categories))
    return Summary(**{key: _field(data, key, source) for key in KEYS})


def defuse(text: str, source: str) -> str:
    """Remove URLs absent from `source`; make commands and mentions unclickable."""
    text = _URL.sub(lambda m: m[0] if m[0] in source else "", text)
    return " ".join(unclickable(text).split())


def _json_object(content: str) -> dict[str, object]:
    text = content.strip()
    if text.startswith("```"):  # some local models wrap JSON in a fence despite json mode
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSummary(f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidSummary("not a JSON object")
    return data


def _field(data: dict[str, object], key: str, source: str) -> str:
    raw = data.get(key)
    value = defuse(raw, source) if isinstance(raw, str) else ""
    if not value:
        raise InvalidSummary(f"{key} missing or empty")
    if len(value) > MAX_LENGTH[key]:
        raise InvalidSummary(f"{key} too long ({len(value)} characters)")
    if len(_CJK.findall(value)) < MIN_CJK[key]:
        raise InvalidSummary(f"{key} is not Chinese")
    return value
