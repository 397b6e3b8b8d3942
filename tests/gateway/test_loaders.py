"""gateway.loaders and gateway.health, over a fake in-process connector (no network)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import BatchResult, Capability, Connector, PersonSearch
from connectors.config import RegionConfig
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.records import PersonName, PersonRecord, SystemKind
from gateway.health import RegionHealth, RegionStatus
from gateway.loaders import RegionLoaders

REGION = "prison-north"
CONFIG = RegionConfig(
    name=REGION, dialect="fake", kind=SystemKind.CUSTODY, base_url="http://fake.test/"
)


class FakeConnector(Connector):
    """Answers ``custody_for`` with one string per key; can fail per key, fail whole, be slow."""

    dialect = "fake"
    capabilities = frozenset({Capability.CUSTODY_FOR, Capability.SEARCH_PEOPLE})

    def __init__(self) -> None:
        super().__init__(CONFIG)
        self.calls: list[list[str]] = []
        self.failing_keys: dict[str, ConnectorError] = {}
        self.raise_whole: ConnectorError | None = None
        self.delay = 0.0

    async def custody_for(self, local_ids: Sequence[str]) -> BatchResult[list[str]]:
        self.calls.append(list(local_ids))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.raise_whole is not None:
            raise self.raise_whole
        return [self.failing_keys.get(key, [f"booking of {key}"]) for key in local_ids]

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        if self.delay:
            await asyncio.sleep(self.delay)
        return [PersonRecord(REGION, "PN1", (), PersonName("John", query.surname), None)]


def make(deadline_in: float = 5.0) -> tuple[FakeConnector, RegionHealth, RegionLoaders]:
    connector = FakeConnector()
    health = RegionHealth([REGION])
    loaders = RegionLoaders({REGION: connector}, health, time.monotonic() + deadline_in)
    return connector, health, loaders


def load(loaders: RegionLoaders, key: str) -> asyncio.Future[object]:
    return asyncio.ensure_future(loaders.load(REGION, Capability.CUSTODY_FOR, key))


async def test_health_starts_unknown() -> None:
    _, health, _ = make()
    assert health.state(REGION).status is RegionStatus.UNKNOWN


async def test_loads_in_the_same_tick_become_one_batch_call() -> None:
    connector, _, loaders = make()
    results = await asyncio.gather(*(load(loaders, k) for k in ("a", "b", "c")))
    assert connector.calls == [["a", "b", "c"]]
    assert results == [["booking of a"], ["booking of b"], ["booking of c"]]


async def test_the_same_key_twice_is_asked_once() -> None:
    connector, _, loaders = make()
    first, second = await asyncio.gather(load(loaders, "a"), load(loaders, "a"))
    assert first == second == ["booking of a"]
    assert connector.calls == [["a"]]


async def test_loads_in_later_ticks_are_later_batches() -> None:
    connector, _, loaders = make()
    await load(loaders, "a")
    await load(loaders, "b")
    assert connector.calls == [["a"], ["b"]]


async def test_per_key_error_fails_only_that_key() -> None:
    connector, health, loaders = make()
    rejected = UpstreamRejected(REGION, "no such booking")
    connector.failing_keys["b"] = rejected
    results = await asyncio.gather(
        *(load(loaders, k) for k in ("a", "b", "c")), return_exceptions=True
    )
    assert results == [["booking of a"], rejected, ["booking of c"]]
    assert connector.calls == [["a", "b", "c"]]
    assert health.state(REGION).status is RegionStatus.UP  # the region answered


async def test_raised_region_unavailable_fails_every_key_and_marks_down() -> None:
    connector, health, loaders = make()
    down = RegionUnavailable(REGION, "region answered HTTP 503")
    connector.raise_whole = down
    results = await asyncio.gather(*(load(loaders, k) for k in ("a", "b")), return_exceptions=True)
    assert results == [down, down]
    state = health.state(REGION)
    assert state.status is RegionStatus.DOWN
    assert state.last_error == "region answered HTTP 503"
    assert state.last_error_code == "REGION_UNAVAILABLE"
    assert REGION not in loaders.fetched_at


async def test_raised_rejection_fails_every_key_but_region_is_up() -> None:
    connector, health, loaders = make()
    connector.raise_whole = UpstreamInvalid(REGION, "payload does not map")
    results = await asyncio.gather(*(load(loaders, k) for k in ("a", "b")), return_exceptions=True)
    assert all(isinstance(r, UpstreamInvalid) for r in results)
    assert health.state(REGION).status is RegionStatus.UP
    assert health.state(REGION).last_error_code == "UPSTREAM_INVALID"


async def test_slow_connector_beyond_the_deadline_raises_region_timeout() -> None:
    connector, health, loaders = make(deadline_in=0.05)
    connector.delay = 5.0
    started = time.monotonic()
    results = await asyncio.gather(*(load(loaders, k) for k in ("a", "b")), return_exceptions=True)
    assert time.monotonic() - started < 1.0  # cut off at the deadline, not after the delay
    assert all(isinstance(r, RegionTimeout) for r in results)
    assert results[0].region == REGION  # type: ignore[union-attr]
    state = health.state(REGION)
    assert (state.status, state.last_error_code) == (RegionStatus.DOWN, "REGION_TIMEOUT")


async def test_deadline_is_shared_by_every_call_of_the_request() -> None:
    connector, _, loaders = make(deadline_in=0.15)
    connector.delay = 0.1
    await load(loaders, "a")  # within the deadline
    with pytest.raises(RegionTimeout):
        await load(loaders, "b")  # only ~0.05 s of the deadline left
    assert 0.0 <= loaders.remaining() < 0.05


async def test_remaining_is_never_negative() -> None:
    _, _, loaders = make(deadline_in=-10)
    assert loaders.remaining() == 0.0


async def test_success_marks_up_and_sets_fetched_at() -> None:
    _, health, loaders = make()
    before = datetime.now(UTC)
    await load(loaders, "a")
    assert health.state(REGION).status is RegionStatus.UP
    fetched = loaders.fetched_at[REGION]
    assert fetched.tzinfo is not None
    assert before <= fetched <= datetime.now(UTC) + timedelta(seconds=1)


async def test_an_unavailable_region_fails_later_calls_of_the_request_at_once() -> None:
    connector, _, loaders = make()
    down = RegionUnavailable(REGION, "down")
    connector.raise_whole = down
    with pytest.raises(RegionUnavailable):
        await load(loaders, "a")
    connector.raise_whole = None
    with pytest.raises(RegionUnavailable) as caught:
        await load(loaders, "b")
    assert caught.value is down
    with pytest.raises(RegionUnavailable):
        await loaders.search(REGION, PersonSearch(surname="Smith"))
    assert connector.calls == [["a"]]  # the region was not asked again


async def test_a_rejection_does_not_stop_later_calls_of_the_request() -> None:
    connector, _, loaders = make()
    connector.raise_whole = UpstreamRejected(REGION, "bad request")
    with pytest.raises(UpstreamRejected):
        await load(loaders, "a")
    connector.raise_whole = None
    assert await load(loaders, "b") == ["booking of b"]


async def test_the_next_request_asks_again_and_marks_up_on_recovery() -> None:
    connector, health, loaders = make()
    connector.raise_whole = RegionUnavailable(REGION, "down")
    with pytest.raises(RegionUnavailable):
        await load(loaders, "a")
    assert health.state(REGION).status is RegionStatus.DOWN
    connector.raise_whole = None
    next_request = RegionLoaders({REGION: connector}, health, time.monotonic() + 5)
    assert await next_request.load(REGION, Capability.CUSTODY_FOR, "a") == ["booking of a"]
    assert health.state(REGION).status is RegionStatus.UP


async def test_search_is_a_direct_call_under_the_deadline() -> None:
    connector, health, loaders = make()
    (record,) = await loaders.search(REGION, PersonSearch(surname="Smith"))
    assert record.name.surname == "Smith"
    assert health.state(REGION).status is RegionStatus.UP
    connector.delay = 5.0
    loaders.deadline = time.monotonic() + 0.05
    with pytest.raises(RegionTimeout):
        await loaders.search(REGION, PersonSearch(surname="Smith"))
    assert health.state(REGION).status is RegionStatus.DOWN


async def test_supports_follows_the_connector_capabilities() -> None:
    _, _, loaders = make()
    assert loaders.supports(REGION, Capability.CUSTODY_FOR)
    assert not loaders.supports(REGION, Capability.SUPERVISION_FOR)


async def test_one_loader_per_region_and_operation() -> None:
    _, _, loaders = make()
    custody = loaders.loader(REGION, Capability.CUSTODY_FOR)
    assert loaders.loader(REGION, Capability.CUSTODY_FOR) is custody
    assert loaders.loader(REGION, Capability.SEARCH_PEOPLE) is not custody


# ---- health on its own -------------------------------------------------------------------------
def test_changed_at_moves_only_on_a_change_of_status() -> None:
    health = RegionHealth(["a", "b"])
    health.record_success("a")
    first = health.state("a").changed_at
    assert first > 0
    health.record_success("a")
    assert health.state("a").changed_at == first
    health.record_failure("a", RegionTimeout("a", "slow"))
    assert health.state("a").status is RegionStatus.DOWN
    assert health.state("a").changed_at >= first
    assert health.state("b").status is RegionStatus.UNKNOWN  # regions are independent


def test_last_error_is_kept_after_recovery() -> None:
    health = RegionHealth(["a"])
    health.record_failure("a", RegionUnavailable("a", "HTTP 503"))
    health.record_success("a")
    state = health.state("a")
    assert state.status is RegionStatus.UP
    assert (state.last_error, state.last_error_code) == ("HTTP 503", "REGION_UNAVAILABLE")
