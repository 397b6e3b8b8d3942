"""``/metrics`` over the app with fake regions: every family and label after a lookup, errors by
code, cache hits, misses and stale serves, breaker states; the label bounds; the hooks alone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from auth.principal import Principal
from connectors.base import Capability
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.cache_store import CacheStore
from gateway.ids import new_id_key
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.metrics_export import LiveCollector, MetricsExport, forget_dead_workers
from gateway.observability.metrics_graphql import OperationNames, operation_metrics, outcome
from gateway.observability.metrics_observer import MetricsObserver
from gateway.pipeline.breaker import CircuitBreakers
from gateway.pipeline.breaker_store import MemoryBreakerStore
from gateway.pipeline.cache import CacheStage
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.pipeline.observe import Observation
from gateway.runtime import build_runtime
from gateway.settings import CacheSettings, IndexSettings, ResilienceSettings
from schema.build import build_schema
from simulators.runner import RunningEstate
from simulators.server import free_port
from tests.gateway.inprocess import FakeRegion, app_client, booking, licence, person, settings

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
C = Capability
LOOKUP = """query Lookup($id: String!) {
  offender(identifier: $id) { name { surname } custody { bookingId } supervision { episodeId } }
}"""
JUST_NAME = "query JustName($id: String!) { offender(identifier: $id) { name { surname } } }"
FAMILIES = {
    "offender_graph_graphql_requests": {"operation", "outcome"},
    "offender_graph_graphql_request_duration_seconds": {"operation"},
    "offender_graph_graphql_requests_in_flight": set(),
    "offender_graph_upstream_calls": {"region", "operation", "outcome"},
    "offender_graph_upstream_call_duration_seconds": {"region", "operation"},
    "offender_graph_upstream_errors": {"region", "operation", "code"},
    "offender_graph_upstream_batch_keys": {"region", "operation"},
    "offender_graph_cache_lookups": {"region", "operation", "result"},
    "offender_graph_breaker_state": {"region", "state"},
}
QUICK = {"probe_interval": 3600.0, "backoff_initial": 0.001, "backoff_max": 0.002}


def estate() -> tuple[FakeRegion, FakeRegion]:
    """One person: in custody in ``prison``, on licence in ``probation`` (which also has a CRN)."""
    prison = FakeRegion(
        "prison",
        SystemKind.CUSTODY,
        [person("prison", "P1", NOMS)],
        {C.CUSTODY_FOR: [booking("prison", "P1", date(2020, 1, 1), active=False)]},
    )
    probation = FakeRegion(
        "probation",
        SystemKind.PROBATION,
        [person("probation", "S1", NOMS, CRN)],
        {C.SUPERVISION_FOR: [licence("probation", "S1", date(2021, 1, 1), active=True)]},
    )
    return prison, probation


@pytest.fixture
def regions() -> tuple[FakeRegion, FakeRegion]:
    return estate()


@contextlib.asynccontextmanager
async def serve(
    regions: tuple[FakeRegion, ...],
    cache: CacheSettings | None = None,
    index: IndexSettings | None = None,
    **resilience: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over the fake regions, its lifespan running, and a client for it."""
    options = settings(
        cache=cache or CacheSettings(enabled=False),
        resilience=ResilienceSettings(**{**QUICK, **resilience}),
        **({"index": index} if index else {}),
    )
    async with app_client(options, {r.region: r for r in regions}) as client:
        yield client


@pytest.fixture
async def client(regions: tuple[FakeRegion, FakeRegion]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(regions, CacheSettings(enabled=True)) as running:
        yield running


async def ask(client: httpx.AsyncClient, query: str = LOOKUP, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample called ``name`` with exactly ``labels``, or None if there is none."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def keys_asked(region: FakeRegion, capability: Capability) -> int:
    return sum(len(keys) for c, keys in region.calls if c is capability)


async def test_every_family_and_its_labels_after_a_lookup(
    client: httpx.AsyncClient, regions: tuple[FakeRegion, FakeRegion]
) -> None:
    body = await ask(client, id=NOMS.value)
    assert "errors" not in body and body["data"]["offender"]["name"]["surname"] == "Smith"
    text = await scrape(client)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(FAMILIES) <= set(families)
    for name, label_names in FAMILIES.items():
        for sample in families[name].samples:
            assert set(sample.labels) - {"le"} == label_names, (name, sample)

    assert value(text, "offender_graph_graphql_requests_total", operation="Lookup", outcome="ok")
    assert value(text, "offender_graph_graphql_request_duration_seconds_count", operation="Lookup")
    assert value(text, "offender_graph_graphql_requests_in_flight") == 0
    for region in regions:
        for capability in {c for c, _ in region.calls}:
            labels = {"region": region.region, "operation": capability.value}
            calls = float(region.count(capability))
            keys = float(keys_asked(region, capability))
            assert (
                value(text, "offender_graph_upstream_calls_total", **labels, outcome="ok") == calls
            )
            assert (
                value(text, "offender_graph_upstream_call_duration_seconds_count", **labels)
                == calls
            )
            assert value(text, "offender_graph_upstream_batch_keys_count", **labels) == calls
            assert value(text, "offender_graph_upstream_batch_keys_sum", **labels) == keys
            assert (
                value(text, "offender_graph_cache_lookups_total", **labels, result="miss") == keys
            )
            assert value(text, "offender_graph_cache_lookups_total", **labels, result="hit") is None
        for state, expected in (("CLOSED", 1.0), ("OPEN", 0.0), ("HALF_OPEN", 0.0)):
            breaker = value(text, "offender_graph_breaker_state", region=region.region, state=state)
            assert breaker == expected
    assert families["offender_graph_upstream_errors"].samples == []  # nothing failed
    assert "audit_queue" not in text  # no audit sink yet: no made-up gauge


async def test_a_second_lookup_is_counted_as_cache_hits_and_asks_no_region(
    regions: tuple[FakeRegion, FakeRegion],
) -> None:
    # The index off: the second lookup repeats the first walk's questions, each a cache hit
    # (with the index it would ask only the confirming questions: tests/gateway/index/).
    off = IndexSettings(enabled=False)
    async with serve(regions, CacheSettings(enabled=True), off) as client:
        await ask(client, id=NOMS.value)
        asked = [list(r.calls) for r in regions]
        await ask(client, id=NOMS.value)
        assert [r.calls for r in regions] == asked
        text = await scrape(client)
    assert (
        value(text, "offender_graph_graphql_requests_total", operation="Lookup", outcome="ok") == 2
    )
    for region in regions:
        for capability in {c for c, _ in region.calls}:
            labels = {"region": region.region, "operation": capability.value}
            keys = float(keys_asked(region, capability))
            assert value(text, "offender_graph_cache_lookups_total", **labels, result="hit") == keys
            assert (
                value(text, "offender_graph_cache_lookups_total", **labels, result="miss") == keys
            )
            calls = float(region.count(capability))  # the hits made no upstream call
            assert (
                value(text, "offender_graph_upstream_calls_total", **labels, outcome="ok") == calls
            )


async def test_a_stale_serve_is_counted_as_stale() -> None:
    prison = estate()[0]
    async with serve(
        (prison,), CacheSettings(enabled=True, default_ttl=0.05, stale_grace=600)
    ) as client:
        await ask(client, JUST_NAME, id=NOMS.value)
        await asyncio.sleep(0.1)  # the answer is past its freshness, within its grace
        prison.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("prison", "down")
        body = await ask(client, JUST_NAME, id=NOMS.value)
        assert body["data"]["offender"]["name"]["surname"] == "Smith"  # from the stale entry
        text = await scrape(client)
    labels = {"region": "prison", "operation": "find_by_identifiers"}
    assert value(text, "offender_graph_cache_lookups_total", **labels, result="miss") == 1
    assert value(text, "offender_graph_cache_lookups_total", **labels, result="stale") == 1
    assert value(text, "offender_graph_cache_lookups_total", **labels, result="hit") is None
    code = "REGION_UNAVAILABLE"
    assert value(text, "offender_graph_upstream_errors_total", **labels, code=code) == 1


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        # once: its retries are inside the observed call; later asks in the request fail fast
        (RegionUnavailable("prison", "down"), 1),
        # twice: for the NOMS number, then for the CRN the probation record carries
        (UpstreamInvalid("prison", "bad reply"), 2),
    ],
    ids=["unavailable", "invalid"],
)
async def test_an_upstream_failure_is_counted_with_its_code(
    regions: tuple[FakeRegion, FakeRegion], error: ConnectorError, calls: int
) -> None:
    prison, _ = regions
    prison.fail[C.FIND_BY_IDENTIFIERS] = error
    async with serve(regions) as client:
        body = await ask(client, id=NOMS.value)
        text = await scrape(client)
    assert body["data"]["offender"] is not None  # probation still answered
    assert {e["extensions"]["code"] for e in body["errors"]} == {error.code}
    labels = {"region": "prison", "operation": "find_by_identifiers"}
    assert value(text, "offender_graph_upstream_errors_total", **labels, code=error.code) == calls
    assert value(text, "offender_graph_upstream_calls_total", **labels, outcome="error") == calls
    assert value(text, "offender_graph_upstream_calls_total", **labels, outcome="ok") is None
    probation = {"region": "probation", "operation": "find_by_identifiers", "outcome": "ok"}
    # once, for the NOMS number: the CRN it led to is its own record's, never asked again
    assert value(text, "offender_graph_upstream_calls_total", **probation) == 1
    assert value(
        text, "offender_graph_graphql_requests_total", operation="Lookup", outcome="partial"
    )


async def test_the_breaker_state_gauge_follows_an_opened_breaker(
    regions: tuple[FakeRegion, FakeRegion],
) -> None:
    prison, _ = regions
    prison.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("prison", "down")
    async with serve(regions, failure_threshold=1, open_seconds=60.0, retries=0) as client:
        before = await scrape(client)
        await ask(client, id=NOMS.value)
        await ask(client, id=NOMS.value)  # failed fast by the open breaker, still observed
        after = await scrape(client)

    def state(text: str, region: str, name: str) -> float | None:
        return value(text, "offender_graph_breaker_state", region=region, state=name)

    assert state(before, "prison", "CLOSED") == 1 and state(before, "prison", "OPEN") == 0
    assert state(after, "prison", "OPEN") == 1 and state(after, "prison", "CLOSED") == 0
    assert state(after, "probation", "CLOSED") == 1
    labels = {"region": "prison", "operation": "find_by_identifiers"}
    assert value(after, "offender_graph_upstream_calls_total", **labels, outcome="error") == 2
    assert prison.count(C.FIND_BY_IDENTIFIERS) == 1  # the second never reached the region


async def test_anonymous_and_refused_operations_are_labelled_and_counted(
    client: httpx.AsyncClient,
) -> None:
    await ask(client, "{ regions { name } }")
    await ask(client, "{ offender(identifier: ")  # does not parse
    await ask(client, "query Named { regions { name } }")
    await ask(client, "query Find_A1234BC { regions { name } }")  # a name carrying an identifier
    text = await scrape(client)
    assert "A1234BC" not in text
    assert value(text, "offender_graph_graphql_requests_total", operation="other", outcome="ok")
    anonymous = {"operation": "anonymous"}
    assert value(text, "offender_graph_graphql_requests_total", **anonymous, outcome="ok") == 1
    assert value(text, "offender_graph_graphql_requests_total", **anonymous, outcome="error") == 1
    assert value(text, "offender_graph_graphql_requests_total", operation="Named", outcome="ok")
    assert value(text, "offender_graph_graphql_request_duration_seconds_count", **anonymous) == 2


async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(
    client: httpx.AsyncClient,
) -> None:
    await ask(client, id=NOMS.value)
    accept = "application/openmetrics-text; version=1.0.0"
    response = await client.get("/metrics", headers={"accept": accept})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert 'offender_graph_graphql_requests_total{operation="Lookup",outcome="ok"} 1.0' in (
        response.text
    )


class BrokenNames(OperationNames):
    def label(self, name: str | None) -> str:
        raise RuntimeError("bug")


async def test_failing_operation_metrics_cost_the_request_nothing() -> None:
    prison = estate()[0]
    runtime = build_runtime(settings(), {"prison": prison})
    metrics = GatewayMetrics()
    schema = build_schema(regions=1, observers=[operation_metrics(metrics, BrokenNames())])
    result = await schema.execute(
        "{ regions { name } }", context_value=runtime.context(Principal.development())
    )
    assert result.errors is None and result.data == {"regions": [{"name": "prison"}]}
    text = generate_latest(metrics.registry).decode()
    assert value(text, "offender_graph_graphql_requests_in_flight") == 0  # still balanced


def test_operation_names_are_bounded() -> None:
    names = OperationNames(limit=2)
    assert [names.label(n) for n in ("A", None, "B", "C", "A", "")] == [
        "A",
        "anonymous",
        "B",
        "other",
        "A",
        "anonymous",
    ]
    fresh = OperationNames(limit=5)
    assert fresh.label("x" * 65) == "other" and fresh.label("not a name") == "other"
    assert fresh.label("A1234BC") == "other" and fresh.label("Q2026") == "other"  # ids, dates
    assert fresh.label("x" * 64) == "x" * 64 and fresh.seen == {"x" * 64}


class Result:
    def __init__(self, data: Any, errors: list[str] | None) -> None:
        self.data, self.errors = data, errors


def test_outcome_of_a_result() -> None:
    assert outcome(Result({"offender": {"id": "1"}}, None)) == "ok"
    assert outcome(Result({"offender": {"id": "1"}, "other": None}, ["lost"])) == "partial"
    assert outcome(Result({"offender": None}, ["every region failed"])) == "error"
    assert outcome(Result(None, ["refused"])) == "error"
    assert outcome(None) == "error"


def observed(*outcomes: Outcome, error: ConnectorError | None = None) -> Observation:
    keys: tuple[Hashable, ...] = tuple(range(max(len(outcomes), 3)))
    call = RegionCall("north", C.CUSTODY_FOR, keys, Deadline(5))
    return Observation(call, 0.25, outcomes, error)


def test_the_observer_counts_partial_answers_once_per_error_code() -> None:
    metrics = GatewayMetrics()
    observer = MetricsObserver(metrics)
    down, timeout = RegionUnavailable("north", "x"), RegionTimeout("north", "y")
    observer.observe(observed(Fetched(1, 0.0), down, down, RegionTimeout("north", "z")))
    observer.observe(observed(down, timeout, error=down))
    observer.observe(observed(error=UpstreamRejected("north", "no")))
    text = MetricsExport(metrics, LiveCollector([], breakers())).scrape()[0].decode()
    labels = {"region": "north", "operation": "custody_for"}
    errors = "offender_graph_upstream_errors_total"
    assert value(text, errors, **labels, code="REGION_UNAVAILABLE") == 2
    assert value(text, errors, **labels, code="REGION_TIMEOUT") == 2
    assert value(text, errors, **labels, code="UPSTREAM_REJECTED") == 1
    calls = "offender_graph_upstream_calls_total"
    assert value(text, calls, **labels, outcome="partial") == 1
    assert value(text, calls, **labels, outcome="error") == 2
    assert value(text, "offender_graph_upstream_batch_keys_sum", **labels) == 4 + 3 + 3
    assert value(text, "offender_graph_upstream_call_duration_seconds_sum", **labels) == 0.75


def breakers() -> CircuitBreakers:
    return CircuitBreakers([], ResilienceSettings(), MemoryBreakerStore())


def test_the_audit_queue_depth_is_reported_only_when_an_audit_sink_gives_it() -> None:
    depth = [3]
    live = LiveCollector(["north"], breakers(), audit_queue_depth=lambda: depth[0])
    text = MetricsExport(GatewayMetrics(), live).scrape()[0].decode()
    assert value(text, "offender_graph_audit_queue_depth") == 3
    assert value(text, "offender_graph_breaker_state", region="north", state="CLOSED") == 1


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Hashable, ...], int, int, int]] = []

    def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
        self.calls.append((call.keys, hits, misses, stale))


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_cache_stage_tells_its_recorder_hits_misses_and_stale_serves() -> None:
    clock, recorder = Clock(), Recorder()
    failing: dict[Hashable, ConnectorError] = {}

    async def inner(call: RegionCall) -> list[Outcome]:
        return [failing.get(k) or Fetched(k, clock()) for k in call.keys]

    store = CacheStore.memory("t")
    settings = CacheSettings(default_ttl=60, stale_grace=600, namespace="t")
    cached = CacheStage(inner, store, settings, {}, clock=clock, recorder=recorder)
    ask = RegionCall("north", C.CUSTODY_FOR, ("a", "b"), Deadline(5))
    await cached(ask)  # both miss
    await cached(ask)  # both hit
    clock.now += 61  # both past freshness, within grace
    failing["a"] = RegionUnavailable("north", "down")
    await cached(ask.with_keys(["a", "b", "c"]))  # a stale, b and c asked and answered
    await store.aclose()
    assert recorder.calls == [
        (("a", "b"), 0, 2, 0),
        (("a", "b"), 2, 0, 0),
        (("a", "b", "c"), 0, 2, 1),
    ]


async def test_a_failing_cache_recorder_costs_the_call_nothing() -> None:
    class Broken:
        def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
            raise RuntimeError("bug")

    async def inner(call: RegionCall) -> list[Outcome]:
        return [Fetched(k, 0.0) for k in call.keys]

    store = CacheStore.memory("t")
    cached = CacheStage(inner, store, CacheSettings(namespace="t"), {}, recorder=Broken())
    outcomes = await cached(RegionCall("north", C.CUSTODY_FOR, ("a",), Deadline(5)))
    await store.aclose()
    assert [o.value for o in outcomes if isinstance(o, Fetched)] == ["a"]


REGIONS = "query Regions { regions { name } }"
REQUESTS = "offender_graph_graphql_requests_total"


def per_worker(directory: Path, sample: str, **labels: str) -> dict[str, float]:
    """``sample`` as each worker alone counted it, from its own files in the directory."""
    counts: dict[str, float] = {}
    for pid in {f.stem.rsplit("_", 1)[1] for f in directory.glob("*.db")}:
        alone = directory.parent / f"worker-{pid}"
        shutil.rmtree(alone, ignore_errors=True)
        alone.mkdir()
        for file in directory.glob(f"*_{pid}.db"):
            shutil.copy(file, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        counts[pid] = value(generate_latest(registry).decode(), sample, **labels) or 0.0
    return counts


def test_serve_with_two_workers_adds_their_metrics_up(
    running_estate: RunningEstate, tmp_path: Path
) -> None:
    config = tmp_path / "estate.toml"
    config.write_text(
        running_estate.config_toml({"id_key": new_id_key()}, resilience={"probe_interval": 3600.0})
    )
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where the CLI makes its metrics directory
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)]
    command += ["--workers", "2", "--port", str(port)]
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as process:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{root}/health", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            (directory,) = tmp_path.glob("offender-graph-metrics-*")
            assert directory.stat().st_mode & 0o077 == 0  # private to the gateway's user

            def regions(_: int) -> None:
                response = httpx.post(f"{root}/graphql", json={"query": REGIONS}, timeout=10)
                assert response.status_code == 200 and "errors" not in response.json()

            sent = 0
            labels = {"operation": "Regions", "outcome": "ok"}
            with ThreadPoolExecutor(8) as pool:  # new connections, so both workers answer some
                while sent < 400:
                    list(pool.map(regions, range(16)))
                    sent += 16
                    counts = per_worker(directory, REQUESTS, **labels)
                    if len(counts) == 2 and all(counts.values()):
                        break
            assert len(counts) == 2 and all(counts.values()), counts
            assert sum(counts.values()) == sent
            for _ in range(3):  # whichever worker answers the scrape, it adds both up
                text = httpx.get(f"{root}/metrics", timeout=5).text
                assert value(text, REQUESTS, **labels) == sent
                assert value(text, "offender_graph_graphql_requests_in_flight") == 0
                state = {"region": "prison-north", "state": "CLOSED"}
                assert value(text, "offender_graph_breaker_state", **state) == 1
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert list(tmp_path.glob("offender-graph-metrics-*")) == []  # removed on the way out


def test_a_dead_workers_live_gauges_are_forgotten_and_the_rest_kept(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead, alive = int(gone.stdout), os.getpid()
    files = [
        f"gauge_livesum_{dead}.db",  # a killed worker's in-flight count
        f"gauge_livesum_{alive}.db",
        f"counter_{dead}.db",  # what it counted stays counted
    ]
    for name in files:
        (tmp_path / name).write_bytes(b"")
    forget_dead_workers(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files[1:])
