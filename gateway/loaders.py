"""DataLoaders keyed by (region, operation): the only way resolvers reach a connector.

Every load made in the same tick for the same region and operation becomes one batch call. Each
call runs under the request's deadline; its outcome updates the region's health. A whole-batch
failure fails every key with the same :class:`ConnectorError`; a per-key error fails only its key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from strawberry.dataloader import DataLoader

from connectors.base import Capability, Connector, PersonSearch
from connectors.errors import ConnectorError, RegionTimeout
from gateway.health import RegionHealth

BatchCall = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class RegionLoaders:
    """One request's DataLoaders, created on first use."""

    def __init__(
        self, connectors: Mapping[str, Connector], health: RegionHealth, deadline: float
    ) -> None:
        self.connectors = connectors
        self.health = health
        self.deadline = deadline
        self._loaders: dict[tuple[str, Capability], DataLoader[Hashable, Any]] = {}
        self.fetched_at: dict[str, datetime] = {}  # region -> last successful answer
        self.unavailable: dict[str, ConnectorError] = {}  # regions that failed this request

    def remaining(self) -> float:
        """Seconds left before the request's deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def supports(self, region: str, capability: Capability) -> bool:
        return capability in self.connectors[region].capabilities

    def loader(self, region: str, capability: Capability) -> DataLoader[Hashable, Any]:
        """The DataLoader for one region's batch operation."""
        key = (region, capability)
        if key not in self._loaders:
            method: BatchCall = getattr(self.connectors[region], capability.value)
            self._loaders[key] = DataLoader(load_fn=self._batch(region, method))
        return self._loaders[key]

    async def load(self, region: str, capability: Capability, key: Hashable) -> Any:
        """Load one key; raises the region's :class:`ConnectorError` if it failed."""
        return await self.loader(region, capability).load(key)

    async def search(self, region: str, query: PersonSearch) -> Any:
        """A search is not batched: one call per region and query."""
        connector = self.connectors[region]
        return await self.call(region, lambda: connector.search_people(query))

    def _batch(self, region: str, method: BatchCall) -> Callable[[list[Any]], Awaitable[Any]]:
        async def load_fn(keys: list[Any]) -> Sequence[Any]:
            try:
                results: Sequence[Any] = await self.call(region, lambda: method(keys))
                return results
            except ConnectorError as exc:
                return [exc] * len(keys)

        return load_fn

    async def call(self, region: str, make: Callable[[], Awaitable[Any]]) -> Any:
        """Run one upstream call under the deadline and record the region's health.

        A region that was unavailable once in this request fails every later call at once, so a
        slow region costs the request its own timeout once, not once per field.
        """
        if region in self.unavailable:
            raise self.unavailable[region]
        try:
            async with asyncio.timeout(self.remaining()):
                result = await make()
        except TimeoutError:
            error = RegionTimeout(region, "region did not answer before the request's deadline")
            self.health.record_failure(region, error)
            self.unavailable[region] = error
            raise error from None
        except ConnectorError as exc:
            self.health.record_failure(region, exc)
            if exc.retryable:
                self.unavailable[region] = exc
            raise
        self.health.record_success(region)
        self.fetched_at[region] = datetime.now(UTC)
        return result
