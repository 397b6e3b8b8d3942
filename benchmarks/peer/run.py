"""The peer side by side: GraphQL Mesh + Hive Gateway and Offender Graph, in one run, over the
same two simulated systems (one SOAP prison group, one rest-camel probation region, answering at
once), on the same join: a person by NOMS number with their name, CRN and offender manager.

Each side is warmed up (Hive Gateway's CPU per request halves over its first ~10 s of load, as
node's JIT settles), checked (every person's answer against the estate's truth), then loaded by
wrk for ``--seconds`` at ``--connections``. Printed per side: req/s, p50 and p99, the server
processes' CPU per request (every worker's), the upstream calls per request (SOAP and REST,
counted by the simulators during the load); then the ratios. Exits 0 with a message when node,
npm or wrk are missing; 1 when a side answered an error or a wrong answer.

    .venv/bin/python benchmarks/peer/run.py            # 10 s warm-up + 10 s per side
    .venv/bin/python benchmarks/peer/run.py --quick    # 3 s + 3 s per side
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/common.py

import common
import load
import sides

from connectors.identifiers import IdentifierKind
from gateway.ids import new_id_key
from simulators.population import DEFAULT_SEED, generate_estate
from simulators.processes import GatewayProcess
from simulators.runner import RunningEstate
from simulators.stores import PrisonerRecord, ProbationCase
from simulators.truth import Estate

PRISON, PROBATION = "prison-north", "probation-north"  # soap-prison and rest-camel, both batch
NOT_PER_REQUEST = {"_requests", "token", "WSDL"}  # start-up and token calls, not the join's
PEER_COLD = "peer: Mesh + Hive Gateway, 1 fork"
NOMS = IdentifierKind.NOMS
COLUMNS = ("side", "requests", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "SOAP/req", "REST/req")
COLUMNS_SIMS = (*COLUMNS, "sims CPU ms/req")


@dataclass(frozen=True)
class Row:
    label: str
    result: load.Load
    calls: dict[str, Counter[str]]  # upstream calls by system and operation during the load
    sims_cpu_s: float  # the simulators' thread, during the load

    @property
    def sims_ms_per_request(self) -> float:
        return self.sims_cpu_s * 1000 / max(1, self.result.requests)

    def per_request(self, system: str) -> float:
        return sum(self.calls[system].values()) / max(1, self.result.requests)


@dataclass
class Bench:
    """One run's estate, people and settings, and the rows measured so far."""

    running: RunningEstate
    expected: dict[str, sides.Joined]  # by NOMS number: what the estate says the join is
    args: argparse.Namespace
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def measure(
        self, label: str, url: str, pid: int, bodies: Path, read: Callable[[Any], sides.Joined]
    ) -> None:
        """Warm up, check every person's answer, then load; one row."""
        args = self.args
        load.run_wrk(url, bodies, seconds=args.warmup, connections=args.connections, server_pid=pid)
        self.check(label, url, bodies, read)
        common.reset_counters(self.running)
        sims_cpu = common.group_cpu(self.running.group)
        sims_before = sims_cpu()
        result = load.run_wrk(
            url, bodies, seconds=args.seconds, connections=args.connections, server_pid=pid
        )
        sims_cpu_s = sims_cpu() - sims_before
        calls = common.operations(common.read_counters(self.running))
        for counter in calls.values():
            for name in NOT_PER_REQUEST & set(counter):
                del counter[name]
        self.rows.append(Row(label, result, calls, sims_cpu_s))
        if result.errors:
            self.failures.append(f"{label}: {result.errors} errors under load")
        print(f"  measured {label}: {result.rps:.0f} req/s", flush=True)

    def check(
        self, label: str, url: str, bodies: Path, read: Callable[[Any], sides.Joined]
    ) -> None:
        wrong = 0
        with httpx.Client(timeout=10) as client:
            for body in bodies.read_text(encoding="utf-8").splitlines():
                try:
                    answer = read(client.post(url, content=body, headers=JSON).json())
                except (KeyError, TypeError, ValueError):  # an error, or an answer of another shape
                    answer = None
                if answer is None or self.expected.get(answer.noms) != answer:
                    wrong += 1
        if wrong:
            self.failures.append(f"{label}: {wrong} of {len(self.expected)} answers wrong")


JSON = {"Content-Type": "application/json"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per side (default 10)")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="warm-up per side (default 10; node's JIT)"
    )
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--people", type=int, default=100, help="distinct people, at most")
    parser.add_argument("--quick", action="store_true", help="3 s per side, 3 s warm-up")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/13", help="the cache 2 warm workers share"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 3.0, 3.0
    missing = sides.missing_tools()
    if missing:
        print(f"Peer benchmark skipped: {missing} (the peer needs node and npm, the load wrk)")
        return 0
    try:
        sides.install_peer()
    except subprocess.CalledProcessError:
        print("Peer benchmark skipped: `npm ci` in benchmarks/peer failed (offline?)")
        return 0
    estate = two_systems(generate_estate(seed=DEFAULT_SEED, people=5000))
    expected = joinable(estate, args.people)
    running = RunningEstate(estate).start()
    for system in running.systems.values():  # a region's concurrency limit is not measured here
        system.region = {**system.region, "concurrency": max(8, args.connections)}
    bench = Bench(running, expected, args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_sides(bench, Path(tmp))
    finally:
        running.stop()
    report(bench.rows)
    for failure in bench.failures:
        print(f"  ERROR {failure}")
    return 1 if bench.failures else 0


def run_sides(bench: Bench, work: Path) -> None:
    prison, probation = (bench.running.systems[name] for name in (PRISON, PROBATION))
    supergraph = work / "supergraph.graphql"
    composed_s = sides.compose(prison.url, probation.url, supergraph)
    token = sides.client_token(probation.region)
    args = bench.args
    print(
        f"Peer benchmark: {common.machine_note()}; {len(bench.expected)} people cycled, "
        f"{args.connections} connections, {args.seconds:g} s per side after {args.warmup:g} s "
        f"of warm-up; supergraph composed in {composed_s:.1f} s",
        flush=True,
    )
    noms = list(bench.expected)
    peer_bodies = write(work / "peer.txt", sides.bodies(sides.PEER_QUERY, noms))
    ours_bodies = write(work / "ours.txt", sides.bodies(sides.OURS_QUERY, noms))
    for forks in (1, 2):
        hive = sides.HiveGateway(supergraph, token, forks=forks)
        label = f"peer: Mesh + Hive Gateway, {forks} fork{'s' if forks > 1 else ''}"
        try:
            bench.measure(label, hive.url, hive.process.pid, peer_bodies, sides.read_peer)
        finally:
            hive.stop()
    for label, workers, cache in our_sides(args.redis):
        config = work / f"ours-{len(bench.rows)}.toml"
        write(config, our_config(bench.running, work, cache))
        gateway = GatewayProcess(config, workers=workers)
        try:
            bench.measure(label, gateway.url, gateway.process.pid, ours_bodies, sides.read_ours)
        finally:
            gateway.stop()


def our_sides(redis_url: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(label, workers, [cache] table) of each of our rows; the Redis one only if it answers."""
    cold: dict[str, Any] = {"enabled": False}
    warm: dict[str, Any] = {"default_ttl": 600}
    yield "ours: 1 worker", 1, cold
    yield "ours: 2 workers", 2, cold
    yield "ours: 1 worker, warm cache (memory)", 1, warm
    if redis_up(redis_url):
        shared = warm | {"url": redis_url, "namespace": f"peer-bench-{uuid.uuid4().hex[:8]}"}
        yield "ours: 2 workers, warm cache (Redis)", 2, shared
    else:
        print(f"  (Redis at {redis_url} does not answer: no row for 2 workers sharing a cache)")


def redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def our_config(running: RunningEstate, work: Path, cache: dict[str, Any]) -> str:
    """Our gateway over the two regions: authentication and the audit log off (the peer has
    neither), the person index in the temp dir, no background probe (it would show in the
    counters)."""
    return running.config_toml(
        {"id_key": new_id_key()},
        cache=cache,
        resilience={"probe_interval": 3600.0},
        audit={"enabled": False},
        index={"url": f"sqlite:///{work / 'index.sqlite3'}"},
    )


def two_systems(estate: Estate) -> Estate:
    """The estate with only the prison and probation systems of the join."""
    systems = {name: estate.systems[name] for name in (PRISON, PROBATION)}
    return Estate(estate.seed, systems, estate.people)


def joinable(estate: Estate, count: int) -> dict[str, sides.Joined]:
    """Up to ``count`` people the join answers without ambiguity, by NOMS number: one prison and
    one probation record carrying their NOMS number, the same name in both, the case's CRN the
    person's, a responsible officer, no access limits."""
    found: dict[str, sides.Joined] = {}
    prison, probation = estate.systems[PRISON], estate.systems[PROBATION]
    for person in estate.people.values():
        if person.noms is None or person.limited or PRISON not in person.slices:
            continue
        inmate = prison.records.get(person.slices[PRISON])
        case = probation.records.get(person.slices.get(PROBATION, ""))
        if not (isinstance(inmate, PrisonerRecord) and isinstance(case, ProbationCase)):
            continue
        officers = [m.staff_code for m in case.managers if m.responsible_officer]
        same = (inmate.forename, inmate.surname) == (case.forename, case.surname)
        if (
            same
            and officers
            and inmate.noms_number == case.noms_number == person.noms
            and case.crn == person.crn
            and len(prison.find(NOMS, person.noms)) == len(probation.find(NOMS, person.noms)) == 1
        ):
            found[person.noms] = sides.Joined(
                person.noms, inmate.forename, inmate.surname, case.crn, officers[0]
            )
        if len(found) == count:
            break
    return found


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def report(rows: Sequence[Row]) -> None:
    print("\nThe join at instant upstreams, side by side (server CPU: every process of the side)")
    print(
        common.table(
            COLUMNS_SIMS,
            [
                (
                    row.label,
                    row.result.requests,
                    row.result.rps,
                    row.result.p50_ms,
                    row.result.p99_ms,
                    f"{row.result.cpu_ms_per_request:.2f}",
                    f"{row.per_request(PRISON):.2f}",
                    f"{row.per_request(PROBATION):.2f}",
                    f"{row.sims_ms_per_request:.2f}",
                )
                for row in rows
            ],
        )
    )
    for row in rows:
        ops = ", ".join(
            f"{op} {n / max(1, row.result.requests):.2f}"
            for system in (PRISON, PROBATION)
            for op, n in sorted(row.calls[system].items())
        )
        print(f"  {row.label}: {ops or 'no upstream calls'} per request")
    by_label = {row.label: row for row in rows}
    peer = by_label.get(PEER_COLD)
    if peer is None:
        return
    print("\nRatios to the peer (1 fork, no cache)")
    ratios = [
        (
            row.label,
            f"{row.result.rps / peer.result.rps:.2f}x",
            f"{row.result.cpu_ms_per_request / peer.result.cpu_ms_per_request:.2f}x",
            f"{row.result.p99_ms / peer.result.p99_ms:.2f}x",
        )
        for row in rows
        if row is not peer
    ]
    print(common.table(("side", "req/s", "CPU ms/req", "p99"), ratios))
    print(
        "  targets (issue 11): ours <= 2 ms CPU per request and >= 400 req/s on 1 worker, "
        ">= 750 req/s on 2; warm cache >= 5x the peer's req/s"
    )


if __name__ == "__main__":
    sys.exit(main())
