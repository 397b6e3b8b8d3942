"""Observe stage: every call's real outcome updates the region's health (metrics and tracing
stages of the operations work go beside it)."""

from __future__ import annotations

from connectors.errors import ConnectorError
from gateway.health import RegionHealth
from gateway.pipeline.call import Handler, Outcome, RegionCall


class HealthStage:
    """Record success, or the failure that failed the whole call or every key, in the health."""

    def __init__(self, next: Handler, health: RegionHealth) -> None:
        self.next = next
        self.health = health

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        try:
            outcomes = await self.next(call)
        except ConnectorError as exc:
            self.health.record_failure(call.region, exc)
            raise
        errors = [o for o in outcomes if isinstance(o, ConnectorError)]
        if outcomes and len(errors) == len(outcomes):
            self.health.record_failure(call.region, errors[0])
        else:
            self.health.record_success(call.region)
        return outcomes
