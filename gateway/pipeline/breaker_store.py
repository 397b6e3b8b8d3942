"""Where circuit breakers share "region X is open until t" across replicas.

A replica that opens a region's breaker writes the epoch second it stays open until; the others
read it (see :class:`~gateway.pipeline.breaker.CircuitBreakers`) and fail fast too, so a region
one replica found dead is not hammered by the rest. In process for one replica, or in Redis.
A store that cannot answer raises :class:`BreakerStoreUnavailable`; the breakers then keep to
their local state, so a Redis outage never fails a call.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.25  # seconds a Redis command (or connecting) may take before it counts as down
EXPIRY_MARGIN = 60.0  # seconds an entry outlives its open time (while a trial is due)
_OUTAGE = (RedisError, OSError, TimeoutError)


class BreakerStoreUnavailable(Exception):
    """The shared store did not answer; callers fall back to what they know locally."""


class BreakerStore(Protocol):
    """Shared open-until times of region breakers, in epoch seconds."""

    async def get_open_until(self, region: str) -> float | None: ...

    async def set_open_until(self, region: str, until: float) -> None: ...

    async def clear(self, region: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryBreakerStore:
    """One process's store (a single replica, tests)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    async def get_open_until(self, region: str) -> float | None:
        return self._until.get(region)

    async def set_open_until(self, region: str, until: float) -> None:
        self._until[region] = until

    async def clear(self, region: str) -> None:
        self._until.pop(region, None)

    async def aclose(self) -> None:
        self._until.clear()


class RedisBreakerStore:
    """Key ``{namespace}:breaker:{region}``, value the open-until epoch second, expiring a little
    after it. An outage is logged once (and its end once) and raised as
    :class:`BreakerStoreUnavailable`; commands are not retried (the next read is soon)."""

    def __init__(self, url: str, namespace: str) -> None:
        self.namespace = namespace
        self.down = False
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )

    def key(self, region: str) -> str:
        return f"{self.namespace}:breaker:{region}"

    async def get_open_until(self, region: str) -> float | None:
        try:
            value = await self._redis.get(self.key(region))
        except _OUTAGE as exc:
            raise self._failed("read", exc) from exc
        self._recovered()
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):  # not ours: as if absent
            return None

    async def set_open_until(self, region: str, until: float) -> None:
        expiry_ms = max(1, int((until - time.time() + EXPIRY_MARGIN) * 1000))
        try:
            await self._redis.set(self.key(region), repr(until), px=expiry_ms)
        except _OUTAGE as exc:
            raise self._failed("write", exc) from exc
        self._recovered()

    async def clear(self, region: str) -> None:
        try:
            await self._redis.delete(self.key(region))
        except _OUTAGE as exc:
            raise self._failed("clear", exc) from exc
        self._recovered()

    async def aclose(self) -> None:
        with contextlib.suppress(*_OUTAGE):
            await self._redis.aclose()

    def _failed(self, action: str, exc: BaseException) -> BreakerStoreUnavailable:
        if not self.down:
            self.down = True
            log.warning(
                "shared breaker state: %s failed (%s); each replica keeps its own until it is back",
                action,
                type(exc).__name__,
            )
        return BreakerStoreUnavailable(action)

    def _recovered(self) -> None:
        if self.down:
            self.down = False
            log.info("shared breaker state is answering again")
