"""The breaker stage with a fake inner handler and a clock the tests move."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable

import pytest

from connectors.errors import (
    ConnectionDropped,
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from gateway.pipeline.breaker import BreakerStage, BreakerState, CircuitBreakers, CircuitOpen
from gateway.pipeline.breaker_store import MemoryBreakerStore
from gateway.pipeline.call import Outcome, RegionCall
from gateway.settings import ResilienceSettings
from tests.gateway.pipeline.fakes import Inner, call, values

SETTINGS = ResilienceSettings(failure_threshold=3, open_seconds=10.0, auth_open_seconds=300.0)
DOWN = RegionUnavailable("north", "region answered 503")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Gate:
    """An inner handler that waits for ``open`` before answering every key."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.calls = 0

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        self.calls += 1
        await self.open.wait()
        return await Inner()(call)


def breakers(clock: Clock, store: MemoryBreakerStore | None = None) -> CircuitBreakers:
    return CircuitBreakers(["north", "south"], SETTINGS, store or MemoryBreakerStore(), clock)


async def fail(stage: BreakerStage, times: int, region: str = "north") -> None:
    for _ in range(times):
        with pytest.raises(ConnectorError):
            await stage(call("k", region=region))


async def test_opens_after_threshold_failures_then_fails_fast_without_the_region() -> None:
    clock = Clock()
    b = breakers(clock)
    inner = Inner(raises=[DOWN] * 10)
    stage = BreakerStage(inner, b)
    await fail(stage, 2)
    assert b.state("north") is BreakerState.CLOSED
    await fail(stage, 1)
    assert b.state("north") is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as caught:
        await stage(call("k"))
    assert len(inner.calls) == 3
    error = caught.value
    assert isinstance(error, RegionUnavailable)
    assert (error.code, error.breaker, error.retryable) == ("REGION_UNAVAILABLE", "open", False)
    assert "retrying after 10 s" in error.public_message
    assert b.state("south") is BreakerState.CLOSED  # one region's breaker only
    snapshot = b.snapshot("north")
    assert snapshot == {
        "state": "OPEN",
        "consecutive_failures": 3,
        "opened_at": clock.now,
        "retry_at": clock.now + 10.0,
    }


@pytest.mark.parametrize(
    "error",
    [
        RegionTimeout("north", "slow"),
        ConnectionDropped("north", "reset"),
        UpstreamInvalid("north", "bad XML"),
    ],
)
async def test_timeouts_drops_and_invalid_replies_count(error: ConnectorError) -> None:
    b = breakers(Clock())
    await fail(BreakerStage(Inner(raises=[error] * 3), b), 3)
    assert b.state("north") is BreakerState.OPEN


async def test_a_success_resets_the_consecutive_count() -> None:
    b = breakers(Clock())
    stage = BreakerStage(Inner(raises=[DOWN, DOWN]), b)
    await fail(stage, 2)
    await stage(call("k"))  # the raises are used up: a success
    assert b.snapshot("north")["consecutive_failures"] == 0
    await b.record("north", DOWN)
    await b.record("north", DOWN)
    assert b.state("north") is BreakerState.CLOSED


async def test_half_open_lets_exactly_one_concurrent_trial_through_and_closes_on_success() -> None:
    clock = Clock()
    b = breakers(clock)
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    gate = Gate()
    stage = BreakerStage(gate, b)
    with pytest.raises(CircuitOpen):  # not yet
        await stage(call("k"))
    clock.advance(10.0)
    tasks = [asyncio.create_task(stage(call("k"))) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert gate.calls == 1
    assert b.state("north") is BreakerState.HALF_OPEN
    failed = [t for t in tasks if t.done()]
    assert len(failed) == 4
    assert all(isinstance(t.exception(), CircuitOpen) for t in failed)
    gate.open.set()
    [trial] = [t for t in tasks if t not in failed]
    assert values(await trial) == ["value-of-k"]
    assert b.state("north") is BreakerState.CLOSED
    assert b.snapshot("north")["retry_at"] is None
    await stage(call("k"))
    assert gate.calls == 2


async def test_a_failed_trial_reopens_for_another_open_period() -> None:
    clock = Clock()
    b = breakers(clock)
    inner = Inner(raises=[DOWN] * 4)
    stage = BreakerStage(inner, b)
    await fail(stage, 3)
    clock.advance(10.5)
    await fail(stage, 1)  # the trial
    assert b.state("north") is BreakerState.OPEN
    assert len(inner.calls) == 4
    clock.advance(9.0)
    with pytest.raises(CircuitOpen):
        await stage(call("k"))
    assert len(inner.calls) == 4
    clock.advance(1.0)
    assert values(await stage(call("k"))) == ["value-of-k"]
    assert b.state("north") is BreakerState.CLOSED


async def test_a_cancelled_trial_lets_the_next_caller_try() -> None:
    clock = Clock()
    b = breakers(clock)
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    clock.advance(10.0)
    gate = Gate()
    stage = BreakerStage(gate, b)
    trial = asyncio.create_task(stage(call("k")))
    await asyncio.sleep(0.01)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert b.state("north") is BreakerState.OPEN
    gate.open.set()
    assert values(await stage(call("k"))) == ["value-of-k"]
    assert b.state("north") is BreakerState.CLOSED


async def test_refused_credentials_open_at_once_for_longer_and_log_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    b = breakers(clock)
    refused = UpstreamAuthFailed("north", "credentials refused (key sk-secret-123)")
    inner = Inner(raises=[refused] * 3)
    stage = BreakerStage(inner, b)
    with caplog.at_level(logging.INFO, logger="gateway.pipeline.breaker"):
        await fail(stage, 1)
        assert b.state("north") is BreakerState.OPEN
        await b.record("north", refused)  # a call in flight when it opened
        clock.advance(SETTINGS.open_seconds + 1)
        with pytest.raises(CircuitOpen) as caught:
            await stage(call("k"))
    assert len(inner.calls) == 1
    assert "credentials" in caught.value.public_message
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "north" in message and "UPSTREAM_AUTH" in message
    assert "sk-secret" not in caplog.text
    clock.advance(300.0)
    await fail(stage, 1)  # the trial is refused too: a new opening, logged once more
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 2


async def test_rejected_requests_count_as_successes() -> None:
    b = breakers(Clock())
    rejected = UpstreamRejected("north", "bad request")
    await fail(BreakerStage(Inner(raises=[rejected] * 5), b), 5)
    assert b.state("north") is BreakerState.CLOSED
    await fail(BreakerStage(Inner(raises=[DOWN, DOWN, rejected, DOWN, DOWN]), b), 5)
    assert b.state("north") is BreakerState.CLOSED


def per_key(answers: dict[Hashable, object]) -> Inner:
    return Inner(answer=lambda key: answers[key])


async def test_every_key_failing_with_a_counted_error_counts() -> None:
    b = breakers(Clock())
    inner = per_key({"a": DOWN, "b": RegionTimeout("north", "slow")})
    stage = BreakerStage(inner, b)
    for _ in range(3):
        assert values(await stage(call("a", "b"))) == ["REGION_UNAVAILABLE", "REGION_TIMEOUT"]
    assert b.state("north") is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        await stage(call("a", "b"))
    assert len(inner.calls) == 3


async def test_every_key_refused_for_credentials_opens_at_once() -> None:
    b = breakers(Clock())
    refused = UpstreamAuthFailed("north", "refused")
    await BreakerStage(per_key({"a": DOWN, "b": refused}), b)(call("a", "b"))
    assert b.state("north") is BreakerState.OPEN
    assert b.snapshot("north")["retry_at"] - b.clock() == pytest.approx(300.0)


@pytest.mark.parametrize(
    "answers",
    [
        {"a": DOWN, "b": "fine"},
        {"a": DOWN, "b": UpstreamRejected("north", "no such person")},
    ],
)
async def test_mixed_outcomes_do_not_count(answers: dict[Hashable, object]) -> None:
    b = breakers(Clock())
    stage = BreakerStage(per_key(answers), b)
    for _ in range(5):
        await stage(call("a", "b"))
    assert b.state("north") is BreakerState.CLOSED
    assert b.snapshot("north")["consecutive_failures"] == 0


async def test_an_opening_is_shared_through_the_store() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    first, second = breakers(clock, store), breakers(clock, store)
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), first), 3)
    assert await store.get_open_until("north") == clock.now + 10.0
    inner = Inner()
    with pytest.raises(CircuitOpen):
        await BreakerStage(inner, second)(call("k"))
    assert inner.calls == []
    clock.advance(10.0)
    await BreakerStage(Inner(), first)(call("k"))  # the trial closes it and clears the store
    assert await store.get_open_until("north") is None
    clock.advance(0.3)
    await second.before("north")
    assert second.state("north") is BreakerState.CLOSED  # adopted, not a trial of its own


class CountingStore(MemoryBreakerStore):
    """Counts reads; while ``hold`` is set, a read answers what the store held when it began,
    once ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.hold = False
        self.release = asyncio.Event()

    async def get_open_until(self, region: str) -> float | None:
        self.reads += 1
        value = await super().get_open_until(region)
        if self.hold:
            await self.release.wait()
        return value


async def test_the_shared_state_is_read_at_most_every_quarter_second_one_read_at_a_time() -> None:
    clock, store = Clock(), CountingStore()
    b = breakers(clock, store)
    for _ in range(10):
        await b.before("north")
    assert store.reads == 1
    clock.advance(0.25)
    store.hold = True
    waiting = [asyncio.create_task(b.before("north")) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert store.reads == 2
    assert sum(t.done() for t in waiting) == 4  # the others go on with the local state
    store.release.set()
    await asyncio.gather(*waiting)


async def test_a_read_that_began_before_an_opening_here_does_not_close_it() -> None:
    clock, store = Clock(), CountingStore()
    b = breakers(clock, store)
    store.hold = True
    reading = asyncio.create_task(b.before("north"))  # reads "no opening"...
    await asyncio.sleep(0.01)
    for _ in range(3):  # ... while this replica opens the breaker
        await b.record("north", DOWN)
    store.release.set()
    with pytest.raises(CircuitOpen):
        await reading
    assert b.state("north") is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        await b.before("north")
