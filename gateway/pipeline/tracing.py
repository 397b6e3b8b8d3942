"""Tracing stages: a span per loader batch and a span per upstream call.

- :class:`BatchTracingStage` is outermost: every call a request's loaders make (one per batch)
  gets a span, current while the call runs, so the batch is a child of the GraphQL operation's
  span. :class:`SpanCacheRecorder` puts the cache stage's own count of its keys on it
  (``offender_graph.cache.hit``, ``.miss``, ``.stale``, and ``offender_graph.cache.outcome``:
  ``hit``, ``miss``, ``stale`` or ``mixed``), when the operation is cached at all.
- :class:`TracingStage` sits beside the observe stage: every call that reaches the region's side
  of the cache and single-flight gets a client span. The connectors' HTTP requests go out under
  it, so their ``traceparent`` names this span as the parent.

Both carry ``offender_graph.region``, ``offender_graph.operation`` and
``offender_graph.batch_size``; a call that failed as a whole (or for every key) has the span
status ``ERROR`` and ``error.type`` set to its code (``REGION_UNAVAILABLE``...), and
``offender_graph.breaker: "open"`` when its circuit breaker failed it fast; keys failed alone
are counted in ``offender_graph.failed_keys``. Only present when tracing is on
(``gateway/observability/tracing.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from connectors.errors import ConnectorError
from gateway.pipeline.cache import CacheRecorder
from gateway.pipeline.call import Handler, Outcome, RegionCall

PREFIX = "offender_graph."


def _attributes(call: RegionCall) -> dict[str, str | int]:
    return {
        PREFIX + "region": call.region,
        PREFIX + "operation": str(call.operation),
        PREFIX + "batch_size": len(call.keys),
    }


def _failed(span: Span, error: ConnectorError) -> None:
    span.set_status(Status(StatusCode.ERROR, error.public_message))
    span.set_attribute("error.type", error.code)
    if getattr(error, "breaker", None) == "open":
        span.set_attribute(PREFIX + "breaker", "open")


def _answered(span: Span, outcomes: Sequence[Outcome]) -> None:
    errors = [o for o in outcomes if isinstance(o, ConnectorError)]
    if errors and len(errors) == len(outcomes):
        _failed(span, errors[0])
    elif errors:
        span.set_attribute(PREFIX + "failed_keys", len(errors))


class SpanCacheRecorder:
    """Put the cache stage's count of a call's keys on the current span (the loader batch's:
    the cache runs inside :class:`BatchTracingStage`), then hand it on to ``inner``."""

    def __init__(self, inner: CacheRecorder | None = None) -> None:
        self.inner = inner

    def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
        span = trace.get_current_span()
        if span.is_recording():
            counts = {"hit": hits, "miss": misses, "stale": stale}
            for kind, count in counts.items():
                span.set_attribute(f"{PREFIX}cache.{kind}", count)
            present = [kind for kind, count in counts.items() if count]
            outcome = present[0] if len(present) == 1 else "mixed"
            span.set_attribute(PREFIX + "cache.outcome", outcome)
        if self.inner is not None:
            self.inner.record(call, hits, misses, stale)


class _SpanStage:
    """Run the rest of the chain inside one span named ``{verb} {operation} {region}``; a failure
    of the whole call marks it with its code, the answered keys are counted on it."""

    verb = "call"
    kind = SpanKind.INTERNAL

    def __init__(self, next: Handler, tracer: Tracer) -> None:
        self.next = next
        self.tracer = tracer

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        with self.tracer.start_as_current_span(
            f"{self.verb} {call.operation} {call.region}",
            kind=self.kind,
            attributes=_attributes(call),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                outcomes = await self.next(call)
            except ConnectorError as exc:
                _failed(span, exc)
                raise
            _answered(span, outcomes)
            return outcomes


class BatchTracingStage(_SpanStage):
    """One span per loader batch, with the cache outcome of its keys."""

    verb = "load"


class TracingStage(_SpanStage):
    """One client span per call that goes on towards the region."""

    kind = SpanKind.CLIENT
