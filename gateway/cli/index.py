"""``index stats|forget``: the person index ([index] url) from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gateway.cli.arguments import command, config_option
from gateway.identity.index.build import build_index
from gateway.identity.index.store import PersonIndex
from gateway.settings import load_settings

T = TypeVar("T")


def with_index(args: argparse.Namespace, work: Callable[[PersonIndex], Awaitable[T]]) -> T:
    """``work`` on the configured index, opened and closed around it."""
    settings = load_settings(args.config)
    if not settings.index.enabled:
        sys.exit("the person index is off ([index] enabled = false)")
    index = build_index(settings.index.url)

    async def run() -> T:
        try:
            await index.open()
            return await work(index)
        finally:
            await index.aclose()

    try:
        return asyncio.run(run())
    except Exception as exc:  # unreachable, refused, not an index database: named, not shown
        sys.exit(f"the person index did not answer: {type(exc).__name__}")


def stats(args: argparse.Namespace) -> None:
    found = with_index(args, lambda index: index.stats())
    print(f"people {found.people}  records {found.records}  bytes {found.bytes}")


def forget(args: argparse.Namespace) -> None:
    with_index(args, lambda index: index.forget(args.region, args.local_id))
    print(f"forgot {args.region} {args.local_id} (the next lookup of its person walks in full)")


def register(commands: Any) -> None:
    group = command(
        commands, "index", "the person index: stable ids and where people's records are"
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = command(actions, "stats", "how many people and records the index holds, and its size")
    config_option(sub, "the config file naming the index ([index] url)")
    sub.set_defaults(handler=stats)
    sub = command(actions, "forget", "drop one record (its person is walked again next time)")
    sub.add_argument("--region", required=True, help="the region's name, as in the config")
    sub.add_argument("--local-id", required=True, help="the record's id in that region")
    config_option(sub, "the config file naming the index ([index] url)")
    sub.set_defaults(handler=forget)
