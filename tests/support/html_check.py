"""Checks that a text is valid Telegram HTML (parse_mode HTML), for tests of rendered messages.

Telegram accepts a small tag set (b strong i em u ins s strike del tg-spoiler a code pre
blockquote tg-emoji), only the named entities `&lt; &gt; &amp; &quot;` plus numeric ones, tags
balanced and properly nested, and no blockquote inside another.
"""

from __future__ import annotations

import html
import re

_PLAIN_TAGS = ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre")
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    **{tag: frozenset() for tag in _PLAIN_TAGS},
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
REQUIRED_ATTRIBUTES = {"a": "href", "tg-emoji": "emoji-id"}

_ENTITY = r"&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);"
_TOKEN = re.compile(
    rf"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attributes>[^<>]*)>"
    rf"|(?P<entity>{_ENTITY})"
    rf"|(?P<bare>[<&])"
)
_ATTRIBUTE = re.compile(r"\s+(?P<key>[A-Za-z-]+)(?:\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'))?")


def check_telegram_html(text: str) -> None:
    """Raise AssertionError unless `text` is HTML that Telegram's parser accepts."""
    open_tags: list[str] = []
    for token in _TOKEN.finditer(text):
        assert token["bare"] is None, f"bare {token['bare']!r} {_where(text, token)}"
        if token["name"] is None:
            continue
        name = token["name"].lower()
        assert name in ALLOWED_ATTRIBUTES, f"tag <{name}> not allowed {_where(text, token)}"
        if token["close"]:
            assert not token["attributes"].strip(), f"attributes on {_where(text, token)}"
            assert open_tags[-1:] == [name], f"</{name}> closes nothing of {open_tags}"
            open_tags.pop()
        else:
            _check_opening(name, _attributes(token), open_tags)
            open_tags.append(name)
    assert not open_tags, f"unclosed tags {open_tags}"


def links_in(text: str) -> list[str]:
    """Every `href` of an `<a>` tag in `text`, entities decoded, in order."""
    return [
        html.unescape(_attributes(token).get("href", ""))
        for token in _TOKEN.finditer(text)
        if (token["name"] or "").lower() == "a" and not token["close"]
    ]


def _where(text: str, token: re.Match[str]) -> str:
    return f"at {token.start()}: {text[max(0, token.start() - 30) : token.end() + 30]!r}"


def _check_opening(name: str, attributes: dict[str, str], open_tags: list[str]) -> None:
    """One opening tag: known attributes, required ones present, allowed nesting."""
    unknown = set(attributes) - ALLOWED_ATTRIBUTES[name]
    assert not unknown, f"<{name}> with attributes {sorted(unknown)}"
    required = REQUIRED_ATTRIBUTES.get(name)
    assert required is None or attributes.get(required), f"<{name}> without {required}"
    assert name not in open_tags, f"<{name}> nested in itself (inside {open_tags})"
    in_code = any(tag in ("code", "pre") for tag in open_tags)
    assert not in_code or (name, open_tags[-1]) == ("code", "pre"), f"<{name}> inside code/pre"


def _attributes(token: re.Match[str]) -> dict[str, str]:
    """The attributes of a tag token; malformed ones or bare `<`/`&` in values fail."""
    text = token["attributes"]
    found: dict[str, str] = {}
    position = 0
    for match in _ATTRIBUTE.finditer(text):
        assert match.start() == position, f"malformed attributes {text!r}"
        value = match["dq"] if match["dq"] is not None else match["sq"] or ""
        assert not re.search(r"[<&]", re.sub(_ENTITY, "", value)), f"bare < or & in {value!r}"
        found[match["key"].lower()] = value
        position = match.end()
    assert not text[position:].strip(), f"malformed attributes {text!r}"
    return found
