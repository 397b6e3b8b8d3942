"""Background health probe: every ``interval`` seconds, ask each region a cheap question.

So ``/ready`` turns DOWN for a region that died and UP for one that recovered without any user
traffic, and an open breaker whose open time has passed gets its trial call from the probe
rather than from a user's request. A region whose breaker is still open (or whose trial is in
flight) is not probed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from connectors.base import Connector
from connectors.errors import ConnectorError, RegionTimeout
from gateway.health import RegionHealth
from gateway.pipeline.breaker import CircuitBreakers, CircuitOpen

log = logging.getLogger(__name__)


class HealthProbe:
    """Probe every region in parallel, each under its own timeout, in a background task."""

    def __init__(
        self,
        connectors: Mapping[str, Connector],
        breakers: CircuitBreakers,
        health: RegionHealth,
        interval: float,
    ) -> None:
        self.connectors = connectors
        self.breakers = breakers
        self.health = health
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._unprobed: set[str] = set()  # regions whose connector has no probe

    async def start(self) -> None:
        """Start probing in the background (first probe after one interval). Idempotent."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="region-health-probe")

    async def stop(self) -> None:
        """Cancel the background task and wait for it. Idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.probe_once()
            except Exception:  # a bug in one round must not end the probing
                log.exception("health probe round failed")

    async def probe_once(self) -> None:
        """Probe every region once, in parallel."""
        await asyncio.gather(*(self._probe(name, c) for name, c in self.connectors.items()))

    async def _probe(self, region: str, connector: Connector) -> None:
        if region in self._unprobed:
            return
        try:
            await self.breakers.before(region)
        except CircuitOpen:
            return  # still open, or a trial is already in flight
        error: ConnectorError | None = None
        try:
            async with asyncio.timeout(connector.config.timeout):
                await connector.probe()
        except ConnectorError as exc:
            error = exc
        except TimeoutError:
            seconds = connector.config.timeout
            error = RegionTimeout(region, f"region did not answer within {seconds:g} s")
        except NotImplementedError:
            log.info("region %s has no health probe", region)
            self._unprobed.add(region)
            self.breakers.abandon(region)
            return
        except BaseException:
            self.breakers.abandon(region)
            raise
        await self.breakers.record(region, error)
        if error is None:
            self.health.record_success(region)
        else:
            self.health.record_failure(region, error)
