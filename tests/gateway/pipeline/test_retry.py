"""The retry stage: which failures are tried again, how often, and within the deadline."""

from __future__ import annotations

import time
from collections.abc import Hashable
from types import SimpleNamespace

import pytest
from tenacity import RetryCallState

from connectors.base import Capability
from connectors.errors import (
    ConnectionDropped,
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from gateway.pipeline import retry as retry_module
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.pipeline.retry import RetryStage, _KeysFailed, retryable
from gateway.settings import ResilienceSettings
from tests.gateway.pipeline.fakes import Inner, call, values

FAST = ResilienceSettings(retries=2, backoff_initial=0.001, backoff_max=0.002)


def down() -> RegionUnavailable:
    return RegionUnavailable("north", "region answered HTTP 503")


async def test_a_retryable_whole_call_failure_is_tried_again_until_it_succeeds() -> None:
    inner = Inner(raises=[down(), down()])
    outcomes = await RetryStage(inner, FAST)(call("a", "b"))
    assert values(outcomes) == ["value-of-a", "value-of-b"]
    assert inner.calls == [("a", "b")] * 3


async def test_retries_stop_after_the_configured_attempts_and_the_last_error_stands() -> None:
    inner = Inner(raises=[down(), down(), down(), down()])
    with pytest.raises(RegionUnavailable):
        await RetryStage(inner, FAST)(call("a"))
    assert len(inner.calls) == 3  # one attempt and two retries


@pytest.mark.parametrize(
    "error",
    [
        RegionTimeout("north", "slow"),
        UpstreamAuthFailed("north", "refused credentials"),
        UpstreamRejected("north", "bad request"),
        UpstreamInvalid("north", "garbage"),
    ],
)
async def test_failures_that_a_retry_cannot_mend_are_not_retried(error: ConnectorError) -> None:
    inner = Inner(raises=[error])
    with pytest.raises(type(error)):
        await RetryStage(inner, FAST)(call("a"))
    assert len(inner.calls) == 1
    assert retryable(error) is False


async def test_only_the_keys_that_failed_retryably_are_asked_again() -> None:
    failures = {"b": 1, "c": 5}  # b fails once, c always

    def answer(key: Hashable) -> object:
        if failures.get(str(key), 0) > 0:
            failures[str(key)] -= 1
            return down()
        return f"value-of-{key}"

    outcomes = await RetryStage(Inner(answer), FAST)(call("a", "b", "c"))
    assert values(outcomes) == ["value-of-a", "value-of-b", "REGION_UNAVAILABLE"]


async def test_per_key_rejections_are_not_retried() -> None:
    inner = Inner(lambda key: UpstreamRejected("north", "no") if key == "b" else key)
    outcomes = await RetryStage(inner, FAST)(call("a", "b"))
    assert values(outcomes) == ["a", "UPSTREAM_REJECTED"]
    assert inner.calls == [("a", "b")]


async def test_a_dropped_connection_is_retried_at_once() -> None:
    slow = ResilienceSettings(retries=1, backoff_initial=2.0, backoff_max=2.0)
    inner = Inner(raises=[ConnectionDropped("north", "server closed the connection")])
    started = time.monotonic()
    outcomes = await RetryStage(inner, slow)(call("a"))
    assert values(outcomes) == ["value-of-a"]
    assert time.monotonic() - started < 0.5  # no 2 s backoff


async def test_no_retry_starts_when_its_wait_would_pass_the_deadline() -> None:
    slow = ResilienceSettings(retries=3, backoff_initial=1.0, backoff_max=1.0)
    inner = Inner(raises=[down(), down()])
    started = time.monotonic()
    with pytest.raises(RegionUnavailable):
        await RetryStage(inner, slow)(call("a", seconds=0.5))
    assert len(inner.calls) == 1
    assert time.monotonic() - started < 0.4


async def test_zero_retries_passes_straight_through() -> None:
    inner = Inner(raises=[down()])
    with pytest.raises(RegionUnavailable):
        await RetryStage(inner, ResilienceSettings(retries=0))(call("a"))
    assert len(inner.calls) == 1


async def test_keys_answered_before_a_later_whole_failure_keep_their_values() -> None:
    calls = 0

    async def inner(c: RegionCall) -> list[Outcome]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return [Fetched("a-value", 0.0), down()]
        raise down()

    outcomes = await RetryStage(inner, FAST)(call("a", "b"))
    assert values(outcomes) == ["a-value", "REGION_UNAVAILABLE"]
    assert calls == 3


# ---- the waits -----------------------------------------------------------------------------------
def state_after(attempt: int, error: BaseException | None = None) -> RetryCallState:
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempt
    if error is not None:
        state.set_exception((type(error), error, None))
    return state


def test_the_backoff_doubles_from_the_initial_wait_up_to_the_maximum_plus_jitter() -> None:
    stage = RetryStage(Inner(), ResilienceSettings(backoff_initial=0.01, backoff_max=0.05))
    for attempt, base in [(1, 0.01), (2, 0.02), (3, 0.04), (4, 0.05), (12, 0.05)]:
        for _ in range(30):
            assert base <= stage._wait(state_after(attempt, down())) <= base + 0.01


def test_a_dropped_connection_waits_nothing_whole_call_or_per_key() -> None:
    stage = RetryStage(Inner(), ResilienceSettings(backoff_initial=1.0, backoff_max=5.0))
    dropped = ConnectionDropped("north", "reset")
    assert stage._wait(state_after(1, dropped)) == 0.0
    assert stage._wait(state_after(1, _KeysFailed(dropped))) == 0.0
    assert stage._wait(state_after(1, _KeysFailed(down()))) >= 1.0


async def test_retries_wait_their_backoff() -> None:
    # Three waits of at least 0.05, 0.05 and 0.1 s (the backoff doubles from the second retry).
    inner = Inner(raises=[down(), down(), down()])
    started = time.monotonic()
    stage = RetryStage(inner, ResilienceSettings(retries=3, backoff_initial=0.05, backoff_max=1))
    assert values(await stage(call("a"))) == ["value-of-a"]
    assert len(inner.calls) == 4
    assert time.monotonic() - started >= 0.2


async def test_no_retry_at_once_starts_with_no_time_left() -> None:
    inner = Inner(raises=[ConnectionDropped("north", "reset")] * 3)
    with pytest.raises(ConnectionDropped):
        await RetryStage(inner, FAST)(call("a", seconds=0))
    assert len(inner.calls) == 1


async def test_a_key_failing_again_is_asked_again_until_the_retries_are_used() -> None:
    failures = {"b": 2}

    def answer(key: Hashable) -> object:
        if failures.get(key, 0) > 0:
            failures[key] -= 1
            return down()
        return f"value-of-{key}"

    inner = Inner(answer)
    assert values(await RetryStage(inner, FAST)(call("a", "b"))) == ["value-of-a", "value-of-b"]
    assert inner.calls == [("a", "b"), ("b",), ("b",)]


async def test_one_retry_is_made_when_one_is_configured() -> None:
    failures = {"a": 1}

    def answer(key: Hashable) -> object:
        if failures.get(key, 0) > 0:
            failures[key] -= 1
            return down()
        return f"value-of-{key}"

    settings = ResilienceSettings(retries=1, backoff_initial=0.001, backoff_max=0.002)
    inner = Inner(answer)
    assert values(await RetryStage(inner, settings)(call("a"))) == ["value-of-a"]
    assert inner.calls == [("a",), ("a",)]


async def test_a_retry_failing_with_an_error_a_retry_cannot_mend_is_not_retried() -> None:
    inner = Inner(raises=[down(), UpstreamRejected("north", "bad request")])
    with pytest.raises(UpstreamRejected):
        await RetryStage(inner, FAST)(call("a"))
    assert len(inner.calls) == 2


async def test_the_first_retry_waits_the_initial_backoff_with_up_to_as_much_jitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(retry_module, "random", lambda: 0.5)
    monkeypatch.setattr(retry_module, "asyncio", SimpleNamespace(sleep=sleep))
    stage = RetryStage(
        Inner(raises=[down()]), ResilienceSettings(retries=1, backoff_initial=0.1, backoff_max=1)
    )
    assert values(await stage(call("a"))) == ["value-of-a"]
    assert waits == [pytest.approx(0.15)]


class RunningOut(Deadline):
    """A deadline with time for the first retry and none after it."""

    def __init__(self) -> None:
        super().__init__(5)
        self.asked = 0

    def remaining(self) -> float:
        self.asked += 1
        return 1.0 if self.asked == 1 else 0.0


async def test_no_further_retry_starts_once_no_time_is_left_even_at_once() -> None:
    inner = Inner(raises=[ConnectionDropped("north", "reset")] * 3)
    request = RegionCall("north", Capability.CUSTODY_FOR, ("a",), RunningOut())
    with pytest.raises(ConnectionDropped):
        await RetryStage(inner, FAST)(request)
    assert len(inner.calls) == 2
