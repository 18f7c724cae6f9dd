"""Configuration: SPEC's defaults, a `.env` file under the environment, clear errors naming the
variable, and secrets kept out of `repr`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SETTINGS, Settings, load_settings
from bot.errors import ConfigError

TOKEN = "123456:ABC-secret-token"
KEY = "sk-secret-api-key"


def test_defaults_are_those_of_spec() -> None:
    settings = load_settings({}, env_file=None)
    assert settings == Settings(
        telegram_bot_token="",
        telegram_api_url="https://api.telegram.org",
        openai_api_key="",
        openai_base_url="",
        llm_model="gpt-4o-mini",
        llm_concurrency=8,
        llm_timeout=60.0,
        arxiv_api_url="https://export.arxiv.org/api/query",
        arxiv_rss_url="https://rss.arxiv.org/rss/",
        arxiv_request_interval=3.0,
        database_path=Path("data/arxiv-digest.sqlite3"),
        default_timezone="Asia/Shanghai",
        default_digest_time="09:30",
        admin_user_ids=frozenset(),
        user_daily_quota=50,
    )
    assert settings.secrets() == ()


def test_the_settings_table_names_every_variable_of_spec() -> None:
    names = [name for name, _, _ in SETTINGS]
    assert names == [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LLM_MODEL",
        "LLM_CONCURRENCY",
        "LLM_TIMEOUT",
        "ARXIV_API_URL",
        "ARXIV_RSS_URL",
        "ARXIV_REQUEST_INTERVAL",
        "DATABASE_PATH",
        "DEFAULT_TIMEZONE",
        "DEFAULT_DIGEST_TIME",
        "ADMIN_USER_IDS",
        "USER_DAILY_QUOTA",
    ]


def test_values_are_parsed_and_normalised() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": f" {TOKEN} ",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "OPENAI_API_KEY": KEY,
            "LLM_CONCURRENCY": "3",
            "LLM_TIMEOUT": "2.5",
            "ARXIV_REQUEST_INTERVAL": "0",
            "DATABASE_PATH": "/var/lib/bot/db.sqlite3",
            "DEFAULT_TIMEZONE": "Europe/Berlin",
            "DEFAULT_DIGEST_TIME": "7:05",
            "ADMIN_USER_IDS": " 42, 7 ,",
            "USER_DAILY_QUOTA": "0",
            "UNRELATED": "ignored",
        },
        env_file=None,
    )
    assert settings.telegram_bot_token == TOKEN
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert (settings.llm_concurrency, settings.llm_timeout) == (3, 2.5)
    assert settings.arxiv_request_interval == 0
    assert settings.database_path == Path("/var/lib/bot/db.sqlite3")
    assert settings.zone.key == "Europe/Berlin"
    assert settings.default_digest_time == "07:05"
    assert settings.admin_user_ids == frozenset({42, 7})
    assert settings.user_daily_quota == 0
    assert settings.secrets() == (TOKEN, KEY)


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nLLM_MODEL=from-file\nLLM_CONCURRENCY=3\nTELEGRAM_BOT_TOKEN='file-token'\n",
        encoding="utf-8",
    )
    settings = load_settings({"LLM_MODEL": "from-env"}, env_file=env_file)
    assert settings.llm_model == "from-env"
    assert settings.llm_concurrency == 3
    assert settings.telegram_bot_token == "file-token"


def test_the_dotenv_file_of_the_working_directory_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("USER_DAILY_QUOTA=7\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).user_daily_quota == 7


def test_a_missing_dotenv_file_is_fine(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / "absent.env").llm_model == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_CONCURRENCY", "many"),
        ("LLM_CONCURRENCY", "0"),
        ("LLM_CONCURRENCY", "2.5"),
        ("LLM_TIMEOUT", "-1"),
        ("LLM_TIMEOUT", "nan"),
        ("LLM_TIMEOUT", ""),
        ("ARXIV_REQUEST_INTERVAL", "three"),
        ("ARXIV_REQUEST_INTERVAL", "-0.5"),
        ("USER_DAILY_QUOTA", "-1"),
        ("USER_DAILY_QUOTA", "lots"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("DEFAULT_TIMEZONE", "../../etc/passwd"),
        ("DEFAULT_TIMEZONE", ""),
        ("DEFAULT_DIGEST_TIME", "25:00"),
        ("DEFAULT_DIGEST_TIME", "09:60"),
        ("DEFAULT_DIGEST_TIME", "noon"),
        ("DEFAULT_DIGEST_TIME", "0930"),
        ("ADMIN_USER_IDS", "42,alice"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, env_file=None)


def test_a_bad_value_in_the_dotenv_file_is_a_config_error_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LLM_TIMEOUT=soon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="LLM_TIMEOUT"):
        load_settings({}, env_file=env_file)


def test_the_token_and_the_key_are_not_in_the_repr() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "OPENAI_API_KEY": KEY}, env_file=None)
    for shown in (repr(settings), str(settings)):
        assert TOKEN not in shown
        assert "secret" not in shown
        assert KEY not in shown
    assert "gpt-4o-mini" in repr(settings)


def test_settings_are_frozen() -> None:
    settings = load_settings({}, env_file=None)
    with pytest.raises(AttributeError):
        settings.llm_model = "other"  # type: ignore[misc]
