"""Single-flight stage: concurrent misses for one key, across requests, make one upstream call.

The first call to ask for a (region, operation, key) *leads* it: it puts a future for the key in
the in-flight map, asks the inner handler for all its new keys in one call and fills the futures.
Later calls for the same key *follow*: they await the leader's future, shielded, so that a
follower's own deadline cancels only its wait. A cancelled leader fails its futures with
:class:`~connectors.errors.RegionTimeout`, so followers are never left hanging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable

from connectors.errors import ConnectorError, RegionTimeout
from gateway.pipeline.call import Handler, Outcome, RegionCall

Flight = tuple[str, str, Hashable]  # region, operation, key


class SingleFlightStage:
    """Share one inner call among concurrent calls that ask for the same keys."""

    def __init__(self, next: Handler) -> None:
        self.next = next
        self.in_flight: dict[Flight, asyncio.Future[Outcome]] = {}

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        led: dict[Hashable, asyncio.Future[Outcome]] = {}
        futures: list[asyncio.Future[Outcome]] = []
        for key in call.keys:
            flight = (call.region, str(call.operation), key)
            future = led.get(key) or self.in_flight.get(flight)
            if future is None:
                future = led[key] = self.in_flight[flight] = loop.create_future()
            futures.append(future)
        if led:
            await self._lead(call, led)
        outcomes: list[Outcome] = []
        raised: list[ConnectorError] = []
        for future in futures:
            try:
                outcomes.append(await asyncio.shield(future))
            except ConnectorError as exc:  # the whole inner call failed for this key
                outcomes.append(exc)
                raised.append(exc)
        if raised and len(raised) == len(outcomes):
            raise raised[0]  # no key could be answered: the call failed as a whole
        return outcomes

    async def _lead(self, call: RegionCall, led: dict[Hashable, asyncio.Future[Outcome]]) -> None:
        """Ask the inner handler for the keys this call leads and fill their futures."""
        keys = list(led)
        try:
            try:
                answers = await self.next(call.with_keys(keys))
            except asyncio.CancelledError:
                timeout = RegionTimeout(call.region, "the call this answer was waiting on was cut")
                _fail(led.values(), timeout)
                raise
            except Exception as exc:
                _fail(led.values(), exc)
                return
            for key, answer in zip(keys, answers, strict=True):
                led[key].set_result(answer)
        finally:
            _fail(led.values(), RegionTimeout(call.region, "the region's answer was lost"))
            for key, future in led.items():
                flight = (call.region, str(call.operation), key)
                if self.in_flight.get(flight) is future:
                    del self.in_flight[flight]


def _fail(futures: Iterable[asyncio.Future[Outcome]], error: BaseException) -> None:
    """Fail the futures not yet done (marking the error retrieved: followers may be gone)."""
    for future in futures:
        if not future.done():
            future.set_exception(error)
            future.exception()
