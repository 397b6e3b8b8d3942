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
from gateway.pipeline.breaker import (
    BreakerStage,
    BreakerState,
    CircuitBreakers,
    CircuitOpen,
    counts,
    whole_failure,
)
from gateway.pipeline.breaker_store import BreakerStoreUnavailable, MemoryBreakerStore
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


# ---- wording, and the shared state's edges ------------------------------------------------------
AUTH = UpstreamAuthFailed("north", "401")
T0 = 1_700_000_000.0


def test_an_open_breaker_says_why_and_when_in_whole_seconds_at_least_one() -> None:
    soon = CircuitOpen("north", 0.2)
    assert (soon.region, soon.public_message) == (
        "north",
        "region's circuit breaker is open after repeated failures; retrying after 1 s",
    )
    refused = CircuitOpen("north", 299.1, credentials=True)
    assert refused.public_message == (
        "region's circuit breaker is open after it refused the gateway's credentials; "
        "retrying after 300 s"
    )


def test_a_breaker_failing_fast_does_not_count_against_the_region() -> None:
    assert counts(CircuitOpen("north", 1.0)) is False
    assert counts(DOWN) is True


def test_a_region_not_configured_has_a_closed_breaker() -> None:
    b = breakers(Clock())
    assert b.state("elsewhere") is BreakerState.CLOSED
    assert b.snapshot("elsewhere")["consecutive_failures"] == 0


async def test_a_single_key_failing_with_a_counted_error_counts() -> None:
    b = breakers(Clock())
    await BreakerStage(Inner(lambda key: DOWN), b)(call("k"))
    assert b.snapshot("north")["consecutive_failures"] == 1
    assert whole_failure([DOWN]) is DOWN


async def test_failing_fast_names_the_region() -> None:
    b = breakers(Clock())
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    with pytest.raises(CircuitOpen) as caught:
        await b.before("north")
    assert caught.value.region == "north"


async def test_a_trial_stuck_for_exactly_a_minute_still_holds_the_others_back() -> None:
    clock = Clock()
    b = breakers(clock)
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    clock.advance(10.0)
    await b.before("north")  # the trial, which never reports
    clock.advance(60.0)
    with pytest.raises(CircuitOpen):
        await b.before("north")
    clock.advance(0.5)
    await b.before("north")  # a trial older than a minute lets another through
    assert b.state("north") is BreakerState.HALF_OPEN


async def test_a_failed_trial_reopens_even_below_the_threshold() -> None:
    clock = Clock()
    b = breakers(clock)
    await b.before("north")
    await b.record("north", AUTH)  # opens at once, one failure counted
    clock.advance(300.0)
    await b.before("north")
    await b.record("north", DOWN)  # the trial fails: two failures, below three
    assert b.state("north") is BreakerState.OPEN
    assert b.snapshot("north")["retry_at"] == clock.now + 10.0


async def test_openings_and_closings_are_logged_with_region_time_and_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    b = breakers(clock)
    with caplog.at_level(logging.INFO, logger="gateway.pipeline.breaker"):
        await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
        clock.advance(10.0)
        await BreakerStage(Inner(), b)(call("k"))
    assert [r.getMessage() for r in caplog.records] == [
        "region north: circuit breaker open for 10 s (REGION_UNAVAILABLE)",
        "region north: circuit breaker closed",
    ]


async def test_a_closed_breaker_forgets_it_was_opened_for_credentials() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    b = breakers(clock, store)
    await b.before("north")
    await b.record("north", AUTH)
    clock.advance(300.0)
    await b.before("north")
    await b.record("north", None)  # the trial closes it
    await store.set_open_until("north", clock.now + 10.0)  # another replica opens it
    clock.advance(0.3)
    with pytest.raises(CircuitOpen) as caught:
        await b.before("north")
    assert "after repeated failures" in caught.value.public_message


async def test_a_breaker_closed_elsewhere_forgets_credentials_and_failures() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    b = breakers(clock, store)
    await b.before("north")
    await b.record("north", AUTH)  # opened here and shared
    await store.clear("north")  # another replica's trial closed it
    with pytest.raises(CircuitOpen):
        await b.before("north")  # not read again before a quarter second
    clock.advance(0.3)
    await b.before("north")
    assert b.state("north") is BreakerState.CLOSED
    assert b.snapshot("north")["consecutive_failures"] == 0
    await store.set_open_until("north", clock.now + 10.0)
    clock.advance(0.3)
    with pytest.raises(CircuitOpen) as caught:
        await b.before("north")
    assert "after repeated failures" in caught.value.public_message


class WriteFailingStore(MemoryBreakerStore):
    async def set_open_until(self, region: str, until: float) -> None:
        raise BreakerStoreUnavailable("write")


async def test_an_opening_the_store_never_got_is_not_closed_by_the_stores_silence() -> None:
    clock = Clock()
    b = breakers(clock, WriteFailingStore())
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    clock.advance(0.3)
    with pytest.raises(CircuitOpen):
        await b.before("north")
    assert b.state("north") is BreakerState.OPEN


async def test_an_opening_ending_now_in_the_store_is_not_adopted() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    b = breakers(clock, store)
    await store.set_open_until("north", clock.now)
    await b.before("north")
    assert b.state("north") is BreakerState.CLOSED


async def test_a_longer_opening_elsewhere_extends_ours_keeping_why() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    b = breakers(clock, store)
    await b.before("north")
    await b.record("north", AUTH)  # open until T0 + 300
    opened_at = b.snapshot("north")["opened_at"]
    clock.advance(0.3)
    with pytest.raises(CircuitOpen):
        await b.before("north")  # the store holds our own time: nothing to adopt
    assert b.snapshot("north")["opened_at"] == opened_at
    await store.set_open_until("north", T0 + 1000.0)
    clock.advance(0.3)
    with pytest.raises(CircuitOpen) as caught:
        await b.before("north")
    assert b.snapshot("north")["retry_at"] == T0 + 1000.0
    assert "refused the gateway's credentials" in caught.value.public_message


async def test_a_trial_in_progress_is_not_overruled_by_a_later_opening_elsewhere() -> None:
    clock, store = Clock(), MemoryBreakerStore()
    b = breakers(clock, store)
    await fail(BreakerStage(Inner(raises=[DOWN] * 3), b), 3)
    clock.advance(10.0)
    await b.before("north")  # our trial
    await store.set_open_until("north", clock.now + 100.0)
    clock.advance(0.3)
    with pytest.raises(CircuitOpen):
        await b.before("north")
    assert b.state("north") is BreakerState.HALF_OPEN


async def test_refused_credentials_are_logged_with_region_code_and_open_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = breakers(Clock())
    with caplog.at_level(logging.INFO, logger="gateway.pipeline.breaker"):
        await b.record("north", AUTH)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.WARNING,
            "region north refused the gateway's credentials (UPSTREAM_AUTH): "
            "breaker open for 300 s",
        )
    ]


async def test_the_memory_store_clears_a_region_it_never_held() -> None:
    store = MemoryBreakerStore()
    await store.clear("north")
    assert await store.get_open_until("north") is None
