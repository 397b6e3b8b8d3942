"""Deadline stage: a call gets what is left of its request's one budget, as a total time.

The connector stage cuts each attempt at the time left, so a late region is reported as a
timeout by the stages that watch outcomes (health, breaker); this stage's own cut, a moment
later, is the safety net for time spent anywhere else in the chain.
"""

from __future__ import annotations

import asyncio

from connectors.errors import RegionTimeout
from gateway.pipeline.call import Handler, Outcome, RegionCall

SAFETY_MARGIN = 0.05  # seconds: the connector's own cut at the deadline comes first


class DeadlineStage:
    """Fail at once when the request's deadline has passed; cut the call when it passes."""

    def __init__(self, next: Handler) -> None:
        self.next = next

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        remaining = call.deadline.remaining()
        if remaining <= 0:
            raise RegionTimeout(
                call.region, "the request's deadline passed before the region was asked"
            )
        try:
            async with asyncio.timeout(remaining + SAFETY_MARGIN):
                return await self.next(call)
        except TimeoutError:
            raise RegionTimeout(
                call.region, "region did not answer before the request's deadline"
            ) from None
