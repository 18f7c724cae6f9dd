"""A fake Telegram Bot API server (what `https://api.telegram.org` answers to a bot).

`FakeBotApi` serves `{root}/bot{token}/{method}` (GET or POST; form-urlencoded as sent by
python-telegram-bot, JSON, or multipart) and answers like the real Bot API: `{"ok": true,
"result": ...}` or `{"ok": false, "error_code": N, "description": ..., "parameters": {...}}` with
the same HTTP status, so PTB raises the same exceptions (`RetryAfter`, `ChatMigrated`,
`Forbidden`, `BadRequest`, `InvalidToken`).

Point the bot at it with `ApplicationBuilder().token(tg.token).base_url(tg.url + "/bot")` (or
TELEGRAM_API_URL = `tg.url`).  Every call is recorded as a `Call` in `tg.calls`; feed the bot
with `tg.push_update(...)` / `tg.push_message("/start")`, which its `getUpdates` long poll
receives at once.

`sendMessage` with `parse_mode=HTML` is checked like Telegram does (unsupported or unbalanced tags
-> 400 "Bad Request: can't parse entities: ...", more than 4096 UTF-16 units after parsing ->
400 "Bad Request: message is too long"); set `tg.strict_html = False` to only strip tags.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes._server import FakeHTTPServer, FaultQueue, Request, Response

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "Call",
    "FakeBotApi",
    "HtmlParseError",
    "UploadedFile",
    "make_callback_query_update",
    "make_channel_post_update",
    "make_message_update",
    "make_my_chat_member_update",
    "parse_telegram_html",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_USER_ID = 111111
DEFAULT_GROUP_ID = -1001234567890
DEFAULT_CHANNEL_ID = -1009876543210
ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot: how anonymous group admins post
CHANNEL_BOT_ID = 136817688  # @Channel_Bot: how channels post in linked groups
MAX_TEXT_LENGTH = 4096

# Parameters whose values stay raw strings even when they look like numbers or JSON.
_RAW_KEYS = frozenset(
    {
        "text",
        "caption",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "question",
        "explanation",
        "custom_title",
        "first_name",
        "last_name",
        "url",
        "callback_query_id",
        "inline_message_id",
        "parse_mode",
        "emoji",
        "username",
        "language_code",
        "secret_token",
        "business_connection_id",
    }
)
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?\d+\.\d+")

_TRUE_METHODS = frozenset(
    {
        "deleteWebhook",
        "setWebhook",
        "setMyCommands",
        "deleteMyCommands",
        "sendChatAction",
        "deleteMessage",
        "deleteMessages",
        "answerCallbackQuery",
        "leaveChat",
        "pinChatMessage",
        "unpinChatMessage",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "setMessageReaction",
        "close",
        "logOut",
    }
)
_KNOWN_METHODS = _TRUE_METHODS | {
    "getMe",
    "getUpdates",
    "getWebhookInfo",
    "getMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
}
_CANONICAL = {m.lower(): m for m in _KNOWN_METHODS}

_msg_counter = itertools.count(100_000)  # message ids of module-level update builders


# ====================================================================== records


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class Call:
    """One Bot API call: `method` (canonical spelling, e.g. "sendMessage"), decoded `params`,
    `time` (time.monotonic() at arrival), and the answer: `status` (HTTP code; 200 = ok) and
    `result` (the `result` sent back, or the error JSON).  For getUpdates the result is filled in
    when the long poll returns (None while it waits)."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    result: Any = None
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The raw `text` parameter (HTML source when parse_mode=HTML)."""
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    @property
    def message(self) -> dict[str, Any] | None:
        """The Message returned (sendMessage / editMessageText / sendDocument), else None."""
        return self.result if self.ok and isinstance(self.result, dict) else None

    def __repr__(self) -> str:
        params = {k: _short(v) for k, v in self.params.items()}
        return f"Call({self.method!r}, status={self.status}, t={self.time:.3f}, params={params})"


def _short(value: Any, limit: int = 300) -> Any:
    text = value if isinstance(value, str) else None
    if text is not None and len(text) > limit:
        return text[:limit] + f"...(+{len(text) - limit} chars)"
    return value


# ====================================================================== parameter decoding


def _decode_value(key: str, raw: str) -> Any:
    if key in _RAW_KEYS:
        return raw
    stripped = raw.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return raw
    if _INT_RE.fullmatch(stripped):
        return int(stripped)
    if _FLOAT_RE.fullmatch(stripped):
        return float(stripped)
    if stripped in ("true", "false"):
        return stripped == "true"
    return raw


def _decode_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, values in request.query.items():
        params[key] = _decode_value(key, values[-1])
    ctype = request.header("content-type").lower()
    body = request.body
    if not body:
        return params
    if ctype.startswith("application/json"):
        data = json.loads(body)
        if isinstance(data, dict):
            params.update(data)
    elif ctype.startswith("multipart/form-data"):
        head = b"Content-Type: " + request.header("content-type").encode() + b"\r\n\r\n"
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in msg.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                params[name] = UploadedFile(filename, part.get_content_type(), payload)
            else:
                params[name] = _decode_value(name, payload.decode("utf-8"))
    else:  # application/x-www-form-urlencoded (PTB's default)
        for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
            params[key] = _decode_value(key, values[-1])
    return params


# ====================================================================== Telegram HTML

_SUPPORTED_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]+);")
_TAG_NAME_RE = re.compile(r"[^\s>/]*")
_ATTR_RE = re.compile(r"""([A-Za-z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


class HtmlParseError(ValueError):
    """Telegram would refuse this HTML ("can't parse entities: <message>")."""


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(match: re.Match[str]) -> str | None:
    ref = match.group(1)
    if ref[0] == "#":
        code = int(ref[2:], 16) if ref[1:2] in ("x", "X") else int(ref[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return None
    return _NAMED_ENTITIES.get(ref)


def _unescape(text: str) -> str:
    return _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), text)


def parse_telegram_html(source: str, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Bot API HTML into (plain text, entities) like Telegram does.

    Entity offsets/lengths are in UTF-16 code units.  With `strict`, raises HtmlParseError for
    what Telegram rejects: unsupported tags, unbalanced tags, a `<` that starts no tag.  Unknown
    `&name;` references are kept literally (as Telegram does).
    """
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(source)

    def byte_offset(k: int) -> int:
        return len(source[:k].encode("utf-8"))

    def fail(message: str) -> None:
        if strict:
            raise HtmlParseError(message)

    while i < n:
        ch = source[i]
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            decoded = _decode_entity(m) if m else None
            if m is not None and decoded is not None:
                out.append(decoded)
                pos16 += _utf16_len(decoded)
                i = m.end()
            else:
                out.append("&")
                pos16 += 1
                i += 1
            continue
        if ch != "<":
            out.append(ch)
            pos16 += _utf16_len(ch)
            i += 1
            continue

        begin = i
        if source.startswith("</", i):
            m = _TAG_NAME_RE.match(source, i + 2)
            assert m is not None
            name = m.group().lower()
            j = m.end()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
                i = j
                continue
            i = j + 1
            if not stack:
                fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
                continue
            tag, attrs, start16 = stack[-1]
            if name and name != tag:
                fail(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
                continue
            stack.pop()
            _close_entity(tag, attrs, start16, pos16, stack, entities)
            continue

        m = _TAG_NAME_RE.match(source, i + 1)
        assert m is not None
        name = m.group().lower()
        if name not in _SUPPORTED_TAGS:
            fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
            out.append("<")
            pos16 += 1
            i += 1
            continue
        j = m.end()
        attrs: dict[str, str] = {}
        closed = False
        while j < n:
            if source[j].isspace():
                j += 1
                continue
            if source[j] == ">":
                closed = True
                j += 1
                break
            am = _ATTR_RE.match(source, j)
            if am is None:
                break
            value = next((g for g in am.groups()[1:] if g is not None), "")
            attrs[am.group(1).lower()] = _unescape(value)
            j = am.end()
        if not closed:
            fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            out.append("<")
            pos16 += 1
            i += 1
            continue
        if name == "span" and attrs.get("class") != "tg-spoiler":
            fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
        if name == "tg-emoji" and "emoji-id" not in attrs:
            fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_offset(begin)}'
            )
        stack.append((name, attrs, pos16))
        i = j

    if stack:
        fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(
    tag: str,
    attrs: dict[str, str],
    start16: int,
    end16: int,
    stack: list[tuple[str, dict[str, str], int]],
    entities: list[dict[str, Any]],
) -> None:
    length = end16 - start16
    if length <= 0:
        return
    kind = _SUPPORTED_TAGS[tag]
    entity: dict[str, Any] = {"type": kind, "offset": start16, "length": length}
    if tag == "a":
        href = attrs.get("href")
        if not href:
            return
        entity["url"] = href
    elif tag == "code":
        language = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and language.startswith("language-"):
            stack[-1][1]["_language"] = language.removeprefix("language-")
            return
    elif tag == "pre" and attrs.get("_language"):
        entity["language"] = attrs["_language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    entities.append(entity)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading/trailing white space from message texts."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    kept = []
    for e in entities:
        start = max(e["offset"] - lead, 0)
        end = min(e["offset"] + e["length"] - lead, total)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept


# ====================================================================== update builders


def _user_dict(
    user_id: int, first_name: str = "Alice", username: str | None = None
) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en",
    }
    if username:
        user["username"] = username
    return user


def _default_chat(
    chat_id: int, chat_type: str | None = None, title: str | None = None
) -> dict[str, Any]:
    ctype = chat_type or ("private" if chat_id > 0 else "supergroup")
    chat: dict[str, Any] = {"id": chat_id, "type": ctype}
    if ctype == "private":
        chat["first_name"] = title or "Alice"
    else:
        chat["title"] = title or ("Test Channel" if ctype == "channel" else "Test Group")
    return chat


def _command_entities(text: str | None) -> list[dict[str, Any]] | None:
    if not text or not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(word)}]


def _reply_dict(reply_to: int | dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
    if isinstance(reply_to, dict):
        return reply_to
    return {"message_id": reply_to, "date": int(time.time()) - 60, "chat": chat, "text": ""}


def make_message_update(
    text: str | None,
    chat_id: int = DEFAULT_USER_ID,
    user_id: int | None = None,
    chat_type: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    caption: str | None = None,
    reply_to: int | dict[str, Any] | None = None,
    message_id: int | None = None,
    first_name: str = "Alice",
    sender_chat: int | dict[str, Any] | None = None,
    title: str | None = None,
    username: str | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A `{"message": ...}` update as Telegram sends it.

    `chat_type` defaults to "private" for a positive chat id, "supergroup" for a negative one.
    `user_id` defaults to the chat id in private chats, else to 111111.  A text (or caption)
    starting with "/" gets a `bot_command` entity over its first word (e.g.
    "/summary@digest_test_bot").  `reply_to` is a message id (a minimal message is made up) or a
    full message dict.  `sender_chat` (id or chat dict) makes an anonymous post: `sender_chat` equal
    to the group itself -> from = @GroupAnonymousBot (1087968824); another id -> a linked channel
    (from = @Channel_Bot).
    """
    ctype = chat_type or ("private" if chat_id > 0 else "supergroup")
    chat = _default_chat(chat_id, ctype, title if ctype != "private" else first_name)
    if ctype == "private" and username:
        chat["username"] = username
    uid = user_id if user_id is not None else (chat_id if ctype == "private" else DEFAULT_USER_ID)
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_msg_counter),
        "from": _user_dict(uid, first_name, username),
        "chat": chat,
        "date": int(time.time()),
    }
    if sender_chat is not None:
        if isinstance(sender_chat, dict):
            sc = sender_chat
        elif sender_chat == chat_id:
            sc = chat
        else:
            sc = _default_chat(sender_chat, "channel")
        message["sender_chat"] = sc
        if sc["id"] == chat_id:
            message["from"] = {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
        else:
            message["from"] = {
                "id": CHANNEL_BOT_ID,
                "is_bot": True,
                "first_name": "Channel",
                "username": "Channel_Bot",
            }
    if text is not None:
        message["text"] = text
        ents = entities if entities is not None else _command_entities(text)
        if ents:
            message["entities"] = ents
    if caption is not None:
        message["caption"] = caption
        cents = _command_entities(caption) if text is not None or entities is None else entities
        if cents:
            message["caption_entities"] = cents
    if reply_to is not None:
        message["reply_to_message"] = _reply_dict(reply_to, chat)
    update: dict[str, Any] = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def make_channel_post_update(
    text: str | None,
    chat_id: int = DEFAULT_CHANNEL_ID,
    title: str = "Test Channel",
    username: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    caption: str | None = None,
    message_id: int | None = None,
    author_signature: str | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A `{"channel_post": ...}` update: no `from`, `sender_chat` = the channel."""
    chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
    if username:
        chat["username"] = username
    post: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_msg_counter),
        "sender_chat": chat,
        "chat": chat,
        "date": int(time.time()),
    }
    if text is not None:
        post["text"] = text
        ents = entities if entities is not None else _command_entities(text)
        if ents:
            post["entities"] = ents
    if caption is not None:
        post["caption"] = caption
        cents = _command_entities(caption)
        if cents:
            post["caption_entities"] = cents
    if author_signature:
        post["author_signature"] = author_signature
    update: dict[str, Any] = {"channel_post": post}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def _member_dict(status: str, user: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_post_messages=True,
            can_edit_messages=True,
            can_pin_messages=True,
        )
    elif status == "restricted":
        member.update(
            is_member=True,
            can_change_info=False,
            can_invite_users=False,
            can_pin_messages=False,
            can_send_messages=False,
            can_send_polls=False,
            can_send_other_messages=False,
            can_add_web_page_previews=False,
            can_manage_topics=False,
            until_date=0,
            can_send_audios=False,
            can_send_documents=False,
            can_send_photos=False,
            can_send_videos=False,
            can_send_video_notes=False,
            can_send_voice_notes=False,
            can_edit_tag=False,
        )
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unknown chat member status {status!r}")
    member.update(extra)
    return member


def make_my_chat_member_update(
    chat_id: int = DEFAULT_GROUP_ID,
    new_status: str = "member",
    old_status: str = "left",
    user_id: int = DEFAULT_USER_ID,
    chat_type: str | None = None,
    title: str | None = None,
    first_name: str = "Alice",
    bot_id: int = 123456,
    bot_username: str = "digest_test_bot",
    update_id: int | None = None,
) -> dict[str, Any]:
    """A `{"my_chat_member": ...}` update: user `user_id` changed the bot's status in a chat
    (added: left -> member/administrator; removed: member -> left/kicked; a private chat
    blocked: member -> kicked with chat_type "private")."""
    chat = _default_chat(chat_id, chat_type, title)
    bot_user = {"id": bot_id, "is_bot": True, "first_name": "Digest", "username": bot_username}
    update: dict[str, Any] = {
        "my_chat_member": {
            "chat": chat,
            "from": _user_dict(user_id, first_name),
            "date": int(time.time()),
            "old_chat_member": _member_dict(old_status, bot_user, {}),
            "new_chat_member": _member_dict(new_status, bot_user, {}),
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


def make_callback_query_update(
    data: str,
    message: dict[str, Any] | int,
    chat_id: int = DEFAULT_USER_ID,
    user_id: int | None = None,
    first_name: str = "Alice",
    query_id: str | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A `{"callback_query": ...}` update: a user pressed an inline button under `message`."""
    chat = _default_chat(chat_id)
    uid = user_id if user_id is not None else (chat_id if chat_id > 0 else DEFAULT_USER_ID)
    msg = message if isinstance(message, dict) else _reply_dict(message, chat)
    update: dict[str, Any] = {
        "callback_query": {
            "id": query_id or str(next(_msg_counter)),
            "from": _user_dict(uid, first_name),
            "message": msg,
            "chat_instance": str(abs(chat_id)),
            "data": data,
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


# ====================================================================== the fake server


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: Any


@dataclass
class _ChatState:
    chat: dict[str, Any]
    next_message_id: int = 1
    members: dict[int, dict[str, Any]] = field(default_factory=dict)


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after 3",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class FakeBotApi(FakeHTTPServer):
    """Fake Telegram Bot API server.  See the module docstring.

    Records: `calls` (every authorised call, in arrival order), `updates` (every pushed update),
    `messages` ({(chat_id, message_id): current message dict} for what the bot sent/edited),
    `commands` (last setMyCommands list), `unauthorized` (count of wrong-token requests).
    `wait_for` / `await_for` predicates receive the list of `Call`s.
    """

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        super().__init__()
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456
        self.bot_username = "digest_test_bot"
        self.bot_first_name = "Digest"
        self.strict_html = True
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.unauthorized = 0
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._chats: dict[Any, _ChatState] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._faults = FaultQueue()
        self._delays: dict[str, float] = {}

    # ------------------------------------------------------------------ identity
    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a User dict (as in `from` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @property
    def api_root(self) -> str:
        """`url + "/bot"`: what PTB's `base_url` wants (the token is appended)."""
        return self.url + "/bot"

    # ------------------------------------------------------------------ scripting
    def add_chat(
        self,
        chat_id: int,
        type: str | None = None,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """Register (or overwrite) a chat; sendMessage/getChat answer with it."""
        chat = _default_chat(chat_id, type, title or first_name)
        if username:
            chat["username"] = username
        with self._cond:
            state = self._chats.get(chat_id)
            if state is None:
                self._chats[chat_id] = _ChatState(chat)
            else:
                state.chat = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str = "member", **fields: Any) -> None:
        """Control getChatMember: status "creator" | "administrator" | "member" | "restricted" |
        "left" | "kicked"; extra `fields` override the defaults (e.g. can_post_messages=False).
        Defaults: "member" for users, "administrator" with can_post_messages for the bot."""
        _member_dict(status, {}, {})  # validates the status
        with self._cond:
            self._chat_state(chat_id).members[user_id] = {"status": status, **fields}

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        count: int | None = 1,
        chat_id: Any = None,
    ) -> None:
        """Make the next `count` calls of `method` ("*" = any; only those for `chat_id` if given)
        fail with the Bot API error JSON.  `count=None`: until `clear_faults()`.
        E.g. `fail_next("sendMessage", 429, "Too Many Requests: retry after 3",
        {"retry_after": 3})`, `fail_next("sendMessage", 403, "Forbidden: bot was kicked from the
        group chat", chat_id=-100)`, `fail_next("sendMessage", 400, "Bad Request: group chat was
        upgraded to a supergroup chat", {"migrate_to_chat_id": -100123})`."""
        desc = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")
        canonical = "*" if method == "*" else _CANONICAL.get(method.lower(), method)
        with self._cond:
            self._faults.add(_Fault(canonical, status, desc, parameters, chat_id), count)

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    def set_delay(self, method: str, seconds: float) -> None:
        """Hold every answer to `method` ("*" = all but getUpdates) for `seconds` (0 removes)."""
        canonical = "*" if method == "*" else _CANONICAL.get(method.lower(), method)
        with self._cond:
            if seconds > 0:
                self._delays[canonical] = seconds
            else:
                self._delays.pop(canonical, None)

    # ------------------------------------------------------------------ updates
    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (assigns `update_id` if missing); returns the id."""
        with self._cond:
            if "update_id" not in update:
                update = {"update_id": self._next_update_id, **update}
            uid = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, uid + 1)
            self._learn(update)
            self.updates.append(update)
            self._pending.append(update)
            self._cond.notify_all()
            return uid

    def push_message(self, text: str | None, **kwargs: Any) -> int:
        """`push_update(self.make_message_update(text, **kwargs))`."""
        return self.push_update(self.make_message_update(text, **kwargs))

    def make_message_update(self, text: str | None, **kwargs: Any) -> dict[str, Any]:
        """`make_message_update` with message ids from this chat's sequence (shared with the
        bot's messages) and `reply_to=<id>` resolved to the stored message when known."""
        chat_id = kwargs.get("chat_id", DEFAULT_USER_ID)
        with self._cond:
            if kwargs.get("message_id") is None:
                kwargs["message_id"] = self._take_message_id(chat_id)
            reply_to = kwargs.get("reply_to")
            if isinstance(reply_to, int) and (chat_id, reply_to) in self.messages:
                kwargs["reply_to"] = dict(self.messages[(chat_id, reply_to)])
        return make_message_update(text, **kwargs)

    def make_channel_post_update(self, text: str | None, **kwargs: Any) -> dict[str, Any]:
        chat_id = kwargs.get("chat_id", DEFAULT_CHANNEL_ID)
        with self._cond:
            if kwargs.get("message_id") is None:
                kwargs["message_id"] = self._take_message_id(chat_id)
        return make_channel_post_update(text, **kwargs)

    def make_my_chat_member_update(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("bot_id", self.bot_id)
        kwargs.setdefault("bot_username", self.bot_username)
        return make_my_chat_member_update(**kwargs)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._pending)

    # ------------------------------------------------------------------ queries
    def calls_to(self, method: str, chat_id: Any = None, ok_only: bool = True) -> list[Call]:
        """Calls of `method` (optionally for one chat; by default only successful ones)."""
        canonical = _CANONICAL.get(method.lower(), method)
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == canonical
                and (chat_id is None or str(c.chat_id) == str(chat_id))
                and (c.ok or not ok_only)
            ]

    def sent(self, chat_id: Any = None) -> list[Call]:
        """Successful sendMessage calls (optionally to one chat), in order."""
        return self.calls_to("sendMessage", chat_id)

    def sent_texts(self, chat_id: Any = None) -> list[str]:
        """The raw `text` parameters (HTML source) of `sent(chat_id)`."""
        return [c.text or "" for c in self.sent(chat_id)]

    def sent_plain_texts(self, chat_id: Any = None) -> list[str]:
        """The texts as Telegram stored them (tags stripped, entities unescaped)."""
        return [str((c.message or {}).get("text", "")) for c in self.sent(chat_id)]

    def chat_messages(self, chat_id: Any) -> list[dict[str, Any]]:
        """Current state (after edits) of the bot's messages in one chat, by message id."""
        with self._cond:
            found = [m for (cid, _), m in self.messages.items() if str(cid) == str(chat_id)]
        return sorted(found, key=lambda m: int(m["message_id"]))

    # wait helpers over sendMessage, for convenience
    def wait_sent(self, n: int = 1, chat_id: Any = None, timeout: float = 10) -> list[Call]:
        """Wait until at least `n` successful sendMessage calls (to `chat_id`); returns them."""

        def enough(calls: list[Call]) -> list[Call] | None:
            found = [
                c
                for c in calls
                if c.method == "sendMessage"
                and c.ok
                and (chat_id is None or str(c.chat_id) == str(chat_id))
            ]
            return found if len(found) >= n else None

        return list(self.wait_for(enough, timeout))

    async def await_sent(self, n: int = 1, chat_id: Any = None, timeout: float = 10) -> list[Call]:  # noqa: ASYNC109
        """Async `wait_sent`."""

        def enough(calls: list[Call]) -> list[Call] | None:
            found = [
                c
                for c in calls
                if c.method == "sendMessage"
                and c.ok
                and (chat_id is None or str(c.chat_id) == str(chat_id))
            ]
            return found if len(found) >= n else None

        return list(await self.await_for(enough, timeout))

    # ------------------------------------------------------------------ internals
    def _records(self) -> Sequence[Any]:
        return self.calls

    def _chat_state(self, chat_id: Any) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            state = _ChatState(_default_chat(int(chat_id)))
            self._chats[chat_id] = state
        return state

    def _take_message_id(self, chat_id: Any) -> int:
        state = self._chat_state(chat_id)
        mid = state.next_message_id
        state.next_message_id += 1
        return mid

    def _learn(self, update: dict[str, Any]) -> None:
        """Remember chats and users seen in an update (without overriding registrations)."""
        for value in update.values():
            if not isinstance(value, dict):
                continue
            for obj in (value, value.get("message")):
                if not isinstance(obj, dict):
                    continue
                chat = obj.get("chat")
                if isinstance(chat, dict) and "id" in chat and chat["id"] not in self._chats:
                    self._chats[chat["id"]] = _ChatState(dict(chat))
                user = obj.get("from")
                if isinstance(user, dict) and "id" in user:
                    self._users.setdefault(user["id"], dict(user))
                mid = obj.get("message_id")
                if (
                    isinstance(chat, dict)
                    and isinstance(mid, int)
                    and chat.get("id") in self._chats
                ):
                    state = self._chats[chat["id"]]
                    state.next_message_id = max(state.next_message_id, mid + 1)

    def _resolve_chat(self, chat_id: Any) -> Any:
        """Normalise a chat_id parameter to a registry key; None if unknown @username."""
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for key, state in self._chats.items():
                if state.chat.get("username") == chat_id[1:]:
                    return key
            return None
        try:
            return int(chat_id)
        except (TypeError, ValueError):
            return None

    def _handle(self, request: Request) -> Response:
        parts = request.path.split("/")
        # "", "bot<token>", "<method>"
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return _error(404, "Not Found")
        if parts[1][3:] != self.token:
            with self._cond:
                self.unauthorized += 1
                self._cond.notify_all()
            return _error(401, "Unauthorized")
        method = _CANONICAL.get(parts[2].lower(), parts[2])
        params = _decode_params(request)
        call = Call(method, params, time.monotonic(), http_method=request.method)

        if method == "getUpdates":
            with self._cond:
                self.calls.append(call)
                self._cond.notify_all()
            status, result = self._get_updates(params)
            with self._cond:
                call.status, call.result = status, result
                self._cond.notify_all()
            return _answer(status, result)

        with self._cond:
            fault = self._faults.take(
                lambda f: (
                    f.method in ("*", method)
                    and (f.chat_id is None or str(f.chat_id) == str(params.get("chat_id")))
                )
            )
            if fault is not None:
                status = fault.status
                result: Any = {"ok": False, "error_code": status, "description": fault.description}
                if fault.parameters:
                    result["parameters"] = fault.parameters
            elif method not in _KNOWN_METHODS:
                status, result = 404, _error_json(404, "Not Found: method not found")
            else:
                status, result = self._answer_method(method, params)
            call.status, call.result = status, result
            self.calls.append(call)
            delay = self._delays.get(method, self._delays.get("*", 0.0))
            self._cond.notify_all()
        self._sleep(delay)
        return _answer(status, result)

    def _get_updates(self, params: dict[str, Any]) -> tuple[int, Any]:
        offset = params.get("offset")
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if isinstance(offset, int) and offset != 0:
                if offset > 0:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                else:
                    self._pending = self._pending[offset:]
            while not self._pending and not self._closing.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return 200, [dict(u) for u in self._pending[: max(1, min(limit, 100))]]

    def _answer_method(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Success-path answers; runs under the lock.  Returns (status, result-or-error-json)."""
        if method == "getMe":
            return 200, {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        if method in _TRUE_METHODS:
            if method == "setMyCommands":
                cmds = params.get("commands")
                self.commands = list(cmds) if isinstance(cmds, list) else []
            elif method == "deleteMyCommands":
                self.commands = []
            return 200, True
        if method == "getMyCommands":
            return 200, list(self.commands)
        if method == "getWebhookInfo":
            return 200, {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }
        if method in ("sendMessage", "sendDocument"):
            return self._send(method, params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(method, params)
        if method == "getChat":
            key = self._resolve_chat(params.get("chat_id"))
            if key is None:
                return 400, _error_json(400, "Bad Request: chat not found")
            chat = self._chat_state(key).chat
            return 200, {
                **chat,
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        if method == "getChatMember":
            key = self._resolve_chat(params.get("chat_id"))
            if key is None:
                return 400, _error_json(400, "Bad Request: chat not found")
            user_id = params.get("user_id")
            if not isinstance(user_id, int):
                return 400, _error_json(400, "Bad Request: invalid user_id specified")
            return 200, self._member(key, user_id)
        if method == "getChatAdministrators":
            key = self._resolve_chat(params.get("chat_id"))
            if key is None:
                return 400, _error_json(400, "Bad Request: chat not found")
            state = self._chat_state(key)
            ids = {self.bot_id, *state.members}
            admins = [self._member(key, uid) for uid in sorted(ids)]
            return 200, [m for m in admins if m["status"] in ("administrator", "creator")]
        return 404, _error_json(404, "Not Found: method not found")

    def _member(self, chat_key: Any, user_id: int) -> dict[str, Any]:
        state = self._chat_state(chat_key)
        if user_id == self.bot_id:
            user = self.bot_user
            spec = state.members.get(user_id, {"status": "administrator"})
        else:
            user = self._users.get(user_id) or _user_dict(user_id, f"User{user_id}")
            spec = state.members.get(user_id, {"status": "member"})
        extra = {k: v for k, v in spec.items() if k != "status"}
        return _member_dict(spec["status"], user, extra)

    def _render_text(
        self, params: dict[str, Any], key: str = "text"
    ) -> tuple[str, list[dict[str, Any]]] | tuple[int, Any]:
        raw = params.get(key)
        if not isinstance(raw, str):
            raw = "" if raw is None else str(raw)
        given = params.get("entities" if key == "text" else "caption_entities")
        mode = str(params.get("parse_mode") or "")
        if isinstance(given, list):
            text, entities = raw, list(given)
        elif mode.upper() == "HTML":
            try:
                text, entities = parse_telegram_html(raw, strict=self.strict_html)
            except HtmlParseError as exc:
                return 400, _error_json(400, f"Bad Request: can't parse entities: {exc}")
        else:
            text, entities = raw, []
        return _trim(text, entities)

    def _send(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("chat_id") in (None, ""):
            return 400, _error_json(400, "Bad Request: chat_id is empty")
        key = self._resolve_chat(params["chat_id"])
        if key is None:
            return 400, _error_json(400, "Bad Request: chat not found")
        state = self._chat_state(key)
        message: dict[str, Any] = {
            "message_id": 0,
            "from": self.bot_user,
            "chat": dict(state.chat),
            "date": int(time.time()),
        }
        if state.chat.get("type") == "channel":
            message.pop("from")
            message["sender_chat"] = dict(state.chat)
        if method == "sendMessage":
            rendered = self._render_text(params)
            if isinstance(rendered[0], int):
                return rendered  # type: ignore[return-value]
            text, entities = rendered
            if not text:
                return 400, _error_json(400, "Bad Request: message text is empty")
            if _utf16_len(text) > MAX_TEXT_LENGTH:
                return 400, _error_json(400, "Bad Request: message is too long")
            message["text"] = text
            if entities:
                message["entities"] = entities
        else:
            doc = params.get("document")
            name = doc.filename if isinstance(doc, UploadedFile) else "document"
            size = len(doc.data) if isinstance(doc, UploadedFile) else 0
            message["document"] = {
                "file_id": f"BQAC-{len(self.calls)}",
                "file_unique_id": f"u{len(self.calls)}",
                "file_name": name,
                "file_size": size,
            }
            if params.get("caption") is not None:
                rendered = self._render_text(params, "caption")
                if isinstance(rendered[0], int):
                    return rendered  # type: ignore[return-value]
                caption, centities = rendered
                message["caption"] = caption
                if centities:
                    message["caption_entities"] = centities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        reply_id = None
        reply_params = params.get("reply_parameters")
        if isinstance(reply_params, dict):
            reply_id = reply_params.get("message_id")
        elif isinstance(params.get("reply_to_message_id"), int):
            reply_id = params["reply_to_message_id"]
        if reply_id is not None and (key, reply_id) in self.messages:
            message["reply_to_message"] = dict(self.messages[(key, reply_id)])
        message["message_id"] = self._take_message_id(key)
        self.messages[(key, message["message_id"])] = message
        return 200, message

    def _edit(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("inline_message_id"):
            return 200, True
        key = self._resolve_chat(params.get("chat_id"))
        mid = params.get("message_id")
        stored = self.messages.get((key, mid)) if isinstance(mid, int) else None
        if stored is None:
            return 400, _error_json(400, "Bad Request: message to edit not found")
        updated = dict(stored)
        if method == "editMessageText":
            rendered = self._render_text(params)
            if isinstance(rendered[0], int):
                return rendered  # type: ignore[return-value]
            text, entities = rendered
            if not text:
                return 400, _error_json(400, "Bad Request: message text is empty")
            if _utf16_len(text) > MAX_TEXT_LENGTH:
                return 400, _error_json(400, "Bad Request: message is too long")
            updated["text"] = text
            updated.pop("entities", None)
            if entities:
                updated["entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        same = {k: v for k, v in updated.items() if k != "edit_date"} == {
            k: v for k, v in stored.items() if k != "edit_date"
        }
        if same:
            return 400, _error_json(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        updated["edit_date"] = int(time.time())
        self.messages[(key, mid)] = updated
        return 200, updated


def _error_json(status: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": status, "description": description}


def _error(status: int, description: str) -> Response:
    return Response(status, json.dumps(_error_json(status, description)).encode())


def _answer(status: int, result: Any) -> Response:
    body = {"ok": True, "result": result} if status == 200 else result
    return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))
