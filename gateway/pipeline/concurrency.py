"""Concurrency stage: at most ``concurrency`` calls in flight to one region, across requests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from gateway.pipeline.call import Handler, Outcome, RegionCall


class ConcurrencyStage:
    """One semaphore per region, sized by the region's ``concurrency`` setting."""

    def __init__(self, next: Handler, limits: Mapping[str, int]) -> None:
        self.next = next
        self._semaphores = {region: asyncio.Semaphore(n) for region, n in limits.items()}

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        async with self._semaphores[call.region]:
            return await self.next(call)
