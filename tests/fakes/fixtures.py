"""Pytest fixtures for the fakes, meant for `from tests.fakes.fixtures import *` in a conftest.

- `fake_telegram`, `fake_arxiv`, `fake_rss`, `fake_llm`: a started fake, closed afterwards (the
  test errors at teardown if the fake itself crashed while answering: see `.errors`).
- `block_internet` (alias fixture `no_internet`): refuse every connection / name look-up that is
  not loopback (127.0.0.0/8, ::1, localhost) with `InternetBlockedError` (an OSError, errno
  ENETUNREACH, so clients behave as if offline), and fail the test at teardown if anything tried,
  unless the test cleared `guard.blocked` or set `guard.strict = False`.
- `ptb_timedelta`: sets PTB_TIMEDELTA=1 (needed under filterwarnings=error once a 429 reaches
  PTB).  To make fixtures automatic:

      @pytest.fixture(autouse=True)
      def _offline(block_internet): ...
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi

__all__ = [
    "InternetBlockedError",
    "InternetGuard",
    "block_internet",
    "fake_arxiv",
    "fake_llm",
    "fake_rss",
    "fake_telegram",
    "is_loopback_host",
    "no_internet",
    "ptb_timedelta",
]

_LOCAL_NAMES = frozenset(
    {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
)


class InternetBlockedError(OSError):
    """Raised instead of reaching a non-loopback address while `block_internet` is active."""

    def __init__(self, target: str) -> None:
        super().__init__(errno.ENETUNREACH, f"internet access blocked in tests: {target}")
        self.target = target


@dataclass
class InternetGuard:
    """What `block_internet` yields: `blocked` lists every refused target (host:port)."""

    blocked: list[str] = field(default_factory=list)
    strict: bool = True


def is_loopback_host(host: Any) -> bool:
    """True for None/"", localhost names and loopback (or unspecified) IP literals."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip().strip("[]").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _is_local_address(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        return is_loopback_host(address[0])
    return True


@pytest.fixture
def block_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[InternetGuard]:
    """Only loopback connections for the duration of the test (all threads)."""
    guard = InternetGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def refuse(target: str) -> InternetBlockedError:
        guard.blocked.append(target)
        return InternetBlockedError(target)

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_local_address(address):
            raise refuse(repr(address))
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local_address(address):
            raise refuse(repr(address))
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _is_local_address(address):
            raise refuse(repr(address))
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback_host(host):
            raise refuse(f"getaddrinfo({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard
    if guard.strict and guard.blocked:
        pytest.fail(f"the test tried to reach the internet: {guard.blocked}")


@pytest.fixture
def no_internet(block_internet: InternetGuard) -> InternetGuard:
    """Same as `block_internet`."""
    return block_internet


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set PTB_TIMEDELTA=1.  Without it PTB 22 emits a PTBDeprecationWarning while *building*
    `RetryAfter` (and when reading other time periods), which filterwarnings=error turns into an
    exception inside PTB: any test that lets a 429 reach PTB needs this.  `retry_after` is then a
    `datetime.timedelta`."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def _check(fake: Any) -> None:
    if fake.errors:
        pytest.fail(f"{type(fake).__name__} crashed while answering:\n" + "\n".join(fake.errors))


@pytest.fixture
def fake_telegram() -> Iterator[FakeBotApi]:
    """A started `FakeBotApi` (token "123456:TEST-TOKEN")."""
    with FakeBotApi() as tg:
        yield tg
    _check(tg)


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxivApi]:
    """A started `FakeArxivApi` (ARXIV_API_URL = `fake_arxiv.query_url`)."""
    with FakeArxivApi() as api:
        yield api
    _check(api)


@pytest.fixture
def fake_rss() -> Iterator[FakeArxivRss]:
    """A started `FakeArxivRss` (ARXIV_RSS_URL = `fake_rss.rss_root`)."""
    with FakeArxivRss() as rss:
        yield rss
    _check(rss)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A started `FakeLLM` (OPENAI_BASE_URL = `fake_llm.base_url`, key "sk-test-key")."""
    with FakeLLM() as llm:
        yield llm
    _check(llm)
