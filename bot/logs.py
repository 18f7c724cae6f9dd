"""Logging set-up: secrets never reach a log line.

httpx logs every request URL at INFO, and Bot API URLs hold the token; it is lowered to WARNING,
and a filter on the root handler replaces every secret (bot token, API key) in every record.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's final message (and traceback) with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._redact(message), None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def setup_logging(secrets: Iterable[str], default_level: str = "INFO") -> None:
    """Log to stderr at LOG_LEVEL (else `default_level`), with secrets redacted."""
    level = os.environ.get("LOG_LEVEL", default_level).upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    for noisy in ("httpx", "httpcore", "httpx2", "urllib3", "openai._base_client"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
