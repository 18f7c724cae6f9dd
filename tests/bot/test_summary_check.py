"""The LLM's answer is validated (three Chinese fields, bounded, complete) and defused (no foreign
links, no clickable commands or mentions) before anyone sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from bot.models import Paper, Summary
from bot.summary_check import InvalidSummary, defuse, parse_summary

PAPER = Paper(
    arxiv_id="2403.15176",
    version=1,
    title="Brain-grounding of semantic vectors",
    abstract="Code is at https://github.com/org/brain-vectors and data at zenodo.org/record/42.",
)
SOURCE = f"{PAPER.title} {PAPER.abstract}"
VALID = {
    "title_zh": "语义向量的脑基础",
    "tldr_zh": "本文提出了新方法。",
    "abstract_zh": "我们研究了神经解码。",
}


def completion(
    content: str | None = None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    choices: bool = True,
) -> ChatCompletion:
    """A real `ChatCompletion`, as the SDK would build it from the wire."""
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": content, "refusal": refusal},
        "logprobs": None,
        "finish_reason": finish_reason,
    }
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [choice] if choices else [],
        }
    )


def answer(**fields: object) -> str:
    return json.dumps({**VALID, **fields}, ensure_ascii=False)


# --- defuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/login",
        "http://evil.com",
        "HTTPS://EVIL.COM/X",
        "www.evil.org/path",
        "evil.com",
        "bit.ly/abc123",
        "t.me/joinchat/xyz",
        "https://github.com/attacker/brain-vectors",
    ],
)
def test_defuse_removes_a_link_that_is_not_in_the_source(link: str) -> None:
    out = defuse(f"请访问 {link} 获取代码", SOURCE)
    assert out == "请访问 获取代码"


@pytest.mark.parametrize("link", ["https://github.com/org/brain-vectors", "zenodo.org/record/42"])
def test_defuse_keeps_a_link_that_the_source_contains(link: str) -> None:
    assert defuse(f"代码见 {link} 。", SOURCE) == f"代码见 {link} 。"


def test_defuse_removes_a_link_before_chinese_punctuation_only_up_to_the_punctuation() -> None:
    assert defuse("详见https://evil.com/x，然后继续。", SOURCE) == "详见，然后继续。"


def test_defuse_removes_a_bare_domain_glued_to_chinese_text() -> None:
    assert "evil.com" not in defuse("请访问evil.com获取代码", SOURCE)


def test_defuse_removes_a_bare_domain_on_a_newer_gtld() -> None:
    assert "evil.live" not in defuse("请访问 evil.live 领取奖励", SOURCE)


def test_defuse_removes_a_category_name_that_telegram_would_link_unless_the_paper_has_it() -> None:
    assert defuse("属于 cs.AI 领域", SOURCE) == "属于 领域"
    assert defuse("属于 cs.AI 领域", SOURCE + " cs.AI") == "属于 cs.AI 领域"


def test_defuse_makes_commands_and_mentions_unclickable() -> None:
    out = defuse("发送 /subscribe 并联系 @someone 或 @bot_name", SOURCE)
    assert out == "发送 ／subscribe 并联系 ＠someone 或 ＠bot_name"
    assert "/" not in out
    assert "@" not in out


def test_defuse_leaves_slashes_and_at_signs_inside_words_alone() -> None:
    assert defuse("TCP/IP 与 1/2 的比例", SOURCE) == "TCP/IP 与 1/2 的比例"


def test_defuse_collapses_white_space() -> None:
    assert defuse("  第一行\n\n第二行\t结束  ", SOURCE) == "第一行 第二行 结束"


# --- parse_summary ----------------------------------------------------------------------------


def test_a_valid_answer_becomes_a_summary() -> None:
    assert parse_summary(completion(answer()), PAPER) == Summary(**VALID)


def test_extra_keys_are_ignored() -> None:
    assert parse_summary(completion(answer(extra="x", score=3)), PAPER) == Summary(**VALID)


def test_json_in_a_code_fence_is_accepted() -> None:
    fenced = "```json\n" + answer() + "\n```"
    assert parse_summary(completion(fenced), PAPER) == Summary(**VALID)


def test_fields_are_defused() -> None:
    content = answer(tldr_zh="本文提出了新方法，详见 https://evil.example/x ，联系 @admin。")
    summary = parse_summary(completion(content), PAPER)
    assert "evil.example" not in summary.tldr_zh
    assert "＠admin" in summary.tldr_zh


@pytest.mark.parametrize(
    ("built", "why"),
    [
        (completion(choices=False), "no choice"),
        (completion(answer(), finish_reason="length"), "truncated"),
        (completion(None, refusal="I can't help with that."), "refused"),
        (completion(answer(), refusal="I can't help with that."), "refused"),
        (completion(None), "not JSON"),
        (completion("I'm sorry, but I can't help with that."), "not JSON"),
        (completion('{"title_zh": "标题", "tldr_zh": '), "not JSON"),
        (completion(json.dumps([VALID], ensure_ascii=False)), "not a JSON object"),
    ],
)
def test_an_unusable_answer_is_invalid(built: ChatCompletion, why: str) -> None:
    with pytest.raises(InvalidSummary, match=why):
        parse_summary(built, PAPER)


@pytest.mark.parametrize(
    "fields",
    [
        {"tldr_zh": None},
        {"tldr_zh": ""},
        {"tldr_zh": 42},
        {"tldr_zh": ["一句话"]},
        {"abstract_zh": "https://evil.example/only-a-link"},
        {"title_zh": "Brain-grounding of semantic vectors"},
        {"tldr_zh": "This paper proposes a new method."},
        {"abstract_zh": "中" * 10_000},
        {"title_zh": "标" * 301},
    ],
    ids=[
        "null",
        "empty",
        "number",
        "list",
        "only-a-foreign-link",
        "english-title",
        "english-tldr",
        "huge-abstract",
        "long-title",
    ],
)
def test_a_field_that_is_missing_empty_english_or_too_long_is_invalid(
    fields: dict[str, object],
) -> None:
    with pytest.raises(InvalidSummary):
        parse_summary(completion(answer(**fields)), PAPER)


def test_a_missing_key_is_invalid() -> None:
    content = json.dumps({"title_zh": "标题", "tldr_zh": "一句话。"}, ensure_ascii=False)
    with pytest.raises(InvalidSummary, match="abstract_zh"):
        parse_summary(completion(content), PAPER)
