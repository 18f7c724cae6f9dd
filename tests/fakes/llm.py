"""A fake OpenAI-compatible chat-completions server (what the `openai` SDK talks to).

`FakeLLM` serves `POST {url}/v1/chat/completions` (so OPENAI_BASE_URL = `llm.base_url`) and
`GET {url}/v1/models`.  It checks `Authorization: Bearer <api_key>` (401 in OpenAI's error format
otherwise) and, like OpenAI, refuses `response_format={"type": "json_object"}` when no message
mentions "json" (400; turn off with `require_json_word=False`).

By default it "summarises" the paper it finds in the last user message (the first JSON object
there with a "title" key; else the whole message is the title) and answers a `chat.completion`
whose content is the JSON string
`{"title_zh": "中文标题：<title>", "tldr_zh": "这篇论文研究了<title>的问题并提出了新方法。",
"abstract_zh": "本文摘要的中文翻译：<first 80 chars of abstract>……"}`.

Scripting, in order of precedence: `hang_next` (delay, then carry on), `fail_next` (HTTP error),
`respond_with` (canned content / finish_reason), `set_handler(fn)` (content from the request),
the default above.  `stream: true` requests get the same answer as server-sent events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakes._server import FakeHTTPServer, FaultQueue, Request, Response

__all__ = [
    "FakeLLM",
    "LLMRequest",
    "default_summary",
    "find_paper",
    "last_user_text",
]

DEFAULT_API_KEY = "sk-test-key"

Handler = Callable[[dict[str, Any]], "str | dict[str, Any] | None"]


@dataclass
class LLMRequest:
    """One request: the parsed JSON `body`, arrival `time` and `end` (time.monotonic()), the
    HTTP `status` answered (None while in flight) and the `content` sent back (if any)."""

    body: dict[str, Any]
    time: float
    end: float | None = None
    status: int | None = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def start(self) -> float:
        return self.time

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        msgs = self.body.get("messages")
        return list(msgs) if isinstance(msgs, list) else []

    @property
    def user_text(self) -> str:
        """The text of the last user message."""
        return last_user_text(self.body)

    @property
    def paper(self) -> dict[str, Any] | None:
        """The paper JSON object found in the last user message, if any."""
        return find_paper(self.user_text)

    def __repr__(self) -> str:
        text = self.user_text
        short = text if len(text) <= 200 else text[:200] + "..."
        return (
            f"LLMRequest(status={self.status}, t={self.time:.3f}, model={self.model!r}, "
            f"user={short!r})"
        )


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def last_user_text(body: dict[str, Any]) -> str:
    """The text content of the last `role: user` message of a chat-completions body."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _message_text(message)
    return ""


def find_paper(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` that has a "title" key (searching nested objects too)."""
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1:
        try:
            value, _ = decoder.raw_decode(text, index)
        except ValueError:
            value = None
        if isinstance(value, dict) and "title" in value:
            return value
        index = text.find("{", index + 1)
    return None


def default_summary(body: dict[str, Any]) -> str:
    """The default answer content (a JSON string) for a chat-completions body."""
    text = last_user_text(body)
    paper = find_paper(text)
    if paper is not None:
        title, abstract = str(paper.get("title", "")), str(paper.get("abstract", ""))
    else:
        title, abstract = text, text
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    return json.dumps(
        {
            "title_zh": f"中文标题：{title}",
            "tldr_zh": f"这篇论文研究了{title}的问题并提出了新方法。",
            "abstract_zh": f"本文摘要的中文翻译：{abstract[:80]}……",
        },
        ensure_ascii=False,
    )


@dataclass
class _Reply:
    content: str
    finish_reason: str


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    message: str | None


_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model", "invalid_request_error", None),
    404: (
        "The model does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (
        "Rate limit reached for requests. Please try again later.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def _error_body(status: int, message: str | None = None, code: str | None = None) -> bytes:
    default_message, kind, default_code = _ERRORS.get(status, ("Error.", "server_error", None))
    return json.dumps(
        {
            "error": {
                "message": message or default_message,
                "type": kind,
                "param": None,
                "code": code or default_code,
            }
        }
    ).encode()


class FakeLLM(FakeHTTPServer):
    """Fake OpenAI-compatible server.  See the module docstring.

    Records: `requests` (list of `LLMRequest`, including refused ones), `count`,
    `max_in_flight`.  `wait_for` / `await_for` predicates receive the list of `LLMRequest`s.
    """

    def __init__(self, api_key: str = DEFAULT_API_KEY, require_json_word: bool = True) -> None:
        super().__init__()
        self.api_key = api_key
        self.require_json_word = require_json_word
        self.requests: list[LLMRequest] = []
        self._replies = FaultQueue()
        self._fails = FaultQueue()
        self._hangs = FaultQueue()
        self._latency = 0.0
        self._handler: Handler | None = None
        self._ids = 0

    @property
    def base_url(self) -> str:
        """`{url}/v1`: the value for OPENAI_BASE_URL / `AsyncOpenAI(base_url=...)`."""
        return self.url + "/v1"

    @property
    def count(self) -> int:
        """Number of chat-completion requests received (all outcomes)."""
        with self._cond:
            return len(self.requests)

    # ------------------------------------------------------------------ scripting
    def respond_with(
        self, content: str, finish_reason: str = "stop", count: int | None = 1
    ) -> None:
        """Answer the next `count` requests with this content (invalid JSON, a refusal, huge
        fields...) and finish_reason ("length" = truncated).  count=None: until cleared."""
        with self._cond:
            self._replies.add(_Reply(content, finish_reason), count)

    def fail_next(
        self,
        status: int,
        count: int | None = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `count` requests with HTTP `status` and OpenAI's error JSON (429 ->
        openai.RateLimitError, 500 -> InternalServerError...), plus `Retry-After` if given."""
        with self._cond:
            self._fails.add(_Failure(status, retry_after, message), count)

    def hang_next(self, seconds: float, count: int | None = 1) -> None:
        """Hold the next `count` responses for `seconds` (released at once by `close()`)."""
        with self._cond:
            self._hangs.add(seconds, count)

    def set_latency(self, seconds: float) -> None:
        """Delay every response by `seconds`."""
        with self._cond:
            self._latency = seconds

    def set_handler(self, fn: Handler | None) -> None:
        """`fn(body)` -> content string, or a full response dict sent as is, or None for the
        default answer.  `set_handler(None)` restores the default."""
        with self._cond:
            self._handler = fn

    def clear_faults(self) -> None:
        with self._cond:
            self._replies.clear()
            self._fails.clear()
            self._hangs.clear()
            self._latency = 0.0

    # ------------------------------------------------------------------ serving
    def _records(self) -> Sequence[Any]:
        return self.requests

    def _handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/v1/models":
            if not self._authorised(request):
                return Response(401, _error_body(401))
            models = {
                "object": "list",
                "data": [
                    {"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "fake"}
                ],
            }
            return Response(200, json.dumps(models).encode())
        if path != "/v1/chat/completions" or request.method != "POST":
            return Response(
                404,
                _error_body(404, f"Invalid URL ({request.method} {request.path})", "unknown_url"),
            )
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        record = LLMRequest(
            body=body if isinstance(body, dict) else {},
            time=time.monotonic(),
            headers=dict(request.headers),
        )
        with self._cond:
            self.requests.append(record)
            self._cond.notify_all()
        response = self._respond(request, record, body)
        with self._cond:
            record.status = response.status
            record.end = time.monotonic()
            self._cond.notify_all()
        return response

    def _authorised(self, request: Request) -> bool:
        return request.header("authorization") == f"Bearer {self.api_key}"

    def _respond(self, request: Request, record: LLMRequest, body: Any) -> Response:
        if not self._authorised(request):
            given = request.header("authorization").removeprefix("Bearer ")
            masked = given[:3] + "*" * max(0, len(given) - 7) + given[-4:] if given else ""
            return Response(
                401,
                _error_body(
                    401,
                    f"Incorrect API key provided: {masked}. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                ),
            )
        if not isinstance(body, dict):
            return Response(
                400, _error_body(400, "We could not parse the JSON body of your request.")
            )
        with self._cond:
            hang = self._hangs.take() or 0.0
            failure = self._fails.take()
            reply = self._replies.take() if failure is None else None
            handler = self._handler
            latency = self._latency
        self._sleep(latency + hang)
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after).removesuffix(".0")
            return Response(
                failure.status, _error_body(failure.status, failure.message), headers=headers
            )
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return Response(400, _error_body(400, "'messages' must be a non-empty array."))
        fmt = body.get("response_format")
        if (
            self.require_json_word
            and isinstance(fmt, dict)
            and fmt.get("type") == "json_object"
            and not any(
                "json" in _message_text(m).lower() for m in body["messages"] if isinstance(m, dict)
            )
        ):
            return Response(
                400,
                _error_body(
                    400,
                    "'messages' must contain the word 'json' in some form, to use "
                    "'response_format' of type 'json_object'.",
                ),
            )

        finish_reason = "stop"
        if reply is not None:
            content, finish_reason = reply.content, reply.finish_reason
        else:
            produced = handler(body) if handler is not None else None
            if isinstance(produced, dict):
                return Response(200, json.dumps(produced, ensure_ascii=False).encode("utf-8"))
            content = produced if isinstance(produced, str) else default_summary(body)
        record.content = content
        with self._cond:
            self._ids += 1
            completion_id = f"chatcmpl-fake{self._ids}"
        prompt = "".join(_message_text(m) for m in body["messages"] if isinstance(m, dict))
        usage = {
            "prompt_tokens": len(prompt) // 4,
            "completion_tokens": max(1, len(content) // 4),
            "total_tokens": len(prompt) // 4 + max(1, len(content) // 4),
        }
        model = str(body.get("model", "gpt-4o-mini"))
        created = int(time.time())
        if body.get("stream"):
            return _stream(completion_id, created, model, content, finish_reason, usage, body)
        answer = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage,
        }
        return Response(200, json.dumps(answer, ensure_ascii=False).encode("utf-8"))


def _stream(
    completion_id: str,
    created: int,
    model: str,
    content: str,
    finish_reason: str,
    usage: dict[str, int],
    body: dict[str, Any],
) -> Response:
    def chunk(delta: dict[str, Any], finish: str | None) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return "data: " + json.dumps(data, ensure_ascii=False) + "\n\n"

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": content[i : i + 20]}, None) for i in range(0, len(content), 20)]
    events.append(chunk({}, finish_reason))
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
        }
        events.append("data: " + json.dumps(data) + "\n\n")
    events.append("data: [DONE]\n\n")
    return Response(200, "".join(events).encode("utf-8"), "text/event-stream; charset=utf-8")
