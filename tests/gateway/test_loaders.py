"""gateway.loaders over the real pipeline, and gateway.health, with a fake in-process connector."""

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
from gateway.loaders import CUSTODY, SEARCH, RegionLoaders
from gateway.pipeline.call import Deadline, Fetched, RequestScope
from gateway.runtime import Runtime, build_runtime
from tests.gateway.inprocess import settings

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


def make(deadline_in: float = 5.0, **overrides: object) -> tuple[FakeConnector, Runtime]:
    connector = FakeConnector()
    runtime = build_runtime(settings(**overrides), {REGION: connector})
    return connector, runtime


def loaders_of(runtime: Runtime, deadline_in: float = 5.0) -> RegionLoaders:
    """One request's loaders."""
    return RegionLoaders(runtime.pipeline, Deadline(deadline_in), RequestScope())


def load(loaders: RegionLoaders, key: str) -> asyncio.Future[Fetched[list[str]]]:
    return asyncio.ensure_future(loaders.load(REGION, CUSTODY, key))  # type: ignore[arg-type]


async def outcomes(loaders: RegionLoaders, *keys: str) -> list[object]:
    """Each key's value, or the error that failed it."""
    found = await asyncio.gather(*(loaders.try_load(REGION, CUSTODY, k) for k in keys))
    return [f.value if isinstance(f, Fetched) else f for f in found]


async def test_health_starts_unknown() -> None:
    _, runtime = make()
    assert runtime.health.state(REGION).status is RegionStatus.UNKNOWN


async def test_loads_in_the_same_tick_become_one_batch_call() -> None:
    connector, runtime = make()
    results = await outcomes(loaders_of(runtime), "a", "b", "c")
    assert connector.calls == [["a", "b", "c"]]
    assert results == [["booking of a"], ["booking of b"], ["booking of c"]]


async def test_the_same_key_twice_is_asked_once() -> None:
    connector, runtime = make()
    loaders = loaders_of(runtime)
    first = await load(loaders, "a")
    second = await load(loaders, "a")
    assert first.value == second.value == ["booking of a"]
    assert connector.calls == [["a"]]


async def test_loads_in_later_ticks_are_later_batches() -> None:
    connector, runtime = make()
    loaders = loaders_of(runtime)
    await load(loaders, "a")
    await load(loaders, "b")
    assert connector.calls == [["a"], ["b"]]


async def test_per_key_error_fails_only_that_key() -> None:
    connector, runtime = make()
    rejected = UpstreamRejected(REGION, "no such offender id")
    connector.failing_keys["b"] = rejected
    results = await outcomes(loaders_of(runtime), "a", "b", "c")
    assert results == [["booking of a"], rejected, ["booking of c"]]
    assert connector.calls == [["a", "b", "c"]]
    assert runtime.health.state(REGION).status is RegionStatus.UP  # the region answered


async def test_raised_region_unavailable_fails_every_key_and_marks_down() -> None:
    connector, runtime = make(resilience=settings().resilience.__class__(retries=0))
    down = RegionUnavailable(REGION, "region answered HTTP 503")
    connector.raise_whole = down
    results = await outcomes(loaders_of(runtime), "a", "b")
    assert results == [down, down]
    state = runtime.health.state(REGION)
    assert state.status is RegionStatus.DOWN
    assert (state.last_error, state.last_error_code) == (
        "region answered HTTP 503",
        "REGION_UNAVAILABLE",
    )


async def test_raised_invalid_reply_fails_every_key_but_region_is_up() -> None:
    connector, runtime = make()
    connector.raise_whole = UpstreamInvalid(REGION, "garbage")
    results = await outcomes(loaders_of(runtime), "a", "b")
    assert all(isinstance(r, UpstreamInvalid) for r in results)
    assert runtime.health.state(REGION).status is RegionStatus.UP
    assert runtime.health.state(REGION).last_error_code == "UPSTREAM_INVALID"


async def test_slow_connector_beyond_the_deadline_raises_region_timeout() -> None:
    connector, runtime = make()
    connector.delay = 5.0
    started = time.monotonic()
    results = await outcomes(loaders_of(runtime, deadline_in=0.2), "a", "b")
    assert time.monotonic() - started < 1.0  # cut off at the deadline, not after the delay
    assert all(isinstance(r, RegionTimeout) and r.region == REGION for r in results)
    state = runtime.health.state(REGION)
    assert (state.status, state.last_error_code) == (RegionStatus.DOWN, "REGION_TIMEOUT")


async def test_an_attempt_is_cut_at_the_regions_own_timeout_as_a_total() -> None:
    connector, runtime = make()
    connector.delay = 5.0
    object.__setattr__(connector.config, "timeout", 0.2)
    started = time.monotonic()
    [result] = await outcomes(loaders_of(runtime, deadline_in=5.0), "a")
    assert time.monotonic() - started < 1.0
    assert isinstance(result, RegionTimeout)
    assert "within 0.2 s" in result.public_message


async def test_success_marks_up_and_stamps_when_it_was_fetched() -> None:
    _, runtime = make()
    before = datetime.now(UTC)
    fetched = await load(loaders_of(runtime), "a")
    assert runtime.health.state(REGION).status is RegionStatus.UP
    when = datetime.fromtimestamp(fetched.fetched_at, UTC)
    assert before - timedelta(seconds=1) <= when <= datetime.now(UTC) + timedelta(seconds=1)
    assert fetched.stale is False


async def test_an_unavailable_region_fails_later_calls_of_the_request_at_once() -> None:
    connector, runtime = make(resilience=settings().resilience.__class__(retries=0))
    down = RegionUnavailable(REGION, "region answered HTTP 503")
    connector.raise_whole = down
    loaders = loaders_of(runtime)
    with pytest.raises(RegionUnavailable) as caught:
        await load(loaders, "a")
    assert caught.value is down
    connector.raise_whole = None
    with pytest.raises(RegionUnavailable):
        await load(loaders, "b")
    assert connector.calls == [["a"]]  # the region was not asked again in this request
    assert (await load(loaders_of(runtime), "b")).value == ["booking of b"]  # the next one asks


async def test_a_rejection_does_not_stop_later_calls_of_the_request() -> None:
    connector, runtime = make()
    connector.raise_whole = UpstreamRejected(REGION, "bad request")
    loaders = loaders_of(runtime)
    with pytest.raises(UpstreamRejected):
        await load(loaders, "a")
    connector.raise_whole = None
    assert (await load(loaders, "b")).value == ["booking of b"]


async def test_a_search_goes_through_the_same_pipeline() -> None:
    connector, runtime = make()
    fetched = await loaders_of(runtime).load(REGION, SEARCH, PersonSearch("Smith"))
    [record] = fetched.value
    assert record.name.surname == "Smith"
    assert runtime.health.state(REGION).status is RegionStatus.UP
    connector.delay = 5.0
    with pytest.raises(RegionTimeout):
        await loaders_of(runtime, deadline_in=0.1).load(REGION, SEARCH, PersonSearch("Smith"))
    assert runtime.health.state(REGION).status is RegionStatus.DOWN


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
