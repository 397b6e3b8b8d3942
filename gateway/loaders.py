"""One request's typed loaders: the only way the service reaches a region.

Every load made in the same tick for the same region and operation becomes one batch call through
the shared pipeline (``gateway/pipeline``). Each key is asked once per request (the DataLoader
remembers it). A whole-call failure fails every key of the batch with the same
:class:`~connectors.errors.ConnectorError`; a per-key error fails only its key.

**Facts that came with a record** (``PersonRecord.included``): when a find or a search answers
records that carry facts (a region's case reply with its managers), the matching fact loader is
primed for that record's ``(region, local_id)`` with them, stamped as the answer that brought them
(its ``fetched_at``, and stale when that answer was a stale stand-in), so the fact is not fetched
again in the request. They pass the pipeline with that answer: cached with it, invalidated with
it, never primed from a failed call. A key already asked keeps its own answer.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from strawberry.dataloader import DataLoader

from connectors.base import Capability, ListingPage, PersonListing, PersonSearch
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.records import (
    Alert,
    CustodyEpisode,
    IncludedFacts,
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
LIST: Operation[PersonListing, ListingPage] = Operation(Capability.LIST_PEOPLE)

FINDING = frozenset(
    {Capability.FIND_BY_IDENTIFIERS, Capability.SEARCH_PEOPLE, Capability.LIST_PEOPLE}
)
"""Operations answering person records, whose included facts prime the fact loaders."""
INCLUDED: tuple[tuple[Capability, Callable[[IncludedFacts], tuple[Any, ...] | None]], ...] = (
    (Capability.CUSTODY_FOR, lambda facts: facts.custody),
    (Capability.MOVEMENTS_FOR, lambda facts: facts.movements),
    (Capability.SUPERVISION_FOR, lambda facts: facts.supervision),
    (Capability.MANAGERS_FOR, lambda facts: facts.managers),
    (Capability.ALERTS_FOR, lambda facts: facts.alerts),
)
"""Which fact loader each kind of included fact answers."""


class RegionLoaders:
    """Loaders per (region, operation), created on first use, sharing one deadline and scope."""

    def __init__(self, pipeline: Handler, deadline: Deadline, scope: RequestScope) -> None:
        self.pipeline = pipeline
        self.deadline = deadline
        self.scope = scope
        self._loaders: dict[tuple[str, Capability], DataLoader[Hashable, Fetched[Any]]] = {}

    async def load(self, region: str, operation: Operation[K, T], key: K) -> Fetched[T]:
        """One key's answer; raises the region's :class:`ConnectorError` if it failed."""
        return cast(Fetched[T], await self._loader(region, operation.capability).load(key))

    def _loader(self, region: str, capability: Capability) -> DataLoader[Hashable, Fetched[Any]]:
        loader = self._loaders.get((region, capability))
        if loader is None:
            loader = DataLoader(load_fn=self._batch(region, capability))
            self._loaders[(region, capability)] = loader
        return loader

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
                outcomes = await self.pipeline(call)
            except ConnectorError as exc:
                return [exc] * len(keys)
            if capability in FINDING:
                self._prime_included(outcomes)
            return outcomes

        return load_fn

    def _prime_included(self, outcomes: Sequence[Outcome]) -> None:
        """Prime the fact loaders with the facts the answered records carry."""
        for outcome in outcomes:
            if not isinstance(outcome, Fetched):
                continue
            value = outcome.value
            records = value.records if isinstance(value, ListingPage) else value
            for record in cast(Sequence[PersonRecord], records):
                for capability, facts_of in INCLUDED:
                    facts = facts_of(record.included)
                    if facts is not None:
                        fetched = Fetched(list(facts), outcome.fetched_at, outcome.stale)
                        self._loader(record.region, capability).prime(record.local_id, fetched)
