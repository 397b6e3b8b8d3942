"""A fake inner handler for stage tests: answers from a script and records every call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable, Sequence

from connectors.base import Capability
from connectors.errors import ConnectorError
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall

Answer = Callable[[Hashable], object]  # a value, or a ConnectorError for that key


class Inner:
    """Answers each key with ``answer(key)``; raises ``raises.pop(0)`` for whole calls while any
    are queued; waits ``delay`` seconds per call."""

    def __init__(
        self,
        answer: Answer = lambda key: f"value-of-{key}",
        raises: Sequence[ConnectorError] = (),
        delay: float = 0.0,
    ) -> None:
        self.answer = answer
        self.raises = list(raises)
        self.delay = delay
        self.calls: list[tuple[Hashable, ...]] = []

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        self.calls.append(call.keys)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.raises:
            raise self.raises.pop(0)
        now = time.time()
        outcomes: list[Outcome] = []
        for key in call.keys:
            value = self.answer(key)
            outcomes.append(value if isinstance(value, ConnectorError) else Fetched(value, now))
        return outcomes


def call(*keys: Hashable, region: str = "north", seconds: float = 5.0) -> RegionCall:
    return RegionCall(region, Capability.CUSTODY_FOR, keys, Deadline(seconds))


def values(outcomes: Sequence[Outcome]) -> list[object]:
    """Each outcome's value, or its error's code."""
    return [o.code if isinstance(o, ConnectorError) else o.value for o in outcomes]
