"""A small async key/value store of region answers over aiocache: in process, or in a Redis that
several gateway replicas share.

Keys are complete (see :func:`gateway.pipeline.cache.cache_key`, which already carries the
namespace); the store adds no prefix of its own. A Redis that fails never fails a call: a read is a
miss, a write is skipped, and one WARNING is logged per outage.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import PickleSerializer
from redis.exceptions import RedisError

from connectors.errors import ConfigurationError
from gateway.settings import CacheSettings

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.5  # seconds a Redis command (or connecting) may take before it counts as down
_OUTAGE = (RedisError, OSError, TimeoutError)
_UNREADABLE = (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError)


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored answer: the value and when the region gave it (seconds since the epoch)."""

    value: Any
    fetched_at: float


class CacheStore:
    """``get_many`` / ``set_many`` / ``delete_many`` of :class:`Entry` values by full key."""

    def __init__(self, backend: Any, namespace: str, kind: str) -> None:
        self._backend = backend
        self.namespace = namespace  # the deployment's key prefix, for callers building keys
        self.kind = kind  # "memory" or "redis"
        self.down = False  # True from a failed command until the next one that succeeds

    @classmethod
    def memory(cls, namespace: str = "og") -> CacheStore:
        """A store inside this process (every replica has its own)."""
        # No timeout: a memory read never waits, and aiocache's default wraps every call in
        # asyncio.wait_for (a task per cache read, a tenth of a warm lookup's CPU).
        return cls(SimpleMemoryCache(timeout=None), namespace, "memory")

    @classmethod
    def redis(cls, url: str, namespace: str = "og") -> CacheStore:
        """A store in the Redis at ``url`` (``redis://[:password@]host[:port][/db]``)."""
        parts = urlparse(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ConfigurationError("cache.url must be a redis:// or rediss:// URL")
        try:
            port = parts.port or 6379
            db = int(parts.path.strip("/") or 0)
        except ValueError:
            raise ConfigurationError("cache.url must be redis://host:port/db") from None
        backend = RedisCache(
            serializer=PickleSerializer(),
            endpoint=parts.hostname or "127.0.0.1",
            port=port,
            db=db,
            password=unquote(parts.password) if parts.password else None,
            ssl=parts.scheme == "rediss",
            timeout=REDIS_TIMEOUT,
            create_connection_timeout=REDIS_TIMEOUT,
        )
        return cls(backend, namespace, "redis")

    async def get_many(self, keys: Sequence[str]) -> list[Entry | None]:
        """The entry of each key, in order; None for a miss (or while the store is down)."""
        if not keys:
            return []
        try:
            values = await self._backend.multi_get(list(keys))
        except _OUTAGE as exc:
            self._failed("read", exc)
            return [None] * len(keys)
        except _UNREADABLE as exc:  # written by another version of the code: a miss
            log.warning("cached entries could not be read (%s)", type(exc).__name__)
            return [None] * len(keys)
        self._recovered()
        return [v if isinstance(v, Entry) else None for v in values]

    async def set_many(self, items: Sequence[tuple[str, Entry]], ttl: float) -> None:
        """Store entries for ``ttl`` seconds (skipped while the store is down)."""
        if not items or ttl <= 0:
            return
        try:
            await self._backend.multi_set(list(items), ttl=float(ttl))
        except _OUTAGE as exc:
            self._failed("write", exc)
            return
        self._recovered()

    async def delete_many(self, keys: Sequence[str]) -> int:
        """Delete keys; how many existed (0 while the store is down)."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return 0
        try:
            counts = await asyncio.gather(*(self._backend.delete(key) for key in unique))
        except _OUTAGE as exc:
            self._failed("delete", exc)
            return 0
        self._recovered()
        return sum(int(count or 0) for count in counts)

    async def aclose(self) -> None:
        """Release the connection pool (or drop the in-process entries)."""
        try:
            if self.kind == "memory":
                await self._backend.clear()
            else:  # aiocache's close() calls redis-py's deprecated close()
                await self._backend.client.aclose()
        except _OUTAGE:
            pass

    def _failed(self, action: str, exc: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning(
                "cache %s failed (%s); answering without the cache until it is back",
                action,
                type(exc).__name__,
            )

    def _recovered(self) -> None:
        if self.down:
            self.down = False
            log.info("cache is answering again")


def build_store(settings: CacheSettings) -> CacheStore:
    """The store ``[cache]`` asks for: Redis when ``url`` is set, else in process."""
    if settings.url:
        return CacheStore.redis(settings.url, settings.namespace)
    return CacheStore.memory(settings.namespace)
