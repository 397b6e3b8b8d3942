"""The pipeline every upstream call goes through, assembled in one place.

```
deadline → cache → fail-fast → single-flight → observe → breaker → retry → split
         → concurrency → connector
```

- **deadline**: the request's remaining budget bounds the whole call, retries included;
- **cache**: fresh answers cost the region nothing; stale ones stand in (marked) for a failure;
  it sits outside the breaker so an open breaker never blocks a cached answer;
- **fail-fast**: a region unavailable once in a request fails at once for the rest of it;
- **single-flight**: concurrent misses for one key, across requests, make one upstream call;
- **observe**: every real outcome, timed, goes to the observers: the region's health
  (``/ready``), metrics, the status page's window, the failure log;
- **tracing** (only when tracing is on, ``gateway/observability/tracing.py``): a span per
  loader batch, outermost, with the cache outcome of its keys, and a span per upstream call,
  beside observe;
- **breaker**: a region that keeps failing is failed fast until a trial call succeeds;
- **retry**: retryable failures of these idempotent reads are tried again within the deadline;
- **split**: a call larger than the connector's ``batch_limit`` becomes several, joined in order;
- **concurrency limit**: at most ``concurrency`` calls in flight per region;
- **connector**: one attempt, its total time bounded by the region's timeout.

Access policy and audit stages (the security work) go right after the deadline, before the cache,
so that they see every read, cached or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.trace import Tracer

from connectors.base import Connector
from gateway.cache_store import CacheStore
from gateway.pipeline.breaker import BreakerStage, CircuitBreakers
from gateway.pipeline.cache import CacheRecorder, CacheStage
from gateway.pipeline.call import Handler, Stage, compose
from gateway.pipeline.concurrency import ConcurrencyStage
from gateway.pipeline.connector import ConnectorStage
from gateway.pipeline.deadline import DeadlineStage
from gateway.pipeline.failfast import FailFastStage
from gateway.pipeline.observe import CallObserver, ObserveStage
from gateway.pipeline.retry import RetryStage
from gateway.pipeline.singleflight import SingleFlightStage
from gateway.pipeline.split import SplitStage
from gateway.pipeline.tracing import BatchTracingStage, SpanCacheRecorder, TracingStage
from gateway.settings import GatewaySettings


def pipeline_stages(
    settings: GatewaySettings,
    connectors: Mapping[str, Connector],
    observers: Sequence[CallObserver],
    breakers: CircuitBreakers,
    store: CacheStore,
    cache_recorder: CacheRecorder | None = None,
    *,
    tracer: Tracer | None = None,
) -> list[Stage]:
    """The stages in order, outermost first, as plain records (``cache_recorder``: the cache
    stage's hits and misses go there; the tracing stages only with a ``tracer``)."""
    ttls = {name: c.config.cache_ttl for name, c in connectors.items()}
    limits = {name: c.config.concurrency for name, c in connectors.items()}
    batch_limits = {name: c.batch_limit for name, c in connectors.items()}
    traced = [Stage(TracingStage, {"tracer": tracer})] if tracer else []
    if tracer:
        cache_recorder = SpanCacheRecorder(cache_recorder)  # the batch span gets the counts
    return [
        *([Stage(BatchTracingStage, {"tracer": tracer})] if tracer else []),
        Stage(DeadlineStage),
        Stage(
            CacheStage,
            {"store": store, "settings": settings.cache, "ttls": ttls, "recorder": cache_recorder},
        ),
        Stage(FailFastStage),
        Stage(SingleFlightStage),
        Stage(ObserveStage, {"observers": observers}),
        *traced,
        Stage(BreakerStage, {"breakers": breakers}),
        Stage(RetryStage, {"settings": settings.resilience}),
        Stage(SplitStage, {"limits": batch_limits}),
        Stage(ConcurrencyStage, {"limits": limits}),
    ]


def build_pipeline(
    settings: GatewaySettings,
    connectors: Mapping[str, Connector],
    observers: Sequence[CallObserver],
    breakers: CircuitBreakers,
    store: CacheStore,
    cache_recorder: CacheRecorder | None = None,
    *,
    tracer: Tracer | None = None,
) -> Handler:
    """The composed handler that every upstream call of every request goes through."""
    stages = pipeline_stages(
        settings, connectors, observers, breakers, store, cache_recorder, tracer=tracer
    )
    return compose(stages, ConnectorStage(connectors))
