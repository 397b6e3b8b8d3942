"""Fail-fast stage: a region that was unavailable once in a request is not asked again in it,
so a slow region costs the request its timeout once, not once per field. Cached answers still
serve (this stage sits inside the cache)."""

from __future__ import annotations

from connectors.errors import RegionUnavailable
from gateway.pipeline.call import Handler, Outcome, RegionCall


class FailFastStage:
    """Remember, per request, the regions whose whole call found them unavailable."""

    def __init__(self, next: Handler) -> None:
        self.next = next

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        failed = call.scope.failed.get(call.region)
        if failed is not None:
            raise failed
        try:
            return await self.next(call)
        except RegionUnavailable as exc:  # down, timed out, breaker open
            call.scope.failed[call.region] = exc
            raise
