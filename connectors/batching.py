"""Fan a batch out as single calls, under a concurrency limit, for systems without batch calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from connectors.errors import ConnectorError, RegionUnavailable

K = TypeVar("K")
T = TypeVar("T")


async def fan_out(
    keys: Sequence[K], call: Callable[[K], Awaitable[T]], limit: int
) -> list[T | ConnectorError]:
    """Call ``call(key)`` for every key, at most ``limit`` at once, one result per key in order.

    A :class:`ConnectorError` fails only its own key, except a :class:`RegionUnavailable` when every
    key failed with it: then the region is down and the error is raised for the whole batch.
    """
    semaphore = asyncio.Semaphore(max(1, limit))

    async def one(key: K) -> T | ConnectorError:
        async with semaphore:
            try:
                return await call(key)
            except ConnectorError as exc:
                return exc

    results = await asyncio.gather(*(one(key) for key in keys))
    if results and all(isinstance(r, RegionUnavailable) for r in results):
        first = results[0]
        assert isinstance(first, RegionUnavailable)
        raise first
    return list(results)
