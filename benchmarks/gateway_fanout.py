"""Gateway benchmark: overhead against the Python floor, parallel fan-out, batching, start-up.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/gateway_fanout.py [--quick]``). Everything
runs on 127.0.0.1 in this process (see ``common.py``); request loops are bounded in count and time.
Prints four figures, measured side by side in one run:

1. gateway overhead: the same offender lookup through the gateway and through ``floor.py`` (same
   upstream calls, hand-written), simulators at 0 ms; req/s, p50/p95 and gateway/floor ratios;
2. parallel fan-out: with 50 ms on every system, one lookup's p50 against the critical path
   (rounds x 50 ms) and against asking the regions one after another;
3. batching: upstream calls per region for one search page of 20 people;
4. start-up of the demo (5,000 people, 7 servers, gateway ready), as a fresh process.

Exits 1 if the gateway (or the floor) answered an error during any measured load.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import httpx
from floor import create_floor_app

from gateway.cli.estate import example_people
from simulators.population import DEFAULT_PEOPLE, DEFAULT_SEED
from simulators.truth import Estate, TruePerson

ROOT = Path(__file__).resolve().parent.parent
LATENCY_MS = 50
SUMMARY: list[tuple[str, str]] = []  # headline figures, printed last

OFFENDER_QUERY = """
query Offender($id: String!) {
  offender(identifier: $id) {
    id
    identifiers { nomsNumber crn pncNumber croNumber }
    name { forename surname }
    status
    offenderManager { forename surname }
    custody { prisonId active startDate endDate }
    supervision { kind probationRegion startDate endDate active }
    timeline { date type description region location }
  }
}
"""

SEARCH_QUERY = """
query Search($name: String!, $first: Int!) {
  offenders(name: $name, first: $first) {
    totalCount
    edges { node {
      id
      name { forename surname }
      status
      offenderManager { surname }
      custody { prisonId startDate }
      supervision { kind startDate }
      timeline { date type }
      records { region localId }
    } }
  }
}
"""

IDENTITY_OPS = {"FindOffenders", "FindOffender", "findByIdentifiers", "findByIdentifier"}
SEARCH_OPS = {"SearchOffenders", "search"}
DETAIL_OPS = {
    "GetCustodyHistories",
    "GetCustodyHistory",
    "GetMovementsBatch",
    "GetMovements",
    "supervisions",
    "managers",
}


@dataclass(frozen=True)
class Plan:
    """How much to run: every loop is bounded by a count and a time."""

    people: int  # distinct people the lookups cycle through
    warmup: int
    seq_requests: int  # concurrency 1
    seq_seconds: float
    concurrency: int
    conc_requests: int
    conc_seconds: float
    fanout_requests: int  # concurrency 1, 50 ms everywhere
    fanout_seconds: float
    search_repeats: int


FULL = Plan(50, 30, 120, 15.0, 8, 250, 15.0, 30, 12.0, 5)
QUICK = Plan(20, 10, 30, 6.0, 8, 80, 8.0, 8, 5.0, 2)


# --- requests ----------------------------------------------------------------------------------


def gateway_lookup(url: str) -> common.Request:
    async def send(client: httpx.AsyncClient, person: TruePerson) -> str | None:
        payload = {"query": OFFENDER_QUERY, "variables": {"id": person.noms}}
        response = await client.post(url, json=payload)
        return _graphql_error(response, "offender")

    return send


def floor_lookup(base_url: str) -> common.Request:
    async def send(client: httpx.AsyncClient, person: TruePerson) -> str | None:
        response = await client.get(f"{base_url}/offender/{person.noms}")
        if response.status_code != 200:
            return f"floor HTTP {response.status_code}: {response.text[:200]}"
        if response.json().get("person") is None:
            return f"floor found nobody for {person.noms}"
        return None

    return send


def _graphql_error(response: httpx.Response, field: str) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    body = response.json()
    if body.get("errors"):
        return f"GraphQL errors: {str(body['errors'])[:300]}"
    if not (body.get("data") or {}).get(field):
        return f"no {field} in the answer"
    return None


# --- 0. parity: the floor makes the same upstream calls ----------------------------------------


@dataclass
class Parity:
    rounds: dict[int, list[list[str]]]  # person id -> regions asked per round (floor trace)
    calls: dict[int, int]  # person id -> upstream calls of one gateway lookup
    same_calls: int
    same_answer: int
    differences: list[str]


def check_parity(
    setup: common.EstateRun, gw_url: str, fl_url: str, people: list[TruePerson]
) -> Parity:
    """One lookup per person through each side, counters compared operation by operation."""
    running = setup.running
    parity = Parity({}, {}, 0, 0, [])
    for person in people:
        common.reset_counters(running)
        gw = httpx.post(
            gw_url, json={"query": OFFENDER_QUERY, "variables": {"id": person.noms}}, timeout=30
        ).json()
        gw_calls = common.operations(common.read_counters(running))
        common.reset_counters(running)
        fl = httpx.get(f"{fl_url}/offender/{person.noms}", timeout=30).json()
        fl_calls = common.operations(common.read_counters(running))
        parity.rounds[person.person_id] = fl.get("rounds", [])
        parity.calls[person.person_id] = sum(sum(c.values()) for c in gw_calls.values())
        if gw_calls == fl_calls:
            parity.same_calls += 1
        else:
            diff = {
                n: (dict(gw_calls[n]), dict(fl_calls[n]))
                for n in gw_calls
                if gw_calls[n] != fl_calls[n]
            }
            parity.differences.append(f"{person.noms} calls gateway vs floor: {diff}")
        mine, theirs = _shape(gw), _shape(fl)
        if mine == theirs:
            parity.same_answer += 1
        else:
            parity.differences.append(f"{person.noms} answer gateway {mine} vs floor {theirs}")
    return parity


def _shape(body: dict[str, Any]) -> tuple[Any, ...]:
    """What both sides must agree on: identifiers, status and how many facts of each kind."""
    person = (body.get("data") or {}).get("offender") or body.get("person")
    if not person:
        return ("nobody",)
    ids = person["identifiers"]
    if "nomsNumber" in ids:  # the gateway's field names; the floor uses identifier kinds
        names = {"nomsNumber": "NOMS", "crn": "CRN", "pncNumber": "PNC", "croNumber": "CRO"}
        ids = {names[k]: v for k, v in ids.items()}
    ids = {k: v for k, v in ids.items() if v}
    return (
        sorted(ids.items()),
        person["status"],
        len(person["custody"]),
        len(person["supervision"]),
        len(person["timeline"]),
    )


# --- 1. overhead ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One way to look a person up: its request and the CPU clocks to read around a load."""

    label: str
    send: common.Request
    clocks: dict[str, common.Clock]


async def load(
    side: Side, people: list[TruePerson], concurrency: int, count: int, seconds: float
) -> common.LoadResult:
    return await common.run_load(
        side.label,
        side.send,
        people,
        concurrency=concurrency,
        max_requests=count,
        max_seconds=seconds,
        clocks=side.clocks,
    )


async def overhead(
    gw: Side, fl: Side, people: list[TruePerson], plan: Plan
) -> list[common.LoadResult]:
    results = []
    for concurrency, count, seconds in (
        (1, plan.seq_requests, plan.seq_seconds),
        (plan.concurrency, plan.conc_requests, plan.conc_seconds),
    ):
        for side in (gw, fl):
            results.append(await load(side, people, concurrency, count, seconds))
    return results


def print_overhead(results: list[common.LoadResult]) -> None:
    print("\n1. Gateway overhead vs the Python floor (one offender lookup, simulators at 0 ms)")
    rows: list[tuple[object, ...]] = []
    for gw, fl in zip(results[0::2], results[1::2], strict=True):
        for r in (gw, fl):
            rows.append(
                (
                    r.label,
                    r.concurrency,
                    r.count,
                    r.rps,
                    r.pct(50),
                    r.pct(95),
                    r.cpu_ms("server"),
                    r.cpu_ms("simulators"),
                    len(r.errors),
                )
            )
        rows.append(
            (
                "  gateway/floor",
                gw.concurrency,
                "",
                _ratio(gw.rps, fl.rps),
                _ratio(gw.pct(50), fl.pct(50)),
                _ratio(gw.pct(95), fl.pct(95)),
                _ratio(gw.cpu_ms("server"), fl.cpu_ms("server")),
                "",
                "",
            )
        )
    headers = (
        "side",
        "conc",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "CPU ms/lookup",
        "sims CPU ms",
        "errors",
    )
    print(common.table(headers, rows))
    seq_gw, seq_fl = results[0], results[1]
    gw_cpu, fl_cpu = seq_gw.cpu_ms("server"), seq_fl.cpu_ms("server")
    conc_gw, conc_fl = results[2], results[3]
    SUMMARY.extend(
        [
            ("gateway/floor CPU per lookup", _ratio(gw_cpu, fl_cpu)),
            ("gateway/floor p50 latency, concurrency 1", _ratio(seq_gw.pct(50), seq_fl.pct(50))),
            (
                f"gateway/floor req/s, concurrency {conc_gw.concurrency}",
                _ratio(conc_gw.rps, conc_fl.rps),
            ),
            ("gateway lookups/s per core (1000 / CPU ms)", f"{1000 / gw_cpu:.0f}"),
        ]
    )
    print(
        f"  CPU ms/lookup is the serving thread's own CPU (gateway or floor), sims CPU ms the "
        f"simulators'; the load generator used {seq_gw.cpu_ms('client'):.1f} ms per request.\n"
        f"  Gateway overhead per lookup: {seq_gw.pct(50) - seq_fl.pct(50):.1f} ms of p50 latency, "
        f"{gw_cpu - fl_cpu:.1f} ms of CPU.\n"
        f"  One core's capacity if the upstreams ran elsewhere (1000 / CPU ms): "
        f"gateway ~{1000 / gw_cpu:.0f} lookups/s, floor ~{1000 / fl_cpu:.0f} lookups/s."
    )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and not math.isnan(a) and not math.isnan(b) else "-"


# --- 2. fan-out ----------------------------------------------------------------------------------


async def fanout(
    setup: common.EstateRun, gw: Side, fl: Side, people: list[TruePerson], plan: Plan
) -> tuple[common.LoadResult, common.LoadResult]:
    common.set_faults(setup.running, latency_ms=LATENCY_MS)
    try:
        results = [
            await load(side, people, 1, plan.fanout_requests, plan.fanout_seconds)
            for side in (gw, fl)
        ]
    finally:
        common.set_faults(setup.running)
    return results[0], results[1]


def print_fanout(
    gw: common.LoadResult,
    fl: common.LoadResult,
    people: list[TruePerson],
    parity: Parity,
    base: common.LoadResult,
) -> None:
    asked = people[: gw.count] or people
    rounds = [parity.rounds[p.person_id] for p in asked]
    n_rounds = statistics.mean(len(r) for r in rounds)
    region_calls = statistics.mean(sum(len(regions) for regions in r) for r in rounds)
    calls = statistics.mean(parity.calls[p.person_id] for p in asked)
    critical = n_rounds * LATENCY_MS
    by_region = region_calls * LATENCY_MS
    serial = calls * LATENCY_MS
    print(f"\n2. Parallel fan-out ({LATENCY_MS} ms on every system, concurrency 1)")
    shapes = Counter(f"{len(r) - 1} identity + 1 detail" for r in rounds)
    print(
        f"  {len(asked)} lookups; rounds: "
        + ", ".join(f"{n}x {shape}" for shape, n in shapes.most_common())
        + f"; {calls:.1f} upstream calls per lookup on average"
    )
    rows = [
        ("gateway measured", gw.pct(50), gw.pct(95), f"{gw.pct(50) / critical:.2f}x"),
        ("floor measured", fl.pct(50), fl.pct(95), f"{fl.pct(50) / critical:.2f}x"),
        ("critical path: rounds x latency", critical, "", "1.00x"),
        (
            "critical path + gateway p50 at 0 ms",
            critical + base.pct(50),
            "",
            f"{(critical + base.pct(50)) / critical:.2f}x",
        ),
        (
            "regions one after another (sum over regions)",
            by_region,
            "",
            f"{by_region / critical:.2f}x",
        ),
        ("every upstream call one after another", serial, "", f"{serial / critical:.2f}x"),
    ]
    print(common.table(("figure", "p50 ms", "p95 ms", "/ critical"), rows))
    print(f"  gateway p50 is {by_region / gw.pct(50):.1f}x faster than asking regions in turn")
    SUMMARY.extend(
        [
            (f"fan-out p50 at {LATENCY_MS} ms / critical path", _ratio(gw.pct(50), critical)),
            ("regions one after another / fan-out p50", _ratio(by_region, gw.pct(50))),
        ]
    )


# --- 3. batching ---------------------------------------------------------------------------------


def pick_surname(estate: Estate) -> str:
    """A common surname that every system holds someone under."""
    counts = Counter(p.surname for p in estate.people.values())
    for surname, _ in counts.most_common(20):
        if all(store.search(surname) for store in estate.systems.values()):
            return surname
    return counts.most_common(1)[0][0]


async def batching(
    setup: common.EstateRun, gw: Side, gw_url: str, surname: str, plan: Plan
) -> dict[str, Any]:
    running = setup.running
    payload = {"query": SEARCH_QUERY, "variables": {"name": surname, "first": 20}}
    async with httpx.AsyncClient(timeout=30) as client:
        await client.post(gw_url, json=payload)  # warm
        common.reset_counters(running)
        before = {name: clock() for name, clock in gw.clocks.items()}
        t0 = time.perf_counter()
        response = await client.post(gw_url, json=payload)
        elapsed = time.perf_counter() - t0
        cpu = {name: clock() - before[name] for name, clock in gw.clocks.items()}
        counters = common.operations(common.read_counters(running))
        error = _graphql_error(response, "offenders")
        body = response.json()
        timings: dict[int, list[float]] = {}
        for latency in (0, LATENCY_MS):
            common.set_faults(running, latency_ms=latency)
            timings[latency] = []
            for _ in range(plan.search_repeats):
                t0 = time.perf_counter()
                again = await client.post(gw_url, json=payload)
                timings[latency].append(time.perf_counter() - t0)
                error = error or _graphql_error(again, "offenders")
        common.set_faults(running)
    return {
        "counters": counters,
        "body": body,
        "timings": timings,
        "error": error,
        "cpu": cpu,
        "elapsed": elapsed,
    }


def print_batching(setup: common.EstateRun, surname: str, found: dict[str, Any]) -> None:
    body = found["body"]
    connection = (body.get("data") or {}).get("offenders") or {"edges": [], "totalCount": 0}
    on_page: Counter[str] = Counter()
    for edge in connection["edges"]:
        for record in edge["node"]["records"]:
            on_page[record["region"]] += 1
    print(
        f"\n3. Batching: one search page, offenders(name: {surname!r}, first: 20) "
        f"-> {len(connection['edges'])} people of {connection['totalCount']}, "
        f"{sum(on_page.values())} regional records"
    )
    rows = []
    for name, system in setup.running.systems.items():
        ops = found["counters"][name]
        detail = sum(n for op, n in ops.items() if op in DETAIL_OPS)
        records = on_page[name]
        rows.append(
            (
                name,
                system.store.dialect,
                "yes" if _batches(system.store.dialect, system.store.batch) else "no",
                records,
                sum(n for op, n in ops.items() if op in SEARCH_OPS),
                sum(n for op, n in ops.items() if op in IDENTITY_OPS),
                detail,
                sum(ops.values()),
                f"{detail / records:.2f}" if records else "-",
            )
        )
    headers = (
        "region",
        "dialect",
        "batch",
        "records",
        "search",
        "identity",
        "details",
        "total",
        "detail calls/record",
    )
    print(common.table(headers, rows))
    print("  details = custody + movements (prison) or supervisions + managers (probation)")
    batch_calls = [r[7] for r in rows if r[2] == "yes"]
    single_calls = [r[7] for r in rows if r[2] == "no"]
    if batch_calls and single_calls:
        SUMMARY.append(
            (
                "search page: calls per batch region vs per no-batch region",
                f"{_span(batch_calls)} vs {_span(single_calls)}",
            )
        )
    cpu = found["cpu"]
    print(
        f"  the counted page took {found['elapsed'] * 1000:.0f} ms: gateway CPU "
        f"{cpu['server'] * 1000:.0f} ms, simulators CPU {cpu['simulators'] * 1000:.0f} ms"
    )
    for latency, times in found["timings"].items():
        if times:
            p50 = common.percentile(times, 50) * 1000
            print(f"  page latency at {latency} ms upstream: p50 {p50:.0f} ms ({len(times)} runs)")


def _span(values: list[Any]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _batches(dialect: str, batch: bool) -> bool:
    return dialect != "rest-snake" and batch


# --- 4. start-up ---------------------------------------------------------------------------------


def startup(people: int, seed: int, example: str | None) -> dict[str, float]:
    """``offender-graph demo`` as a fresh process: spawn to /ready, and its first lookup."""
    port = common.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "gateway.cli",
            "demo",
            "--people",
            str(people),
            "--seed",
            str(seed),
            "--port",
            str(port),
            "--config",
            str(Path(tmp) / "estate.toml"),
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        t0 = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        figures: dict[str, float] = {}
        try:
            deadline = t0 + 60
            while time.perf_counter() < deadline and process.poll() is None:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                        figures["ready_s"] = time.perf_counter() - t0
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            if "ready_s" in figures and example:
                t1 = time.perf_counter()
                httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": OFFENDER_QUERY, "variables": {"id": example}},
                    timeout=30,
                )
                figures["first_query_s"] = time.perf_counter() - t1
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                output, _ = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
    match = re.search(r"Started in ([0-9.]+) s", output or "")
    if match:
        figures["banner_s"] = float(match.group(1))
    if "ready_s" not in figures:
        print("  the demo did not become ready; its output:\n" + (output or "")[-2000:])
    return figures


def print_startup(figures: dict[str, float], setup: common.EstateRun, gw_start: float) -> None:
    people = len(setup.estate.people)
    print(f"\n4. Start-up of the demo ({people} people, {len(setup.running.systems)} systems)")
    rows = [
        ("fresh process: spawn -> /ready answers 200", figures.get("ready_s", math.nan)),
        ("  as the demo reports it (after imports)", figures.get("banner_s", math.nan)),
        ("  first offender lookup on the fresh demo", figures.get("first_query_s", math.nan)),
        ("in this process: generate the population", setup.generate_s),
        ("in this process: start 7 simulator servers", setup.start_s),
        ("in this process: start the gateway (WSDLs, connectors)", gw_start),
    ]
    print(common.table(("step", "seconds"), [(s, v) for s, v in rows]))
    SUMMARY.append(("demo start-up, spawn -> ready (s)", f"{figures.get('ready_s', math.nan):.1f}"))


# --- main ----------------------------------------------------------------------------------------


async def measure(
    setup: common.EstateRun,
    gateway: common.Served,
    floor: common.Served,
    people: list[TruePerson],
    plan: Plan,
) -> int:
    gw_url = gateway.base_url + "/graphql"
    sims = common.group_cpu(setup.running.group)
    gw = Side("gateway", gateway_lookup(gw_url), {"server": gateway.cpu(), "simulators": sims})
    fl = Side("floor", floor_lookup(floor.base_url), {"server": floor.cpu(), "simulators": sims})
    errors = 0
    for side in (gw, fl):  # warm both: connections, OAuth tokens, code paths
        warm = await load(side, people, 4, plan.warmup, 15)
        errors += _report_errors([warm])

    parity = check_parity(setup, gw_url, floor.base_url, people)
    print(
        f"\n0. Parity over {len(people)} people: same upstream calls for {parity.same_calls}, "
        f"same answer shape for {parity.same_answer}"
    )
    for line in parity.differences[:5]:
        print("  " + line)

    results = await overhead(gw, fl, people, plan)
    print_overhead(results)
    errors += _report_errors(results)

    gw50, fl50 = await fanout(setup, gw, fl, people, plan)
    print_fanout(gw50, fl50, people, parity, results[0])
    errors += _report_errors([gw50, fl50])

    surname = pick_surname(setup.estate)
    found = await batching(setup, gw, gw_url, surname, plan)
    print_batching(setup, surname, found)
    if found["error"]:
        print(f"  ERROR in the search page: {found['error']}")
        errors += 1
    return errors


def _report_errors(results: list[common.LoadResult]) -> int:
    errors = 0
    for r in results:
        if r.errors:
            errors += len(r.errors)
            print(f"  ERROR: {r.label} answered {len(r.errors)} errors, first: {r.errors[0]}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run")
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE, help="population size")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--skip-startup", action="store_true", help="leave out figure 4")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    print(f"Offender Graph gateway benchmark{' (quick)' if args.quick else ''}")
    print(f"machine: {common.machine_note()}; everything on 127.0.0.1 in one process")

    estate, generate_s = common.generate(args.people, args.seed)
    people = example_people(estate, plan.people)
    figures: dict[str, float] = {}
    if not args.skip_startup:  # first, while no server of ours runs
        figures = startup(args.people, args.seed, people[0].noms if people else None)
    setup = common.start_estate(estate, generate_s)
    gateway = floor = None
    try:
        gateway = common.serve_gateway(setup.running)
        floor = common.serve(create_floor_app(setup.running.region_tables()))
        regions = statistics.mean(len(p.slices) for p in people)
        print(
            f"estate: {len(setup.estate.people)} people in {len(setup.running.systems)} systems; "
            f"lookups cycle through {len(people)} people spanning custody and probation "
            f"({regions:.1f} systems each on average)"
        )
        errors = asyncio.run(measure(setup, gateway, floor, people, plan))
        if figures:
            print_startup(figures, setup, gateway.start_s)
        print("\nSummary")
        print(common.table(("figure", "value"), SUMMARY))
    finally:
        for served in (floor, gateway):
            if served is not None:
                served.stop()
        setup.running.stop()
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    if errors:
        print(f"FAILED: {errors} errors during the measured loads")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
