"""The split stage: a connector never sees more keys than its ``batch_limit``; the parts' outcomes
are joined in key order, per-key errors kept, and a call fails whole only when every part did."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pytest

from connectors.base import BatchResult, Capability, Connector, PersonSearch
from connectors.config import RegionConfig
from connectors.errors import ConnectorError, RegionUnavailable, UpstreamInvalid
from connectors.records import CustodyEpisode, PersonRecord, SystemKind
from gateway.cache_store import build_store
from gateway.pipeline.breaker import CircuitBreakers
from gateway.pipeline.breaker_store import MemoryBreakerStore
from gateway.pipeline.build import build_pipeline
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.pipeline.split import SplitStage
from tests.gateway.inprocess import settings
from tests.gateway.pipeline.fakes import Inner, values
from tests.gateway.pipeline.fakes import call as make_call


class Counting(Connector):
    """Answers custody with the key itself, failing key ``bad`` alone; records each batch."""

    dialect = "counting"
    kinds = frozenset({SystemKind.CUSTODY})
    capabilities = frozenset({Capability.CUSTODY_FOR, Capability.SEARCH_PEOPLE})
    max_batch = 3

    def __init__(self, config: RegionConfig) -> None:
        super().__init__(config)
        self.batches: list[tuple[str, ...]] = []
        self.searches = 0

    async def custody_for(self, local_ids: Sequence[str]) -> BatchResult[list[CustodyEpisode]]:
        self.batches.append(tuple(local_ids))
        return [
            UpstreamInvalid(self.region, "bad record") if i == "bad" else [i]  # type: ignore[list-item]
            for i in local_ids
        ]

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        self.searches += 1
        return []


def region(name: str, **options: object) -> Counting:
    return Counting(
        RegionConfig(name, "counting", SystemKind.CUSTODY, "http://x/", options=options)
    )


async def through_pipeline(
    connector: Counting, operation: Capability, keys: Sequence[Hashable]
) -> list[Outcome]:
    chosen = settings()
    pipeline = build_pipeline(
        chosen,
        {connector.region: connector},
        [],
        CircuitBreakers([connector.region], chosen.resilience, MemoryBreakerStore()),
        build_store(chosen.cache),
    )
    return await pipeline(RegionCall(connector.region, operation, tuple(keys), Deadline(5)))


async def test_the_connector_never_sees_more_keys_than_it_declared() -> None:
    connector = region("north")
    keys = [f"P{i}" for i in range(8)]
    outcomes = await through_pipeline(
        connector, Capability.CUSTODY_FOR, [*keys[:4], "bad", *keys[4:]]
    )
    assert max(len(b) for b in connector.batches) == 3
    assert sorted(k for b in connector.batches for k in b) == sorted([*keys, "bad"])
    assert values(outcomes) == [[k] for k in keys[:4]] + ["UPSTREAM_INVALID"] + [
        [k] for k in keys[4:]
    ]


async def test_a_regions_option_overrides_the_dialects_limit() -> None:
    connector = region("south", max_batch=2)
    await through_pipeline(connector, Capability.CUSTODY_FOR, ["a", "b", "c", "d", "e"])
    assert [len(b) for b in connector.batches] == [2, 2, 1]


async def test_a_call_within_the_limit_and_a_search_are_not_split() -> None:
    connector = region("east")
    await through_pipeline(connector, Capability.CUSTODY_FOR, ["a", "b", "c"])
    assert connector.batches == [("a", "b", "c")]
    queries = [PersonSearch(f"S{i}") for i in range(5)]
    assert len(await through_pipeline(connector, Capability.SEARCH_PEOPLE, queries)) == 5
    assert connector.searches == 5


# ---- the stage alone ---------------------------------------------------------------------------
async def test_parts_are_joined_in_key_order() -> None:
    inner = Inner(answer=lambda k: UpstreamInvalid("north", "bad") if k == 4 else k)
    outcomes = await SplitStage(inner, {"north": 3})(make_call(1, 2, 3, 4, 5, 6, 7))
    assert sorted(inner.calls) == [(1, 2, 3), (4, 5, 6), (7,)]
    assert values(outcomes) == [1, 2, 3, "UPSTREAM_INVALID", 5, 6, 7]


async def test_a_part_that_raises_fails_only_its_own_keys() -> None:
    down = RegionUnavailable("north", "down")

    async def inner(call: RegionCall) -> list[Outcome]:
        if 3 in call.keys:
            raise down
        return [Fetched(k, 0.0) for k in call.keys]

    outcomes = await SplitStage(inner, {"north": 2})(make_call(1, 2, 3, 4, 5))
    assert values(outcomes) == [1, 2, "REGION_UNAVAILABLE", "REGION_UNAVAILABLE", 5]


async def test_when_every_part_raises_the_whole_call_fails() -> None:
    inner = Inner(raises=[RegionUnavailable("north", "a"), RegionUnavailable("north", "b")])
    with pytest.raises(ConnectorError, match="north"):
        await SplitStage(inner, {"north": 2})(make_call(1, 2, 3, 4))


async def test_a_bug_in_a_part_is_never_turned_into_a_keys_error() -> None:
    async def inner(call: RegionCall) -> list[Outcome]:
        if 1 in call.keys:
            raise KeyError("a bug")
        return [Fetched(k, 0.0) for k in call.keys]

    with pytest.raises(KeyError):
        await SplitStage(inner, {"north": 1})(make_call(1, 2))


async def test_a_region_without_a_limit_passes_through() -> None:
    inner = Inner()
    await SplitStage(inner, {"north": None})(make_call(*range(10)))
    assert inner.calls == [tuple(range(10))]
