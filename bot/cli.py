"""The `arxiv-digest` command line (also `python -m bot`).

Exit status: 0 on success; 1 when a service failed (arXiv or the LLM unreachable); 2 for bad
input or configuration. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app import run, send_due_once
from bot.config import Settings, load_settings
from bot.errors import ArxivUnavailable, ConfigError, InputError
from bot.ids import parse_id
from bot.logs import setup_logging
from bot.markdown_digest import digest_to_markdown, summarize_to_markdown
from bot.taxonomy import parse_categories
from storage.db import backup as backup_database

EXIT_SERVICE = 1
EXIT_INPUT = 2
MAX_CLI_LIMIT = 1000


def main(argv: Sequence[str] | None = None) -> int:
    # python-telegram-bot 22 warns unless RetryAfter.retry_after is a timedelta: opt in.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # The bot logs its work; a one-shot command prints its result and, on failure, one line.
        setup_logging(settings.secrets(), "INFO" if args.handler is _run else "ERROR")
        return int(args.handler(settings, args))
    except (ConfigError, InputError) as exc:
        return _fail(str(exc), EXIT_INPUT)
    except ArxivUnavailable as exc:
        return _fail(f"arXiv unreachable: {exc}", EXIT_SERVICE)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arxiv-digest", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the Telegram bot (long polling)")
    run.set_defaults(handler=_run)
    summarize = commands.add_parser("summarize", help="print the Markdown digest of papers")
    summarize.add_argument("papers", nargs="+", metavar="LINK_OR_ID")
    summarize.set_defaults(handler=_summarize)
    digest = commands.add_parser("digest", help="print the Markdown digest of today's papers")
    digest.add_argument("categories", nargs="+", metavar="CATEGORY")
    digest.add_argument("--keywords", default="", help="comma-separated; only matching papers")
    digest.add_argument("--limit", type=int, default=20, help="most papers (1-1000, default 20)")
    digest.set_defaults(handler=_digest)
    send_due = commands.add_parser("send-due", help="send every digest that is due, then exit")
    send_due.set_defaults(handler=_send_due)
    backup = commands.add_parser("backup", help="consistent copy of the database")
    backup.add_argument("path", type=Path)
    backup.set_defaults(handler=_backup)
    return parser


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram_bot_token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it"
        )
    run(settings)
    return 0


def _summarize(settings: Settings, args: argparse.Namespace) -> int:
    parsed = [(token, parse_id(token)) for token in args.papers]
    ids = list(dict.fromkeys(paper_id for _, paper_id in parsed if paper_id))
    if not ids:
        raise InputError("no valid arXiv link or id given")
    for token, paper_id in parsed:
        if paper_id is None:
            print(f"arxiv-digest: not an arXiv link or id, skipped: {token}", file=sys.stderr)

    markdown, problems = asyncio.run(summarize_to_markdown(settings, ids))
    sys.stdout.write(markdown if markdown.endswith("\n") else markdown + "\n")
    for problem in problems:
        print(f"arxiv-digest: {problem}", file=sys.stderr)
    return EXIT_SERVICE if problems else 0


def _digest(settings: Settings, args: argparse.Namespace) -> int:

    categories, bad = parse_categories(args.categories)
    if bad:
        name, suggestions = bad[0]
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        raise InputError(f"unknown arXiv category: {name}{hint}")
    if not 1 <= args.limit <= MAX_CLI_LIMIT:
        raise InputError(f"--limit must be between 1 and {MAX_CLI_LIMIT}, got {args.limit}")
    keywords = [k.strip() for k in args.keywords.split(",") if k.strip()]
    markdown, problems = asyncio.run(digest_to_markdown(settings, categories, keywords, args.limit))
    if markdown:
        sys.stdout.write(markdown if markdown.endswith("\n") else markdown + "\n")
    for problem in problems:
        print(f"arxiv-digest: {problem}", file=sys.stderr)
    return EXIT_SERVICE if markdown and problems else 0


def _send_due(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: send-due needs the bot token")

    sent = asyncio.run(send_due_once(settings))
    print(f"sent {sent} digest messages", file=sys.stderr)
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:

    if not settings.database_path.is_file():
        raise InputError(f"no database at {settings.database_path}")
    backup_database(settings.database_path, args.path)
    print(f"backed up {settings.database_path} to {args.path}", file=sys.stderr)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"arxiv-digest: {message}", file=sys.stderr)
    return status
