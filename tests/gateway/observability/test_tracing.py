"""Tracing: a span per operation, per loader batch and per upstream call, linked parent to child;
the trace context carried into the regions over real sockets; nothing at all without the
``OTEL_*`` variables.

Spans go to an in-memory exporter on an SDK provider installed once in this process (as
``opentelemetry-instrument`` would): the gateway uses a provider it finds installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette

from connectors.base import Capability, Connector
from connectors.errors import RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.app import GatewayGraphQL, create_app
from gateway.observability.tracing import exporter_names, span_exporters
from gateway.observability.tracing_graphql import OperationTracing
from gateway.pipeline.call import Deadline, Handler, RegionCall
from gateway.pipeline.observe import ObserveStage
from gateway.pipeline.tracing import BatchTracingStage, SpanCacheRecorder, TracingStage
from gateway.runtime import build_runtime
from gateway.settings import CacheSettings
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import serve_gateway
from tests.gateway.inprocess import FakeRegion, booking, licence, person, settings

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
QUERY = """
query Card($id: String!) {
  offender(identifier: $id) { status custody { region } supervision { region } }
}
"""
C = Capability


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


def without_otel(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def spans(exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Tracing asked for by the environment; the spans of this test only."""
    without_otel(monkeypatch)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")  # the installed provider is used
    exporter.clear()
    return exporter


def regions() -> list[FakeRegion]:
    prison = FakeRegion(
        "prison",
        SystemKind.CUSTODY,
        [person("prison", "P1", NOMS)],
        {C.CUSTODY_FOR: [booking("prison", "P1", date(2020, 1, 1), active=False)]},
    )
    probation = FakeRegion(
        "probation",
        SystemKind.PROBATION,
        [person("probation", "R1", NOMS)],
        {C.SUPERVISION_FOR: [licence("probation", "R1", date(2021, 1, 1), active=True)]},
    )
    return [prison, probation]


def app_for(fakes: Sequence[FakeRegion], **overrides: Any) -> Starlette:
    connectors: dict[str, Connector] = {f.region: f for f in fakes}
    return create_app(settings(**overrides), connectors=connectors)


async def lookup(app: Starlette, headers: dict[str, str] | None = None) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        body = {"query": QUERY, "variables": {"id": str(NOMS.value)}}
        response = await client.post("/graphql", json=body, headers=headers or {})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def named(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefix)]


def the_operation(spans: Sequence[ReadableSpan]) -> ReadableSpan:
    (operation,) = [s for s in spans if s.kind is SpanKind.SERVER]
    return operation


def where(span: ReadableSpan) -> tuple[str, str, int]:
    attributes = span.attributes or {}
    return (
        str(attributes["offender_graph.region"]),
        str(attributes["offender_graph.operation"]),
        int(attributes["offender_graph.batch_size"]),  # type: ignore[arg-type]
    )


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def chain(handler: Handler) -> list[type]:
    """The stage types of a composed pipeline, outermost first."""
    types = []
    while hasattr(handler, "next"):
        types.append(type(handler))
        handler = handler.next
    return types


async def test_one_lookup_makes_an_operation_span_batch_spans_and_call_spans(
    spans: InMemorySpanExporter,
) -> None:
    fakes = regions()
    traceparent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    body = await lookup(app_for(fakes), {"traceparent": traceparent})
    assert "errors" not in body
    finished = spans.get_finished_spans()

    operation = the_operation(finished)
    assert operation.name == "query Card"
    assert operation.attributes == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Card",
    }
    assert operation.context is not None and operation.parent is not None
    assert f"{operation.context.trace_id:032x}" == CLIENT_TRACE  # the client's trace goes on
    assert f"{operation.parent.span_id:016x}" == CLIENT_SPAN
    assert {s.context.trace_id for s in finished if s.context} == {operation.context.trace_id}

    batches, calls = named(finished, "load "), named(finished, "call ")
    asked = sorted((f.region, str(op), len(keys)) for f in fakes for op, keys in f.calls)
    assert sorted(where(s) for s in calls) == asked  # one call span per upstream call
    assert sorted(where(s) for s in batches) == asked  # no cache: every batch went upstream
    assert {parent_id(s) for s in batches} == {operation.context.span_id}
    batch_ids = {where(s): s.context.span_id for s in batches if s.context}
    for call in calls:
        assert call.kind is SpanKind.CLIENT
        assert parent_id(call) == batch_ids[where(call)]
        assert call.name == f"call {where(call)[1]} {where(call)[0]}"
        assert call.status.status_code is StatusCode.UNSET
    for batch in batches:  # the cache is off: no cache outcome to tell
        assert not [k for k in batch.attributes or {} if k.startswith("offender_graph.cache")]


async def test_a_failing_region_s_spans_carry_its_error_code(spans: InMemorySpanExporter) -> None:
    prison, probation = regions()
    probation.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation", "region answered 503")
    body = await lookup(app_for([prison, probation]))
    assert body["data"]["offender"]["custody"] == [{"region": "prison"}]
    finished = spans.get_finished_spans()

    failed = [s for s in finished if s.status.status_code is StatusCode.ERROR]
    assert sorted((s.name, where(s)) for s in failed) == [
        ("call find_by_identifiers probation", ("probation", "find_by_identifiers", 1)),
        ("load find_by_identifiers probation", ("probation", "find_by_identifiers", 1)),
    ]
    for span in failed:
        assert span.attributes is not None
        assert span.attributes["error.type"] == "REGION_UNAVAILABLE"
        assert span.status.description == "region answered 503"
    operation = the_operation(finished)
    assert operation.attributes is not None
    assert operation.attributes["offender_graph.error_codes"] == ("REGION_UNAVAILABLE",)
    assert operation.status.status_code is StatusCode.UNSET  # an answer, with a region's gap


@pytest.mark.parametrize(
    ("query", "name", "attributes", "status"),
    [
        (
            "{ regions { name } }",
            "query",
            {"graphql.operation.type": "query"},
            StatusCode.UNSET,
        ),
        (
            "{ offender(",
            "graphql",
            {
                "graphql.operation.type": "graphql",
                "offender_graph.error_codes": ("GRAPHQL_PARSE_FAILED",),
            },
            StatusCode.ERROR,
        ),
    ],
)
async def test_an_unnamed_or_unparsable_operation_gets_a_generic_name(
    spans: InMemorySpanExporter,
    query: str,
    name: str,
    attributes: dict[str, object],
    status: StatusCode,
) -> None:
    transport = httpx.ASGITransport(app=app_for(regions()))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    operation = the_operation(spans.get_finished_spans())
    assert (operation.name, dict(operation.attributes or {})) == (name, attributes)
    assert operation.status.status_code is status


async def test_batch_spans_tell_cache_hits_misses_and_stale_stand_ins(
    spans: InMemorySpanExporter,
) -> None:
    fakes = regions()
    app = app_for(fakes, cache=CacheSettings(default_ttl=0.5, stale_grace=60))

    def outcomes() -> dict[tuple[str, str], str]:
        batches = named(spans.get_finished_spans(), "load ")
        spans.clear()
        seen = {}
        for batch in batches:
            attributes = batch.attributes or {}
            outcome = str(attributes["offender_graph.cache.outcome"])
            if outcome != "mixed":  # a single-kind batch: all its keys counted under it
                assert attributes[f"offender_graph.cache.{outcome}"] == where(batch)[2]
            seen[where(batch)[:2]] = outcome
        return seen

    await lookup(app)
    first = outcomes()
    assert set(first.values()) == {"miss"}
    await lookup(app)
    assert outcomes() == dict.fromkeys(first, "hit")
    assert named(spans.get_finished_spans(), "call ") == []  # nothing went upstream

    await asyncio.sleep(0.6)  # no longer fresh, still within the stale grace
    fakes[0].fail[C.CUSTODY_FOR] = RegionUnavailable("prison", "region answered 503")
    await lookup(app)
    third = outcomes()
    assert third[("prison", "custody_for")] == "stale"
    assert {k: v for k, v in third.items() if k != ("prison", "custody_for")} == dict.fromkeys(
        set(first) - {("prison", "custody_for")}, "miss"
    )


class Counted:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, int, int]] = []

    def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
        self.seen.append((call.region, hits, misses, stale))


def test_the_cache_counts_go_on_the_current_span_and_on_to_the_metrics(
    spans: InMemorySpanExporter,
) -> None:
    metrics = Counted()
    recorder = SpanCacheRecorder(metrics)
    call = RegionCall("prison", C.CUSTODY_FOR, ("P1", "P2", "P3"), Deadline(1.0))
    recorder.record(call, 0, 0, 3)  # outside any span: only handed on
    with trace.get_tracer("test").start_as_current_span("load custody_for prison"):
        recorder.record(call, 1, 2, 0)
    assert metrics.seen == [("prison", 0, 0, 3), ("prison", 1, 2, 0)]
    (span,) = spans.get_finished_spans()
    assert dict(span.attributes or {}) == {
        "offender_graph.cache.hit": 1,
        "offender_graph.cache.miss": 2,
        "offender_graph.cache.stale": 0,
        "offender_graph.cache.outcome": "mixed",
    }


def test_with_no_otel_variables_tracing_is_off(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_otel(monkeypatch)
    fakes: dict[str, Connector] = {f.region: f for f in regions()}
    runtime = build_runtime(settings(), fakes)
    assert runtime.tracer is None
    stages = chain(runtime.pipeline)
    assert ObserveStage in stages
    assert BatchTracingStage not in stages and TracingStage not in stages

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    traced = chain(build_runtime(settings(), fakes).pipeline)
    assert traced[0] is BatchTracingStage  # outermost: every batch, cached or not
    assert traced[traced.index(ObserveStage) + 1] is TracingStage  # beside observe


def graphql_view(app: Starlette) -> GatewayGraphQL:
    (view,) = [r.app for r in app.routes if isinstance(getattr(r, "app", None), GatewayGraphQL)]
    assert isinstance(view, GatewayGraphQL)
    return view


def test_the_operation_extension_is_there_only_when_tracing_is_on(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_otel(monkeypatch)
    off = graphql_view(app_for(regions())).schema.extensions
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    on = graphql_view(app_for(regions())).schema.extensions
    assert OperationTracing not in off
    assert OperationTracing in on


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({}, []),
        ({"OTEL_SERVICE_NAME": "og"}, []),  # a name alone exports nothing
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, []),  # not installed: warned, not guessed
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, []),
    ],
)
def test_the_standard_variables_say_which_exporters(
    environ: dict[str, str], names: list[str]
) -> None:
    assert exporter_names(environ) == names


def test_the_exporters_are_the_sdk_s_own() -> None:
    exporters = span_exporters({"OTEL_TRACES_EXPORTER": "otlp,console"})
    assert [type(e) for e in exporters] == [OTLPSpanExporter, ConsoleSpanExporter]
    for exporter in exporters:
        exporter.shutdown()


CONFIGURE = """
import json, sys
from opentelemetry import trace
from gateway.runtime import build_runtime
from gateway.settings import GatewaySettings
runtime = build_runtime(GatewaySettings(regions=()), {})
provider = trace.get_tracer_provider()
resource = getattr(provider, "resource", None)
print(json.dumps({
    "on": runtime.tracer is not None,
    "provider": type(provider).__name__,
    "service": resource.attributes.get("service.name") if resource else None,
    "sdk_trace_imported": "opentelemetry.sdk.trace" in sys.modules,
}))
"""


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {"on": False, "provider": "ProxyTracerProvider", "service": None}),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SERVICE_NAME": "og-a"},
            {"on": True, "provider": "TracerProvider", "service": "og-a"},
        ),
        (
            {"OTEL_TRACES_EXPORTER": "console"},
            {"on": True, "provider": "TracerProvider", "service": "offender-graph"},
        ),
    ],
)
def test_a_gateway_process_installs_the_sdk_only_when_asked(
    environ: dict[str, str], expected: dict[str, object]
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", CONFIGURE],
        env={**clean, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {**expected, "sdk_trace_imported": expected["on"]}


@pytest.fixture
def traced_gateway(spans: InMemorySpanExporter, running_estate: RunningEstate) -> Iterator[str]:
    group, url = serve_gateway(running_estate)
    yield url
    group.stop()


def test_the_trace_the_gateway_used_arrives_in_every_region(
    estate: Estate,
    running_estate: RunningEstate,
    spans: InMemorySpanExporter,
    traced_gateway: str,
) -> None:
    noms = next(p.noms for p in estate.spanning(3) if p.noms)
    body = {"query": QUERY, "variables": {"id": noms}}
    response = httpx.post(traced_gateway, json=body, timeout=15)
    assert response.status_code == 200 and "errors" not in response.json()
    finished = spans.get_finished_spans()
    operation = the_operation(finished)
    assert operation.context is not None
    trace_id = f"{operation.context.trace_id:032x}"

    calls: dict[str, set[str]] = {}
    for span in named(finished, "call "):
        assert span.context is not None
        calls.setdefault(where(span)[0], set()).add(f"{span.context.span_id:016x}")
    assert set(calls) == set(running_estate.systems)  # every region was asked
    for name, system in running_estate.systems.items():
        received = httpx.get(system.url + "_sim/traces", timeout=5).json()
        ours = [r["traceparent"].split("-") for r in received if trace_id in r["traceparent"]]
        assert ours, f"{name} received none of trace {trace_id}"
        for version, trace_hex, parent, flags in ours:
            assert (version, trace_hex) == ("00", trace_id)
            assert int(flags, 16) & 1  # sampled
            assert parent in calls[name]  # the upstream call's span is the parent
