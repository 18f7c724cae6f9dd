"""Configuration: read once, from the environment and a `.env` file, into a frozen object.

`SETTINGS` is the one table of name / default / meaning; `.env.example` and the README mirror it.
The environment wins over `.env`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.errors import ConfigError

SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("TELEGRAM_BOT_TOKEN", "", "bot token from @BotFather; `run` refuses to start without it"),
    ("TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server root"),
    ("OPENAI_API_KEY", "", "API key of the OpenAI-compatible endpoint"),
    ("OPENAI_BASE_URL", "", "OpenAI-compatible endpoint (empty: the SDK's default)"),
    ("LLM_MODEL", "gpt-4o-mini", "chat model name"),
    ("LLM_CONCURRENCY", "8", "summaries in flight at once"),
    ("LLM_TIMEOUT", "60", "seconds one summary may take in all, retries included"),
    ("ARXIV_API_URL", "https://export.arxiv.org/api/query", "arXiv API query endpoint"),
    ("ARXIV_RSS_URL", "https://rss.arxiv.org/rss/", "RSS root; categories are appended with +"),
    ("ARXIV_REQUEST_INTERVAL", "3", "seconds between two requests to arXiv (API or RSS)"),
    ("DATABASE_PATH", "data/arxiv-digest.sqlite3", "SQLite file (created with its folder)"),
    ("DEFAULT_TIMEZONE", "Asia/Shanghai", "IANA zone for new subscriptions and the quota day"),
    ("DEFAULT_DIGEST_TIME", "09:30", "local time for new subscriptions"),
    ("ADMIN_USER_IDS", "", "comma-separated Telegram user ids with operator rights"),
    ("USER_DAILY_QUOTA", "50", "papers a non-admin user may have freshly summarized per day"),
)

_N = TypeVar("_N", int, float)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Settings:
    """Every setting of SPEC, typed and validated."""

    telegram_bot_token: str = field(repr=False)
    telegram_api_url: str
    openai_api_key: str = field(repr=False)
    openai_base_url: str
    llm_model: str
    llm_concurrency: int
    llm_timeout: float
    arxiv_api_url: str
    arxiv_rss_url: str
    arxiv_request_interval: float
    database_path: Path
    default_timezone: str
    default_digest_time: str
    admin_user_ids: frozenset[int]
    user_daily_quota: int

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line."""
        return tuple(s for s in (self.telegram_bot_token, self.openai_api_key) if s)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Read the settings from `environ` (default: os.environ) over `env_file`."""
    values = {name: default for name, default, _ in SETTINGS}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source = os.environ if environ is None else environ
    values.update({k: v for k, v in source.items() if k in values})
    return _parse(values)


def _parse(v: dict[str, str]) -> Settings:
    return Settings(
        telegram_bot_token=v["TELEGRAM_BOT_TOKEN"].strip(),
        telegram_api_url=v["TELEGRAM_API_URL"].strip().rstrip("/"),
        openai_api_key=v["OPENAI_API_KEY"].strip(),
        openai_base_url=v["OPENAI_BASE_URL"].strip(),
        llm_model=v["LLM_MODEL"].strip() or "gpt-4o-mini",
        llm_concurrency=_number(v, "LLM_CONCURRENCY", int, 1, 1000),
        llm_timeout=_number(v, "LLM_TIMEOUT", float, 1, 3600),
        arxiv_api_url=v["ARXIV_API_URL"].strip(),
        arxiv_rss_url=v["ARXIV_RSS_URL"].strip(),
        arxiv_request_interval=_number(v, "ARXIV_REQUEST_INTERVAL", float, 0, 600),
        database_path=Path(v["DATABASE_PATH"].strip()),
        default_timezone=_zone(v["DEFAULT_TIMEZONE"].strip()),
        default_digest_time=_time(v["DEFAULT_DIGEST_TIME"].strip()),
        admin_user_ids=_ids(v["ADMIN_USER_IDS"]),
        user_daily_quota=_number(v, "USER_DAILY_QUOTA", int, 0, 1_000_000),
    )


def _number(v: dict[str, str], name: str, kind: type[_N], low: float, high: float) -> _N:
    try:
        value = kind(v[name].strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {v[name]!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value}")
    return value


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE is not an IANA time zone: {name!r}") from None
    return name


def _time(text: str) -> str:
    match = _TIME.match(text)
    if not match:
        raise ConfigError(f"DEFAULT_DIGEST_TIME must be HH:MM, got {text!r}")
    return f"{int(match[1]):02d}:{match[2]}"


def _ids(text: str) -> frozenset[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return frozenset(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"ADMIN_USER_IDS must be comma-separated numbers, got {text!r}") from None
