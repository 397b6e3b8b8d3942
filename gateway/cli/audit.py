"""``audit --person ID``: who looked at a person, from the audit log."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.audit.build import build_store
from gateway.audit.query import HEADINGS, as_json, rows, who_looked
from gateway.cli.arguments import command, config_option, identifier
from gateway.ids import OffenderIds
from gateway.settings import load_settings


def moment(text: str, end: bool = False) -> datetime:
    """A date (``2026-03-01``: that day's start, or with ``end`` the next day's) or an ISO
    date-time; naive ones are UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date or ISO date-time") from None
    if end and len(text) == len("2026-03-01"):
        value += timedelta(days=1)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def end_moment(text: str) -> datetime:
    """``--to``: a date counts whole."""
    return moment(text, end=True)


def audit(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    if not settings.id_key.strip():
        sys.exit("gateway.id_key is not set: the log's person keys cannot be matched without it")
    ids = OffenderIds.from_setting(settings.id_key)
    since, until = getattr(args, "from"), args.to
    store = build_store(settings.audit.url)
    try:
        entries = asyncio.run(who_looked(store, ids, args.person, since, until))
    except Exception as exc:  # unreachable, refused, not an audit database: named, not shown
        sys.exit(f"the audit store did not answer: {type(exc).__name__}")
    if args.json:
        print(json.dumps([as_json(entry) for entry in entries], indent=2))
        return
    if not entries:
        print(f"no audit events about {args.person}")
        return
    table = [HEADINGS, *rows(entries)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADINGS))]
    for row in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def register(commands: Any) -> None:
    sub = command(commands, "audit", "who looked at a person: the audit log's events, newest first")
    sub.add_argument(
        "--person", type=identifier, required=True, help="a NOMS number, CRN, PNC or CRO number"
    )
    sub.add_argument("--from", type=moment, default=None, help="events at or after (date or ISO)")
    sub.add_argument(
        "--to", type=end_moment, default=None, help="events up to this date (inclusive) or instant"
    )
    sub.add_argument("--json", action="store_true", help="a JSON array, for machines")
    config_option(sub, "the config file naming the audit store ([audit] url) and id_key")
    sub.set_defaults(handler=audit)
