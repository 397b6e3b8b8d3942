"""``config check`` and ``cache invalidate``: operators' checks and repairs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from gateway.cache_store import build_store
from gateway.cli.arguments import command, config_option, identifier
from gateway.config_check import run_check
from gateway.invalidation import invalidate_person
from gateway.settings import load_settings


def config_check(args: argparse.Namespace) -> None:
    code, lines = run_check(args.file)
    print(*lines, sep="\n", file=sys.stderr if code else sys.stdout)
    sys.exit(code)


def cache_invalidate(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    if not settings.cache.url:
        sys.exit(
            "the in-memory cache lives inside each gateway process: there is nothing shared to "
            "invalidate (restart the gateway, or configure [cache] url)"
        )
    store = build_store(settings.cache)
    regions = [region.name for region in settings.regions]

    async def invalidate() -> int:
        try:
            return await invalidate_person(store, store.namespace, args.identifier, regions)
        finally:
            await store.aclose()

    count = asyncio.run(invalidate())
    if store.down:
        sys.exit("the Redis cache of [cache] url did not answer; nothing certain was invalidated")
    print(f"invalidated {count} cached answers for {args.identifier}")


def register(commands: Any) -> None:
    config = command(commands, "config", "validate a config file")
    check = command(
        config.add_subparsers(dest="action", required=True),
        "check",
        "validate a config file with the environment applied, starting nothing and contacting "
        "no region (exit 1 on a problem)",
    )
    check.add_argument("file", type=Path, help="the config file")
    config.set_defaults(handler=config_check)
    cache = command(commands, "cache", "manage the shared (Redis) answer cache")
    invalidate = command(
        cache.add_subparsers(dest="action", required=True),
        "invalidate",
        "forget every cached answer about the person an identifier names",
    )
    invalidate.add_argument(
        "identifier", type=identifier, help="a NOMS number, CRN, PNC or CRO number"
    )
    config_option(invalidate, "the config file naming the Redis ([cache] url)")
    cache.set_defaults(handler=cache_invalidate)
