"""One request's typed loaders: the only way the service reaches a region.

Every load made in the same tick for the same region and operation becomes one batch call through
the shared pipeline (``gateway/pipeline``). Each key is asked once per request (the DataLoader
remembers it). A whole-call failure fails every key of the batch with the same
:class:`~connectors.errors.ConnectorError`; a per-key error fails only its key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from strawberry.dataloader import DataLoader

from connectors.base import Capability, PersonSearch
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.records import (
    Alert,
    CustodyEpisode,
    Movement,
    OffenderManager,
    PersonRecord,
    SupervisionEpisode,
)
from gateway.pipeline.call import Deadline, Fetched, Handler, Outcome, RegionCall, RequestScope

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Operation(Generic[K, T]):
    """A capability with the types of its key and of its per-key result."""

    capability: Capability


FIND: Operation[Identifier, list[PersonRecord]] = Operation(Capability.FIND_BY_IDENTIFIERS)
SEARCH: Operation[PersonSearch, list[PersonRecord]] = Operation(Capability.SEARCH_PEOPLE)
CUSTODY: Operation[str, list[CustodyEpisode]] = Operation(Capability.CUSTODY_FOR)
MOVEMENTS: Operation[str, list[Movement]] = Operation(Capability.MOVEMENTS_FOR)
SUPERVISION: Operation[str, list[SupervisionEpisode]] = Operation(Capability.SUPERVISION_FOR)
MANAGERS: Operation[str, list[OffenderManager]] = Operation(Capability.MANAGERS_FOR)
ALERTS: Operation[str, list[Alert]] = Operation(Capability.ALERTS_FOR)


class RegionLoaders:
    """Loaders per (region, operation), created on first use, sharing one deadline and scope."""

    def __init__(self, pipeline: Handler, deadline: Deadline, scope: RequestScope) -> None:
        self.pipeline = pipeline
        self.deadline = deadline
        self.scope = scope
        self._loaders: dict[tuple[str, Capability], DataLoader[Hashable, Fetched[Any]]] = {}

    async def load(self, region: str, operation: Operation[K, T], key: K) -> Fetched[T]:
        """One key's answer; raises the region's :class:`ConnectorError` if it failed."""
        loader = self._loaders.get((region, operation.capability))
        if loader is None:
            loader = DataLoader(load_fn=self._batch(region, operation.capability))
            self._loaders[(region, operation.capability)] = loader
        return cast(Fetched[T], await loader.load(key))

    async def try_load(
        self, region: str, operation: Operation[K, T], key: K
    ) -> Fetched[T] | ConnectorError:
        """Like :meth:`load`, with the failure returned instead of raised."""
        try:
            return await self.load(region, operation, key)
        except ConnectorError as exc:
            return exc

    def _batch(self, region: str, capability: Capability) -> Any:
        async def load_fn(keys: Sequence[Hashable]) -> list[Outcome]:
            call = RegionCall(region, capability, tuple(keys), self.deadline, self.scope)
            try:
                return await self.pipeline(call)
            except ConnectorError as exc:
                return [exc] * len(keys)

        return load_fn
