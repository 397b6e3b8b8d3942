"""``index stats|build|forget``: the person index ([index] url) from the command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from connectors.base import Capability
from gateway.cli.arguments import command, config_option, positive
from gateway.identity.index.build import build_index
from gateway.identity.index.store import PersonIndex
from gateway.index_seed import PAGE_SIZE, SeedReport, seed_index
from gateway.runtime import Runtime, build_runtime
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


def build(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    if not settings.index.enabled:
        sys.exit("the person index is off ([index] enabled = false)")
    fresh = dataclasses.replace(settings, cache=dataclasses.replace(settings.cache, enabled=False))
    runtime = build_runtime(fresh)  # the regions' answers as they are now: no cache
    try:
        report = asyncio.run(seed(runtime, args.page_size))
    except Exception as exc:  # the index unreachable or refusing: named, not shown
        sys.exit(f"the person index did not answer: {type(exc).__name__}")
    for listed in report.regions:
        done = f"{listed.records} records in {listed.pages} pages"
        if listed.failure is not None:
            done += f", then {listed.failure.code}: {listed.failure} (not settled)"
        print(f"  {listed.region:<{max(len(r.region) for r in report.regions)}}  {done}")
    print(
        f"remembered {report.people} people ({report.records} records; {report.unindexed} "
        f"without a strong identifier and {report.conflicted} in conflicting groups not "
        f"indexed) in {report.seconds:.1f} s"
    )
    if not report.regions:
        sys.exit("no region can list its people (capability list_people)")
    failed = [listed.region for listed in report.regions if not listed.settled]
    if failed:
        sys.exit(f"{len(failed)} region(s) did not list in full: {', '.join(failed)}")


async def seed(runtime: Runtime, page_size: int) -> SeedReport:
    """Start ``runtime``, seed its index from every region that lists, and close it."""
    try:
        await runtime.start()
        if runtime.index is None:
            raise RuntimeError("the person index is off")
        listing = [r.name for r in runtime.directory if r.offers(Capability.LIST_PEOPLE)]
        deadline = runtime.settings.request_deadline
        return await seed_index(
            runtime.pipeline, listing, runtime.index, page_size=page_size, deadline=deadline
        )
    finally:
        await runtime.aclose()


def register(commands: Any) -> None:
    group = command(
        commands, "index", "the person index: stable ids and where people's records are"
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = command(actions, "stats", "how many people and records the index holds, and its size")
    config_option(sub, "the config file naming the index ([index] url)")
    sub.set_defaults(handler=stats)
    sub = command(actions, "build", "seed the index from every region that can list its people")
    sub.add_argument(
        "--page-size", type=positive, default=PAGE_SIZE, help="people per listing page asked"
    )
    config_option(sub, "the config file naming the regions and the index")
    sub.set_defaults(handler=build)
    sub = command(actions, "forget", "drop one record (its person is walked again next time)")
    sub.add_argument("--region", required=True, help="the region's name, as in the config")
    sub.add_argument("--local-id", required=True, help="the record's id in that region")
    config_option(sub, "the config file naming the index ([index] url)")
    sub.set_defaults(handler=forget)
