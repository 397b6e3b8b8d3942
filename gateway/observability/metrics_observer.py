"""Pipeline hooks that feed the metrics: the observe stage's calls and the cache stage's lookups."""

from __future__ import annotations

from connectors.errors import ConnectorError
from gateway.observability.metrics import GatewayMetrics
from gateway.pipeline.call import RegionCall
from gateway.pipeline.observe import Observation


class MetricsObserver:
    """A :class:`~gateway.pipeline.observe.CallObserver` (every real call: count, time, errors
    by code, keys per call) and the cache stage's
    :class:`~gateway.pipeline.cache.CacheRecorder` (hits, misses, stale stand-ins)."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self.metrics = metrics

    def observe(self, observation: Observation) -> None:
        metrics = self.metrics
        call = observation.call
        region, operation = call.region, call.operation.value
        errors = [o for o in observation.outcomes if isinstance(o, ConnectorError)]
        if observation.error is not None:
            outcome = "error"
            codes = {e.code for e in errors} or {observation.error.code}
        else:
            outcome = "partial" if errors else "ok"
            codes = {e.code for e in errors}
        metrics.upstream_calls.labels(region, operation, outcome).inc()
        metrics.upstream_duration.labels(region, operation).observe(observation.seconds)
        metrics.batch_keys.labels(region, operation).observe(len(call.keys))
        for code in codes:
            metrics.upstream_errors.labels(region, operation, code).inc()

    def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
        lookups = self.metrics.cache_lookups
        region, operation = call.region, call.operation.value
        for result, keys in (("hit", hits), ("miss", misses), ("stale", stale)):
            if keys:
                lookups.labels(region, operation, result).inc(keys)
