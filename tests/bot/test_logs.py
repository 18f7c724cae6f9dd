"""Logging: secrets (bot token, API key) never reach a log line, wherever they hide in a record."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import setup_logging

TOKEN = "123456:SECRET"
KEY = "sk-secret"

log = logging.getLogger("bot.test_logs")


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets `setup_logging` at DEBUG; the root logger is put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("httpx", "httpcore", "httpx2", "urllib3", "openai._base_client")
    noisy = {name: logging.getLogger(name).level for name in names}
    monkeypatch.setenv("LOG_LEVEL", "debug")
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)


def logged(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err, "nothing was logged"
    return err


def test_a_secret_in_the_message_is_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging([TOKEN, KEY])
    message = f"GET https://api.telegram.org/bot{TOKEN}/getMe with key {KEY}"
    log.debug(message)
    err = logged(capsys)
    assert TOKEN not in err
    assert KEY not in err
    assert "https://api.telegram.org/bot***/getMe with key ***" in err


def test_a_secret_in_the_arguments_is_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging([TOKEN, KEY])
    log.warning("request to %s failed (key %r, attempt %d)", f"/bot{TOKEN}/x", KEY, 2)
    err = logged(capsys)
    assert TOKEN not in err
    assert KEY not in err
    assert "request to /bot***/x failed (key '***', attempt 2)" in err


def test_a_secret_in_an_exception_traceback_is_replaced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging([TOKEN, KEY])
    try:
        try:
            raise ConnectionError(f"cannot reach /bot{TOKEN}/getUpdates")
        except ConnectionError as exc:
            raise RuntimeError(f"giving up with key {KEY}") from exc
    except RuntimeError:
        log.exception("polling failed")
    err = logged(capsys)
    assert "Traceback" in err
    assert "polling failed" in err
    assert "ConnectionError: cannot reach /bot***/getUpdates" in err
    assert "RuntimeError: giving up with key ***" in err
    assert TOKEN not in err
    assert KEY not in err


def test_records_of_library_loggers_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging([TOKEN, KEY])
    logging.getLogger("telegram.ext.Updater").error("token %s rejected", TOKEN)
    err = logged(capsys)
    assert "token *** rejected" in err
    assert TOKEN not in err


def test_http_request_lines_are_not_logged_below_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging([TOKEN, KEY])
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/x", TOKEN)
    log.debug("marker")
    err = logged(capsys)
    assert "HTTP Request" not in err
    assert "marker" in err


def test_the_level_follows_log_level(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    setup_logging([TOKEN])
    log.info("quiet")
    log.warning("loud")
    err = logged(capsys)
    assert "quiet" not in err
    assert "loud" in err


def test_an_unknown_log_level_falls_back_to_info(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    setup_logging([TOKEN])
    log.debug("hidden")
    log.info("shown")
    err = logged(capsys)
    assert "hidden" not in err
    assert "shown" in err


def test_empty_secrets_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(["", KEY])
    log.info("plain text stays plain")
    assert "plain text stays plain" in logged(capsys)
