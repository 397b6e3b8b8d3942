"""Resilience and cache benchmark: degraded regions before and after their breaker opens, and
repeated lookups with a warm cache against the cold path, on 1 and 2 uvicorn workers.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/resilience.py [--quick]``). Everything
sends traffic to 127.0.0.1 only; every loop is bounded by a count and a time.

1. Degraded: one region (``probation-north``) in outage, slow (3 s against a 0.5 s timeout),
   flaky (30% errors) or trickling (a byte every 0.3 s). Each is measured on a gateway whose
   breaker never opens (``failure_threshold`` huge: every lookup waits for the region) and on one
   with the default breaker, once it is open. Printed: p50, p99, the share of complete answers
   (no error) and of answers whose status is a definite value, against the healthy p99.
2. Warm cache: the same lookups repeated with every answer cached, against the cold path, on
   1 worker (in-process memory cache) and 2 worker processes sharing Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import httpx

from gateway.cli.estate import example_people
from simulators.processes import GatewayProcess
from simulators.truth import TruePerson

REGION = "probation-north"
QUERY = """
query Offender($id: String!) {
  offender(identifier: $id) {
    id identifiers { nomsNumber crn pncNumber } name { forename surname } status
    offenderManager { staffCode } custody { prisonId startDate active }
    supervision { kind startDate active } timeline { date type }
    sources { region outcome }
  }
}
"""
FAULTS: dict[str, dict[str, Any]] = {
    "outage": {"outage": True},
    "slow": {"latency_ms": 3000},
    "flaky (30% errors)": {"error_rate": 0.3},
    "trickle": {"trickle_ms": 300},
}
SUMMARY: list[tuple[str, str]] = []


@dataclass(frozen=True)
class Plan:
    people: int
    requests: int
    seconds: float
    concurrency: int


FULL = Plan(people=60, requests=300, seconds=12.0, concurrency=4)
QUICK = Plan(people=20, requests=80, seconds=5.0, concurrency=4)


@dataclass
class Tally:
    """What the answers of one load said."""

    complete: int = 0
    definite: int = 0
    total: int = 0


def lookup(url: str, tally: Tally) -> common.Request:
    async def send(client: httpx.AsyncClient, person: TruePerson) -> str | None:
        response = await client.post(url, json={"query": QUERY, "variables": {"id": person.noms}})
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        body = response.json()
        offender = (body.get("data") or {}).get("offender")
        tally.total += 1
        if offender is None:
            return "no offender"
        tally.complete += "errors" not in body
        tally.definite += offender["status"] != "UNKNOWN"
        return None

    return send


async def measure(
    url: str, people: list[TruePerson], plan: Plan, label: str
) -> tuple[common.LoadResult, Tally]:
    tally = Tally()
    result = await common.run_load(
        label,
        lookup(url, tally),
        people,
        concurrency=plan.concurrency,
        max_requests=plan.requests,
        max_seconds=plan.seconds,
    )
    return result, tally


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _wait_open(url: str, timeout: float = 20.0) -> bool:
    ready = url.removesuffix("/graphql") + "/ready"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        regions = httpx.get(ready, timeout=5).json()["regions"]
        if regions[REGION]["breaker"] == "OPEN":
            return True
        time.sleep(0.1)
    return False


async def degraded(setup: common.EstateRun, people: list[TruePerson], plan: Plan) -> None:
    region = {"timeout": 0.5}
    never = common.serve_gateway(
        setup.running, region=region, resilience={"failure_threshold": 1_000_000_000}
    )
    breaker = common.serve_gateway(
        setup.running, region=region, resilience={"open_seconds": 30.0, "probe_interval": 1.0}
    )
    try:
        rows: list[tuple[object, ...]] = []
        healthy, tally = await measure(never.base_url + "/graphql", people, plan, "healthy")
        rows.append(
            (
                "healthy",
                "-",
                healthy.pct(50),
                healthy.pct(99),
                _share(tally.complete, tally.total),
                _share(tally.definite, tally.total),
                "1.00x",
            )
        )
        for name, faults in FAULTS.items():
            common.set_faults(setup.running, only=REGION, **faults)
            try:
                closed, t1 = await measure(never.base_url + "/graphql", people, plan, name)
                await measure(
                    breaker.base_url + "/graphql", people[:8], Plan(8, 8, 10.0, 4), "open it"
                )
                is_open = _wait_open(breaker.base_url + "/graphql")
                opened, t2 = await measure(breaker.base_url + "/graphql", people, plan, name)
            finally:
                common.set_faults(setup.running, only=REGION)
                await asyncio.sleep(1.5)  # the probe closes the breaker again
            for label, result, t in (
                ("never opens", closed, t1),
                ("open" if is_open else "did not open", opened, t2),
            ):
                rows.append(
                    (
                        name,
                        label,
                        result.pct(50),
                        result.pct(99),
                        _share(t.complete, t.total),
                        _share(t.definite, t.total),
                        f"{result.pct(99) / healthy.pct(99):.2f}x",
                    )
                )
            SUMMARY.append(
                (
                    f"{name}: p99 with the breaker open / healthy p99",
                    f"{opened.pct(99) / healthy.pct(99):.2f}x",
                )
            )
        print(
            f"\n1. One region degraded ({REGION}), {plan.concurrency} concurrent lookups, "
            "simulators at 0 ms"
        )
        print(
            common.table(
                (
                    "fault",
                    "breaker",
                    "p50 ms",
                    "p99 ms",
                    "complete",
                    "definite status",
                    "p99 / healthy",
                ),
                rows,
            )
        )
        print(
            "  complete: answers with no error; definite status: not UNKNOWN (a region that could\n"
            "  hold the person failed, so status is UNKNOWN rather than a guess)."
        )
    finally:
        never.stop()
        breaker.stop()


def _workers_config(setup: common.EstateRun, cache: dict[str, Any], path: Path) -> Path:
    path.write_text(
        setup.running.config_toml({"request_deadline": 5.0}, cache=cache), encoding="utf-8"
    )
    path.chmod(0o600)
    return path


async def warm(
    setup: common.EstateRun, people: list[TruePerson], plan: Plan, redis_url: str
) -> None:
    rows: list[tuple[object, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cold: dict[int, common.LoadResult] = {}
        for workers, shared in ((1, False), (2, False), (2, True)):
            where = "Redis" if shared else "memory"
            cache: dict[str, Any] = {"default_ttl": 600}
            if shared:
                cache |= {"url": redis_url, "namespace": f"bench-{uuid.uuid4().hex[:8]}"}
            configs = [("warm", _workers_config(setup, cache, Path(tmp) / f"w{workers}{where}"))]
            if workers not in cold:
                off = _workers_config(setup, {"enabled": False}, Path(tmp) / f"cold{workers}")
                configs.insert(0, ("cold", off))
            for label, config in configs:
                gateway = GatewayProcess(config, workers=workers)
                url = gateway.url
                try:
                    if label == "warm":  # every worker sees every person at least once
                        warmup = Plan(len(people), len(people) * 4, 30.0, 4)
                        await measure(url, people, warmup, "warm-up")
                    load = Plan(len(people), plan.requests * 3, plan.seconds, 8)
                    result, _ = await measure(url, people, load, label)
                finally:
                    gateway.stop()
                if label == "cold":
                    cold[workers] = result
                    rows.append(
                        (
                            workers,
                            "off",
                            result.count,
                            result.rps,
                            result.pct(50),
                            result.pct(99),
                            len(result.errors),
                            "1.0x",
                        )
                    )
                    continue
                ratio = f"{result.rps / cold[workers].rps:.1f}x"
                rows.append(
                    (
                        workers,
                        where,
                        result.count,
                        result.rps,
                        result.pct(50),
                        result.pct(99),
                        len(result.errors),
                        ratio,
                    )
                )
                SUMMARY.append((f"warm ({where}) / cold req/s, {workers} worker(s)", ratio))
    print(
        "\n2. Repeated lookups, warm cache against the cold path "
        "(8 concurrent; 2 workers share Redis)"
    )
    print(
        common.table(
            ("workers", "cache", "requests", "req/s", "p50 ms", "p99 ms", "errors", "/ cold"),
            rows,
        )
    )


async def main_async(plan: Plan, skip_workers: bool) -> None:
    estate, gen_s = common.generate(5000)
    setup = common.start_estate(estate, gen_s)
    try:
        people = [p for p in example_people(estate, count=400) if REGION in p.slices][: plan.people]
        print(
            f"Resilience benchmark: {common.machine_note()}; {len(people)} people known to {REGION}"
        )
        await degraded(setup, people, plan)
        if not skip_workers:
            await warm(
                setup,
                people,
                plan,
                os.environ.get("OFFENDER_GRAPH_BENCH_REDIS", "redis://127.0.0.1:6379/14"),
            )
    finally:
        setup.running.stop()
    print("\nSummary")
    print(common.table(("figure", "value"), SUMMARY))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, under two minutes")
    parser.add_argument("--skip-workers", action="store_true", help="leave out figure 2")
    args = parser.parse_args(argv)
    asyncio.run(main_async(QUICK if args.quick else FULL, args.skip_workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
