"""Everything one gateway process shares between requests, built once from settings: connectors,
health, breakers, cache, the pipeline, the region directory and the id minter; and how a request
gets its own service from them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from opentelemetry.trace import Tracer

from auth.policy import Policy, load_policy
from auth.principal import Principal
from connectors.base import Connector
from connectors.budget import PageBudget
from connectors.errors import ConnectorError
from connectors.registry import build_connectors
from gateway.access import RequestAccess
from gateway.audit.build import build_audit, close_audit, start_audit
from gateway.audit.events import AuditSink, DiscardAudit
from gateway.cache_store import CacheStore, build_store
from gateway.context import GatewayContext
from gateway.directory import RegionDirectory
from gateway.health import RegionHealth
from gateway.identity.index import PersonIndex
from gateway.identity.index.build import build_index
from gateway.ids import OffenderIds
from gateway.loaders import RegionLoaders
from gateway.observability.access_log import RegionsTouched
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.metrics_observer import MetricsObserver
from gateway.observability.region_stats import RegionStats
from gateway.observability.tracing import gateway_tracer
from gateway.observability.upstream_log import UpstreamFailureLog
from gateway.pipeline.breaker import CircuitBreakers
from gateway.pipeline.breaker_store import BreakerStore, MemoryBreakerStore, RedisBreakerStore
from gateway.pipeline.build import build_pipeline
from gateway.pipeline.call import Deadline, Handler, RequestScope
from gateway.pipeline.observe import CallObserver, HealthObserver
from gateway.probe import HealthProbe
from gateway.service import OffenderService
from gateway.settings import GatewaySettings

log = logging.getLogger("offender_graph.gateway")
START_TIMEOUT = 10.0


@dataclass
class Runtime:
    """The shared parts of one gateway process."""

    settings: GatewaySettings
    connectors: Mapping[str, Connector]
    health: RegionHealth
    breakers: CircuitBreakers
    store: CacheStore
    pipeline: Handler
    directory: RegionDirectory
    ids: OffenderIds
    probe: HealthProbe
    metrics: GatewayMetrics  # Prometheus metrics, for /metrics
    stats: RegionStats  # the last hour of calls per region, for /status
    tracer: Tracer | None = None  # set when the OTEL_* variables ask for traces
    audit: AuditSink = field(default_factory=DiscardAudit)  # where reads are recorded
    policy: Policy = field(default_factory=load_policy)  # who may see whom ([policy] file)
    index: PersonIndex | None = None  # the person index ([index]); None when it is off

    def context(self, principal: Principal) -> GatewayContext:
        """A fresh request for ``principal``: its own deadline, page budget, loaders and
        service."""
        settings = self.settings
        scope = RequestScope(pages=PageBudget(settings.max_pages_per_request))
        loaders = RegionLoaders(self.pipeline, Deadline(settings.request_deadline), scope)
        service = OffenderService(
            loaders,
            self.directory,
            self.ids,
            max_page_size=settings.max_page_size,
            access=RequestAccess(principal, self.policy, self.audit),
            index=self.index,
            index_ttl=timedelta(seconds=settings.index.ttl),
        )
        return GatewayContext(service, self.directory, principal, self.audit)

    async def start(self) -> None:
        """Start every connector in parallel (a region that is down is marked so, not fatal),
        then the background health probe."""
        await asyncio.gather(*(self._start(n, c) for n, c in self.connectors.items()))
        await self.probe.start()
        await start_audit(self.audit)  # replays any spill left by an earlier run
        if self.index is not None:
            try:
                await self.index.open()
            except Exception as exc:  # lookups walk in full until it answers
                log.warning("the person index did not open: %s", type(exc).__name__)

    async def _start(self, name: str, connector: Connector) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await connector.start()
            self.health.record_success(name)
        except ConnectorError as exc:
            log.warning("region %s did not start: %s", name, exc.code)
            self.health.record_failure(name, exc)
        except TimeoutError:
            log.warning("region %s did not start within %ss", name, START_TIMEOUT)

    async def aclose(self) -> None:
        await self.probe.stop()
        await asyncio.gather(
            *(c.aclose() for c in self.connectors.values()),
            self.store.aclose(),
            self.breakers.aclose(),
            close_audit(self.audit),  # writes (or spills) what is still queued
            *([self.index.aclose()] if self.index is not None else []),
            return_exceptions=True,
        )


def _breaker_store(settings: GatewaySettings) -> BreakerStore:
    if settings.cache.url:
        return RedisBreakerStore(settings.cache.url, settings.cache.namespace)
    return MemoryBreakerStore()


def build_runtime(
    settings: GatewaySettings, connectors: Mapping[str, Connector] | None = None
) -> Runtime:
    """The shared parts, with connectors built from the settings unless given."""
    regions = dict(connectors) if connectors is not None else build_connectors(settings.regions)
    health = RegionHealth(list(regions))
    breakers = CircuitBreakers(list(regions), settings.resilience, _breaker_store(settings))
    store = build_store(settings.cache)
    metrics = GatewayMetrics()
    recorder = MetricsObserver(metrics)  # told of every call, and of the cache's lookups
    stats = RegionStats(list(regions))
    observers: list[CallObserver] = [HealthObserver(health), stats]
    observers += [RegionsTouched(), UpstreamFailureLog()]  # the access and failure logs
    observers.append(recorder)
    tracer = gateway_tracer()  # None (tracing off) unless the OTEL_* variables ask for traces
    return Runtime(
        settings=settings,
        connectors=regions,
        health=health,
        breakers=breakers,
        store=store,
        pipeline=build_pipeline(
            settings, regions, observers, breakers, store, recorder, tracer=tracer
        ),
        directory=RegionDirectory(regions, health, breakers),
        ids=OffenderIds.from_setting(settings.id_key),
        probe=HealthProbe(regions, breakers, health, settings.resilience.probe_interval),
        tracer=tracer,
        metrics=metrics,
        stats=stats,
        policy=load_policy(settings.policy.file),  # a wrong policy file fails start-up, named
        audit=build_audit(settings.audit),  # [audit]: SQLite under var/ by default
        index=build_index(settings.index.url) if settings.index.enabled else None,
    )
