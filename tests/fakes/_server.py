"""Shared machinery of the fake HTTP servers.

Each fake is a stdlib `ThreadingHTTPServer` bound to 127.0.0.1 on an ephemeral port and served
from a daemon thread.  Subclasses implement `_handle(request) -> Response` and `_records()` (the
list that `wait_for` predicates look at).  Every piece of state lives behind one
`threading.Condition`; whoever changes a record calls `_notify()` so waiters wake up at once.
Nothing sleeps for real: delays are `Event.wait(seconds)` on the closing event, so `close()`
releases every held response immediately.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

_T = TypeVar("_T")
_S = TypeVar("_S", bound="FakeHTTPServer")

# Public so predicates can be typed as `Callable[[list[Call]], Any]`.
Predicate = Callable[[list[Any]], Any]


@dataclass
class Request:
    """One HTTP request as the fake server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """What the handler wants written back."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class _Timed(Protocol):
    start: float
    end: float | None


def min_start_gap(requests: Iterable[_Timed]) -> float:
    """Smallest time between the *starts* of two consecutive requests (inf if fewer than 2)."""
    starts = sorted(r.start for r in requests)
    return min((b - a for a, b in itertools.pairwise(starts)), default=math.inf)


def min_idle_gap(requests: Iterable[_Timed]) -> float:
    """Smallest time from the *end* of one request to the *start* of the next (by start order).

    Negative when two requests overlapped; inf if fewer than 2 requests.  Requests still in flight
    count as ending now.
    """
    now = time.monotonic()
    ordered = sorted(requests, key=lambda r: r.start)
    gaps = [b.start - (a.end if a.end is not None else now) for a, b in itertools.pairwise(ordered)]
    return min(gaps, default=math.inf)


def max_overlap(requests: Iterable[_Timed]) -> int:
    """Largest number of requests in flight at one instant, computed from start/end times.

    Works across several fakes, e.g. `max_overlap(api.requests + rss.requests)`.
    """
    now = time.monotonic()
    events: list[tuple[float, int]] = []
    for r in requests:
        events.append((r.start, 1))
        events.append((r.end if r.end is not None else now, -1))
    # Ends sort before starts at the same instant: touching intervals do not overlap.
    events.sort(key=lambda e: (e[0], e[1]))
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline().strip().split(b";")[0]
                size = int(size_line or b"0", 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        fake = self.server.fake
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        fake._enter_flight()
        try:
            try:
                response = fake._handle(request)
            except Exception:
                tb = traceback.format_exc()
                with fake._cond:
                    fake.errors.append(tb)
                    fake._cond.notify_all()
                response = Response(500, tb.encode(), "text/plain; charset=utf-8")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Connection", "close")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(response.body)
                self.wfile.flush()
        finally:
            self.close_connection = True
            fake._leave_flight(request)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch
    do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # The bot opens many connections at once (64 updates in parallel); socketserver's default
    # backlog of 5 makes the kernel reset some of them, which the real services never do.
    request_queue_size = 512
    fake: FakeHTTPServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects (timeouts, cancelled polls) are normal here: stay quiet."""


class FakeHTTPServer:
    """Base class: a local HTTP server in a daemon thread, usable as a context manager.

    Subclasses get `url`, `start()`, `close()`, `wait_for()`, `await_for()`, `max_in_flight`,
    `errors` (tracebacks of exceptions raised inside the fake itself: should stay empty).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self.max_in_flight = 0
        self.errors: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self: _S) -> _S:
        """Bind 127.0.0.1 on an ephemeral port and serve from a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; releases held (hanging, delayed, long-polling) responses at once."""
        self._closing.set()
        with self._cond:
            self._cond.notify_all()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """Root URL, e.g. `http://127.0.0.1:PORT` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def in_flight(self) -> int:
        """Requests currently being answered."""
        with self._cond:
            return self._in_flight

    # ------------------------------------------------------------------ waiting
    def _records(self) -> Sequence[Any]:
        raise NotImplementedError

    def _describe(self, records: Sequence[Any]) -> str:
        lines = [f"  {i}: {r!r}" for i, r in enumerate(records)]
        if len(lines) > 60:
            lines = [*lines[:10], f"  ... {len(lines) - 50} more ...", *lines[-40:]]
        errors = "".join(f"\n  fake error:\n{e}" for e in self.errors)
        return ("\n".join(lines) or "  (none)") + errors

    def _wait(
        self, predicate: Predicate, timeout: float, abort: threading.Event | None = None
    ) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                records = list(self._records())
                value = predicate(records)
                if value:
                    return value
                if abort is not None and abort.is_set():
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{type(self).__name__}: condition not met within {timeout} s; "
                        f"{len(records)} recorded:\n{self._describe(records)}"
                    )
                self._cond.wait(remaining)

    def wait_for(self, predicate: Predicate, timeout: float = 10) -> Any:
        """Block until `predicate(records)` is truthy and return its value.

        `records` is a snapshot list of what this fake recorded (see the subclass).  Raises
        AssertionError with a dump of the records on timeout.
        """
        return self._wait(predicate, timeout)

    async def await_for(self, predicate: Predicate, timeout: float = 10) -> Any:  # noqa: ASYNC109
        """Async `wait_for`: waits in a worker thread without blocking the event loop."""
        abort = threading.Event()
        try:
            return await asyncio.to_thread(self._wait, predicate, timeout, abort)
        except asyncio.CancelledError:
            abort.set()
            with self._cond:
                self._cond.notify_all()
            raise

    # ------------------------------------------------------------------ helpers
    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _sleep(self, seconds: float) -> None:
        """Hold for `seconds`, or less if the fake is closing."""
        if seconds > 0:
            self._closing.wait(seconds)

    def _enter_flight(self) -> None:
        with self._cond:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave_flight(self, request: Request) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def _handle(self, request: Request) -> Response:
        raise NotImplementedError


class FaultQueue:
    """A FIFO of scripted one-shot behaviours; `count=None` means "until cleared"."""

    def __init__(self) -> None:
        self._items: list[list[Any]] = []  # [remaining (int | None), payload]

    def add(self, payload: Any, count: int | None = 1) -> None:
        if count is not None and count <= 0:
            return
        self._items.append([count, payload])

    def take(self, match: Callable[[Any], bool] | None = None) -> Any:
        """Consume one use of the first matching payload, or return None."""
        for item in self._items:
            if match is None or match(item[1]):
                if item[0] is not None:
                    item[0] -= 1
                    if item[0] <= 0:
                        self._items.remove(item)
                return item[1]
        return None

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
