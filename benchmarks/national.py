"""The gateway at national scale: 100,000 people across 17 systems (5 prison groups and the 12
probation regions), the person index seeded by ``offender-graph index build``.

Steps, each timed: generate the estate, serve it on loopback, build the index (SQLite, a file),
then run the real gateway (``offender-graph serve``, its own process, the cache off so every
request makes its upstream calls) and measure, one request at a time:

- lookups by NOMS number of people the index knows (warm: one round of their own regions);
- name searches (a page of 20) by an exact surname, and by the surname with one typing error;
- each region's own search call for the same surnames (its connector, straight to the system):
  the target is search p95 <= 2x the slowest region's search p95;
- the index file's size and the gateway process's resident memory (now and at its peak).

    .venv/bin/python benchmarks/national.py                  # 100,000 people, 17 systems
    .venv/bin/python benchmarks/national.py --people 20000   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine_note, percentile, table
from connectors.base import PersonSearch
from connectors.registry import available_dialects, dialect_for
from gateway.settings import parse_settings
from simulators.population import DEFAULT_SEED, generate_estate
from simulators.runner import RunningEstate
from simulators.server import free_port
from simulators.truth import Estate

LOOKUP = """query Lookup($id: String!) { offender(identifier: $id) {
  id name { forename surname } dateOfBirth status records { region localId } } }"""
SEARCH = """query Search($name: String!) { offenders(name: $name, first: 20) {
  edges { node { id name { forename surname } dateOfBirth } match { kind } } } }"""
BIN = Path(sys.executable).parent


def typo(surname: str, rng: random.Random) -> str:
    """The surname with two neighbouring letters swapped (one typing error)."""
    if len(surname) < 4:
        return surname + surname[-1]
    at = rng.randrange(1, len(surname) - 2)
    return surname[:at] + surname[at + 1] + surname[at] + surname[at + 2 :]


def timed_requests(
    url: str, query: str, values: Sequence[str], key: str
) -> tuple[list[float], str]:
    """Milliseconds per request, one at a time, and the error codes answers carried."""
    times: list[float] = []
    codes: Counter[str] = Counter()
    with httpx.Client(timeout=60) as client:
        for value in values:
            began = time.perf_counter()
            response = client.post(url, json={"query": query, "variables": {key: value}})
            times.append((time.perf_counter() - began) * 1000)
            for error in response.json().get("errors", []):
                codes[error.get("extensions", {}).get("code", str(response.status_code))] += 1
    return times, ", ".join(f"{code} {n}" for code, n in codes.most_common()) or "none"


async def region_searches(
    running: RunningEstate, surnames: Sequence[str]
) -> dict[str, list[float]]:
    """Each region's own search call per surname (its connector, no gateway), in ms."""
    settings = parse_settings({"regions": running.region_tables(), "auth": {"mode": "off"}})
    dialects = available_dialects()
    times: dict[str, list[float]] = {}
    for config in settings.regions:
        connector = dialect_for(config, dialects)(config)
        await connector.start()
        try:
            times[config.name] = []
            for surname in surnames:
                began = time.perf_counter()
                await connector.search_people(PersonSearch(surname))
                times[config.name].append((time.perf_counter() - began) * 1000)
        finally:
            await connector.aclose()
    return times


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def wait_ready(base: str, process: subprocess.Popen[bytes], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the gateway exited during start-up")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the gateway did not start")


def sample(estate: Estate, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """NOMS numbers of people with at least two records, and surnames of people."""
    spanning = [p for p in estate.spanning(2) if p.noms]
    people = rng.sample(spanning, min(count, len(spanning)))
    return [p.noms for p in people if p.noms], [p.surname for p in people]


def row(name: str, values: Sequence[float], extra: object = "") -> list[object]:
    return [name, len(values), percentile(values, 50), percentile(values, 95), extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="lookups and searches each")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"national scale: {args.people:,} people, 17 systems; {machine_note()}")

    began = time.perf_counter()
    estate = generate_estate(seed=args.seed, people=args.people, scale="national")
    generated = time.perf_counter() - began
    running = RunningEstate(estate).start()
    work = Path(tempfile.mkdtemp(prefix="national-"))
    try:
        index = work / "index.sqlite3"
        config = work / "gateway.toml"
        config.write_text(
            running.config_toml(
                index={"url": f"sqlite:///{index}"},
                cache={"enabled": False},
                resilience={"probe_interval": 3600.0},
            ),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("OFFENDER_GRAPH_")}
        began = time.perf_counter()
        build = subprocess.run(
            [str(BIN / "offender-graph"), "index", "build", "--config", str(config)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        built = time.perf_counter() - began
        print(build.stdout.rstrip().splitlines()[-1] if build.stdout else build.stderr)
        if build.returncode != 0:
            raise SystemExit(build.stdout + build.stderr)
        port = free_port()
        serve = [str(BIN / "offender-graph"), "serve", "--config", str(config), "--port", str(port)]
        quiet = subprocess.DEVNULL  # its JSON logs
        gateway = subprocess.Popen(serve, env=env, stdout=quiet, stderr=quiet)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, gateway)
            rss_start = rss_mb(gateway.pid)
            noms, surnames = sample(estate, args.requests, rng)
            typed = [typo(s, rng) for s in surnames]
            lookups, lookup_errors = timed_requests(base + "/graphql", LOOKUP, noms, "id")
            exact, exact_errors = timed_requests(base + "/graphql", SEARCH, surnames, "name")
            typos, typo_errors = timed_requests(base + "/graphql", SEARCH, typed, "name")
            rss_now, rss_peak = rss_mb(gateway.pid)
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
        regions = asyncio.run(region_searches(running, surnames[:50]))
    finally:
        running.stop()
    slowest = max(regions, key=lambda name: percentile(regions[name], 95))
    slowest_p95 = percentile(regions[slowest], 95)
    print()
    size = index.stat().st_size / 2**20
    print(f"generate {generated:.1f} s, index build {built:.1f} s, index {size:.1f} MB")
    print(
        table(
            ["request (one at a time)", "n", "p50 ms", "p95 ms", "error codes"],
            [
                row("lookup by NOMS (indexed)", lookups, lookup_errors),
                row("search, exact surname", exact, exact_errors),
                row("search, one typing error", typos, typo_errors),
                row(f"slowest region's own search ({slowest})", regions[slowest]),
            ],
        )
    )
    worst = max(percentile(exact, 95), percentile(typos, 95))
    print(
        f"\n  search p95 / slowest region's search p95: {worst / slowest_p95:.2f}x (target <= 2x)"
    )
    print(
        f"  gateway RSS: {rss_start[0]:.0f} MB after start-up, {rss_now:.0f} MB after the runs, "
        f"peak {rss_peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
