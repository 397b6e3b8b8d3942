"""``GET /metrics``: the registry, or every worker's values added up in multi-process mode, plus
what is read live at scrape time (breaker states; the audit queue's depth once there is one).

Multi-process mode is on when ``PROMETHEUS_MULTIPROC_DIR`` is set: :func:`multiprocess_directory`
sets it to a fresh private directory for ``serve --workers N`` before uvicorn starts the workers
(it must be set before they import ``prometheus_client``) and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from gateway.observability.metrics import PREFIX, GatewayMetrics
from gateway.pipeline.breaker import BreakerState, CircuitBreakers

log = logging.getLogger("offender_graph.metrics")

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class LiveCollector(Collector):
    """Gauges read when scraped: each region's breaker state (1 for the state it is in, 0 for the
    others), and the audit queue's depth when an audit sink gives ``audit_queue_depth``."""

    def __init__(
        self,
        regions: Sequence[str],
        breakers: CircuitBreakers,
        audit_queue_depth: Callable[[], int] | None = None,
    ) -> None:
        self.regions = tuple(regions)
        self.breakers = breakers
        # The audit work (a later issue) plugs its queue in here; until then, no such gauge.
        self.audit_queue_depth = audit_queue_depth

    def collect(self) -> Iterable[Metric]:
        state = GaugeMetricFamily(
            f"{PREFIX}_breaker_state",
            "Circuit breaker state per region, as this worker sees it (1: the current state).",
            labels=("region", "state"),
        )
        for region in self.regions:
            current = self.breakers.snapshot(region)["state"]
            for each in BreakerState:
                state.add_metric((region, each.value), 1.0 if each.value == current else 0.0)
        yield state
        if self.audit_queue_depth is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_audit_queue_depth",
                "Audit records waiting to be written.",
                value=self.audit_queue_depth(),
            )


class MetricsExport:
    """What ``/metrics`` answers: this process's registry (with the live gauges), or, in
    multi-process mode, every worker's values from the directory plus this worker's live gauges
    (in a fresh registry per scrape, as prometheus-client advises)."""

    def __init__(self, metrics: GatewayMetrics, live: Collector) -> None:
        self.metrics = metrics
        self.live = live
        metrics.registry.register(live)

    def registry(self) -> Collector:
        """What one scrape reads."""
        if not os.environ.get(MULTIPROC_VARIABLE):
            return self.metrics.registry
        directory = os.environ[MULTIPROC_VARIABLE]
        forget_dead_workers(directory)
        registry = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
        registry.register(self.live)
        return registry

    def scrape(self, accept: str = "") -> tuple[bytes, str]:
        """The body and its content type: the text format, or OpenMetrics if ``accept`` asks."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry()), content_type

    async def endpoint(self, request: Request) -> Response:
        """The route's handler; the multi-process files are read off the event loop."""
        body, content_type = await run_in_threadpool(self.scrape, request.headers.get("accept", ""))
        return Response(body, headers={"content-type": content_type})


def forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of workers that are gone (killed ones never said so): uvicorn
    replaces a dead worker, and its last in-flight count must not stay in the sum."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):  # another worker's scrape removed it first
                mark_process_dead(int(pid), directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


def worker_exited() -> None:
    """Drop this process's live gauges (in flight) from the multi-process directory."""
    directory = os.environ.get(MULTIPROC_VARIABLE)
    if directory:
        try:
            mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]
        except OSError:
            log.warning("could not remove this worker's live metrics from %s", directory)


@contextlib.contextmanager
def multiprocess_directory() -> Iterator[str]:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` to a fresh private directory, removed at the end."""
    directory = tempfile.mkdtemp(prefix="offender-graph-metrics-")
    os.environ[MULTIPROC_VARIABLE] = directory
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROC_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)
