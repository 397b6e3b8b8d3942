"""Upstream hot path: how many upstream calls one lookup makes, and what one call costs the gateway.

Run with ``.venv/bin/python benchmarks/upstream.py [--quick] [--people N]``. Everything runs on
127.0.0.1 in this process: the 7 simulated systems (``common.start_estate``, answering at 0 ms, in
a background thread) and, for figure 1, the real gateway (its own uvicorn thread, cache off).

1. **Calls per lookup**: the offender lookup of ``gateway_fanout.py`` (identifiers, name, status,
   offender manager, custody, supervision, timeline) for the benchmark's people, one at a time,
   counters reset around each: mean upstream calls per lookup, split into identity, details and
   the rest, and the managers calls among the details.
2. **CPU per call**: each dialect's connector, built as the gateway builds it, called directly
   one call at a time on this thread's event loop: this thread's CPU per call (request building,
   httpx, reply parsing and mapping; the simulators' CPU is on their own thread), for a find by
   one identifier and a one-key detail call, on a SOAP batch prison, the legacy SOAP prison, a
   camel and a snake REST region.

Loops are bounded by a count and a time. Exits 1 if a lookup or a call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import common
import httpx
from gateway_fanout import DETAIL_OPS, IDENTITY_OPS, OFFENDER_QUERY

from connectors.base import Connector
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.registry import build_connectors
from gateway.cli.estate import example_people
from simulators.truth import TruePerson

CALL_REGIONS = ("prison-north", "prison-wales", "probation-north", "probation-wales")


@dataclass(frozen=True)
class Plan:
    people: int  # population size
    lookups: int  # people looked up for figure 1
    calls: int  # calls per (region, operation) for figure 2, at most
    seconds: float  # and at most this long


def calls_per_lookup(setup: common.EstateRun, people: list[TruePerson]) -> bool:
    """Figure 1; False if a lookup failed."""
    gateway = common.serve_gateway(setup.running)
    totals: list[int] = []
    identity: list[int] = []
    details: list[int] = []
    managers: list[int] = []
    ok = True
    try:
        for person in people:
            common.reset_counters(setup.running)
            body = httpx.post(
                gateway.base_url + "/graphql",
                json={"query": OFFENDER_QUERY, "variables": {"id": person.noms}},
                timeout=30,
            ).json()
            ok = ok and "errors" not in body and bool((body.get("data") or {}).get("offender"))
            counts = common.operations(common.read_counters(setup.running))
            ops = [(op, n) for c in counts.values() for op, n in c.items()]
            totals.append(sum(n for _, n in ops))
            identity.append(sum(n for op, n in ops if op in IDENTITY_OPS))
            details.append(sum(n for op, n in ops if op in DETAIL_OPS))
            managers.append(sum(n for op, n in ops if op == "managers"))
    finally:
        gateway.stop()
    mean = statistics.mean
    print(f"\n1. Upstream calls per offender lookup ({len(people)} people, 7 systems, cache off)")
    print(
        common.table(
            ["calls/lookup", "identity", "details", "of which managers", "other"],
            [
                [
                    f"{mean(totals):.2f}",
                    f"{mean(identity):.2f}",
                    f"{mean(details):.2f}",
                    f"{mean(managers):.2f}",
                    f"{mean(totals) - mean(identity) - mean(details):.2f}",
                ]
            ],
        )
    )
    return ok


Call = Callable[[], Awaitable[Any]]


async def cpu_per_call(call: Call, plan: Plan) -> tuple[float, int]:
    """This thread's CPU microseconds per call, and how many calls were timed."""
    for _ in range(20):  # warm-up: connections, tokens, caches
        await call()
    count = 0
    cpu0, wall_end = time.thread_time(), time.perf_counter() + plan.seconds
    while count < plan.calls and time.perf_counter() < wall_end:
        await call()
        count += 1
    return (time.thread_time() - cpu0) / count * 1e6, count


async def checked(call: Call) -> Any:
    """``call``'s result, raising if any key failed."""
    results = await call()
    bad = [r for r in results if isinstance(r, ConnectorError)]
    if bad:
        raise bad[0]
    return results


def identifier_for(connector: Connector, person: TruePerson) -> Identifier | None:
    kinds = connector.identifier_kinds
    if person.crn and IdentifierKind.CRN in kinds:
        return Identifier(IdentifierKind.CRN, person.crn)
    return Identifier(IdentifierKind.NOMS, person.noms) if person.noms else None


async def known_record(connector: Connector, people: list[TruePerson]) -> tuple[Identifier, str]:
    """An identifier some record of the region holds, and that record's local id."""
    for person in people:
        identifier = identifier_for(connector, person)
        if identifier is None:
            continue
        [found] = await checked(partial(connector.find_by_identifiers, [identifier]))
        if found:
            return identifier, found[0].local_id
    raise SystemExit(f"no example person has a record in {connector.region}")


async def per_call_cpu(setup: common.EstateRun, people: list[TruePerson], plan: Plan) -> None:
    """Figure 2."""
    configs = [c for c in setup.running.region_configs() if c.name in CALL_REGIONS]
    connectors = build_connectors(configs)
    rows = []
    try:
        for name in CALL_REGIONS:
            connector = connectors[name]
            await connector.start()
            identifier, local_id = await known_record(connector, people)
            prison = "custody_for" in {c.value for c in connector.capabilities}
            detail = connector.custody_for if prison else connector.managers_for
            calls = {
                "find (1 identifier)": partial(
                    checked, partial(connector.find_by_identifiers, [identifier])
                ),
                f"{detail.__name__} (1 id)": partial(checked, partial(detail, [local_id])),
            }
            for what, call in calls.items():
                micros, count = await cpu_per_call(call, plan)
                rows.append([name, connector.dialect, what, count, f"{micros:.0f}"])
    finally:
        await asyncio.gather(*(c.aclose() for c in connectors.values()))
    print("\n2. Gateway CPU per upstream call (connector called directly, simulators at 0 ms)")
    print(common.table(["region", "dialect", "call", "calls", "CPU us/call"], rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer people and calls")
    parser.add_argument("--people", type=int, default=2000, help="population size")
    args = parser.parse_args()
    plan = Plan(args.people, 10, 300, 5.0) if args.quick else Plan(args.people, 50, 2000, 15.0)
    print(common.machine_note())
    estate, generate_s = common.generate(plan.people)
    setup = common.start_estate(estate, generate_s)
    try:
        people = example_people(estate, count=plan.lookups)
        ok = calls_per_lookup(setup, people)
        asyncio.run(per_call_cpu(setup, people, plan))
    finally:
        setup.running.stop()
    if not ok:
        print("a lookup answered an error or nobody", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
