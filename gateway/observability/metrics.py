"""The gateway's Prometheus metrics: one registry per app and every metric family in it.

Names and labels (the README's *Metrics* section says what each counts):

- ``offender_graph_graphql_requests_total{operation, outcome}``, outcome ``ok`` / ``partial`` /
  ``error``; ``offender_graph_graphql_request_duration_seconds{operation}``;
  ``offender_graph_graphql_requests_in_flight``;
- ``offender_graph_upstream_calls_total{region, operation, outcome}``,
  ``offender_graph_upstream_call_duration_seconds{region, operation}``,
  ``offender_graph_upstream_errors_total{region, operation, code}``,
  ``offender_graph_upstream_batch_keys{region, operation}``;
- ``offender_graph_cache_lookups_total{region, operation, result}``, result ``hit`` / ``miss`` /
  ``stale``;
- ``offender_graph_breaker_state{region, state}`` and the audit queue's depth, read at scrape
  time (:mod:`gateway.observability.metrics_export`).

With ``PROMETHEUS_MULTIPROC_DIR`` set before ``prometheus_client`` is imported (``serve
--workers N`` does it), every value is kept in that directory and ``/metrics`` adds up all
workers' values; the in-flight gauge counts live workers only.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "offender_graph"
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
REGION_OPERATION = ("region", "operation")


class GatewayMetrics:
    """Every metric family of one gateway app, registered in its own registry (no global state:
    several apps in one process, as in the tests, never collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.graphql_requests = Counter(
            f"{PREFIX}_graphql_requests",
            "GraphQL operations executed, by operation name and outcome.",
            ("operation", "outcome"),
            registry=registry,
        )
        self.graphql_duration = Histogram(
            f"{PREFIX}_graphql_request_duration_seconds",
            "Time to execute a GraphQL operation (parse, validate, execute), by operation name.",
            ("operation",),
            registry=registry,
        )
        self.graphql_in_flight = Gauge(
            f"{PREFIX}_graphql_requests_in_flight",
            "GraphQL operations being executed now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.upstream_calls = Counter(
            f"{PREFIX}_upstream_calls",
            "Calls that reached a region (or its breaker), by outcome: ok (every key answered), "
            "partial (some keys failed), error (the call failed as a whole).",
            (*REGION_OPERATION, "outcome"),
            registry=registry,
        )
        self.upstream_duration = Histogram(
            f"{PREFIX}_upstream_call_duration_seconds",
            "Time of a region call, retries included.",
            REGION_OPERATION,
            registry=registry,
        )
        self.upstream_errors = Counter(
            f"{PREFIX}_upstream_errors",
            "Region calls that failed, wholly or for some keys, by error code (once per code).",
            (*REGION_OPERATION, "code"),
            registry=registry,
        )
        self.batch_keys = Histogram(
            f"{PREFIX}_upstream_batch_keys",
            "Keys per region call.",
            REGION_OPERATION,
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.cache_lookups = Counter(
            f"{PREFIX}_cache_lookups",
            "Keys looked up in the cache: hit (fresh), miss (asked of the region), stale "
            "(the region failed and a stale entry answered).",
            (*REGION_OPERATION, "result"),
            registry=registry,
        )
