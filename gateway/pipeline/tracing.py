"""Tracing stages: a span per loader batch and a span per upstream call.

- :class:`BatchTracingStage` is outermost: every call a request's loaders make (one per batch)
  gets a span, current while the call runs, so the batch is a child of the GraphQL operation's
  span. It also records the cache outcome of its keys, from the outcomes alone: ``stale`` for a
  marked stand-in, ``hit`` for a fresh value fetched before the batch began (only the cache can
  have it), ``miss`` for the rest (asked of the region in this batch, or failed).
- :class:`TracingStage` sits beside the observe stage: every call that reaches the region's side
  of the cache and single-flight gets a client span. The connectors' HTTP requests go out under
  it, so their ``traceparent`` names this span as the parent.

Both carry ``offender_graph.region``, ``offender_graph.operation`` and
``offender_graph.batch_size``; a call that failed as a whole (or for every key) has the span
status ``ERROR`` and ``error.type`` set to its code (``REGION_UNAVAILABLE``...), and
``offender_graph.breaker: "open"`` when its circuit breaker failed it fast; keys failed alone
are counted in ``offender_graph.failed_keys``. Only present when tracing is on
(``gateway/tracing.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from connectors.errors import ConnectorError
from gateway.pipeline.call import Fetched, Handler, Outcome, RegionCall

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


def cache_outcome(outcome: Outcome, started: float) -> str:
    """``hit``, ``stale`` or ``miss`` for one key of a batch that began at ``started``."""
    if isinstance(outcome, Fetched):
        if outcome.stale:
            return "stale"
        if outcome.fetched_at < started:
            return "hit"
    return "miss"


class BatchTracingStage:
    """One span per loader batch, with the cache outcome of its keys."""

    def __init__(self, next: Handler, tracer: Tracer) -> None:
        self.next = next
        self.tracer = tracer

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        started = time.time()  # the clock of Fetched.fetched_at
        with self.tracer.start_as_current_span(
            f"load {call.operation} {call.region}",
            attributes=_attributes(call),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                outcomes = await self.next(call)
            except ConnectorError as exc:
                _failed(span, exc)
                span.set_attribute(PREFIX + "cache.outcome", "miss")
                raise
            _answered(span, outcomes)
            kinds = [cache_outcome(o, started) for o in outcomes]
            for kind in ("hit", "miss", "stale"):
                span.set_attribute(f"{PREFIX}cache.{kind}", kinds.count(kind))
            distinct = set(kinds)
            span.set_attribute(
                PREFIX + "cache.outcome", distinct.pop() if len(distinct) == 1 else "mixed"
            )
            return outcomes


class TracingStage:
    """One client span per call that goes on towards the region."""

    def __init__(self, next: Handler, tracer: Tracer) -> None:
        self.next = next
        self.tracer = tracer

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        with self.tracer.start_as_current_span(
            f"call {call.operation} {call.region}",
            kind=SpanKind.CLIENT,
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
