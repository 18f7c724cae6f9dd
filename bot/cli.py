"""The `arxiv-digest` command line (also `python -m bot`).

Exit status: 0 on success; 1 when a service failed (arXiv or the LLM unreachable); 2 for bad
input or configuration. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings, load_settings
from bot.errors import ArxivUnavailable, ConfigError, InputError
from bot.ids import parse_id
from bot.logs import setup_logging

EXIT_SERVICE = 1
EXIT_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.secrets())
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
    backup = commands.add_parser("backup", help="consistent copy of the database")
    backup.add_argument("path", type=Path)
    backup.set_defaults(handler=_backup)
    return parser


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram_bot_token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it"
        )
    from bot.app import run

    run(settings)
    return 0


def _summarize(settings: Settings, args: argparse.Namespace) -> int:
    ids: list[str] = []
    for token in args.papers:
        paper_id = parse_id(token)
        if paper_id is None:
            print(f"arxiv-digest: not an arXiv link or id, skipped: {token}", file=sys.stderr)
        elif paper_id not in ids:
            ids.append(paper_id)
    if not ids:
        raise InputError("no valid arXiv link or id given")
    from bot.markdown_digest import summarize_to_markdown

    markdown, problems = asyncio.run(summarize_to_markdown(settings, ids))
    print(markdown)
    for problem in problems:
        print(f"arxiv-digest: {problem}", file=sys.stderr)
    return EXIT_SERVICE if problems else 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import backup

    if not settings.database_path.is_file():
        raise InputError(f"no database at {settings.database_path}")
    backup(settings.database_path, args.path)
    print(f"backed up {settings.database_path} to {args.path}", file=sys.stderr)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"arxiv-digest: {message}", file=sys.stderr)
    return status
