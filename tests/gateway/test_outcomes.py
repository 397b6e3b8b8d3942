"""gateway.outcomes: failures with their stage, and each region's outcome for one person."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.errors import RegionUnavailable, UpstreamInvalid
from gateway.outcomes import Ledger, Outcome, RegionFailure, RegionOutcome, Stage
from gateway.pipeline.breaker import CircuitOpen
from gateway.pipeline.call import Fetched

T0 = 1_700_000_000.0


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_a_failure_keeps_the_region_code_public_message_and_stage() -> None:
    failure = RegionFailure.of(UpstreamInvalid("north", "garbage reply"), Stage.DETAILS)
    assert failure == RegionFailure("north", "UPSTREAM_INVALID", "garbage reply", Stage.DETAILS)
    assert failure.breaker_open is False


def test_a_failure_from_an_open_breaker_says_so() -> None:
    failure = RegionFailure.of(CircuitOpen("north", 4.2), Stage.IDENTITY)
    assert failure.breaker_open is True
    assert failure.code == "REGION_UNAVAILABLE"
    assert failure.message == (
        "region's circuit breaker is open after repeated failures; retrying after 5 s"
    )


def test_a_plain_unavailable_region_is_not_a_breaker_failure() -> None:
    failure = RegionFailure.of(RegionUnavailable("north", "down"), Stage.SEARCH)
    assert failure.breaker_open is False
    assert failure.stage is Stage.SEARCH


def test_a_region_never_asked_is_skipped_with_the_reason() -> None:
    assert Ledger().outcome("north", "not asked") == RegionOutcome(
        "north", Outcome.SKIPPED, reason="not asked"
    )


def test_ok_is_when_the_oldest_answer_used_was_given_in_utc() -> None:
    ledger = Ledger()
    ledger.answered("north", Fetched([], T0 + 10))
    ledger.answered("north", Fetched([], T0))
    ledger.answered("south", Fetched([], T0 + 99))
    outcome = ledger.outcome("north", "unused")
    assert outcome == RegionOutcome("north", Outcome.OK, fetched_at=utc(T0))
    assert outcome.fetched_at is not None and outcome.fetched_at.tzinfo is UTC


def test_stale_beats_ok_and_gives_the_oldest_stale_answer() -> None:
    ledger = Ledger()
    ledger.answered("north", Fetched([], T0 - 500))  # fresh and older: not what STALE reports
    ledger.answered("north", Fetched([], T0 + 20, stale=True))
    ledger.answered("north", Fetched([], T0 + 5, stale=True))
    outcome = ledger.outcome("north", "unused")
    assert outcome == RegionOutcome("north", Outcome.STALE, fetched_at=utc(T0 + 5))
    assert outcome.fetched_at is not None and outcome.fetched_at.tzinfo is UTC


def test_failed_beats_stale_and_ok_and_reports_the_first_failure() -> None:
    first = RegionFailure("north", "REGION_UNAVAILABLE", "down", Stage.IDENTITY)
    second = RegionFailure("north", "UPSTREAM_INVALID", "garbage", Stage.DETAILS)
    ledger = Ledger()
    ledger.answered("north", Fetched([], T0, stale=True))
    ledger.failed(first)
    ledger.failed(second)
    ledger.failed(first)  # the same failure twice counts once
    assert ledger.outcome("north", "unused") == RegionOutcome(
        "north", Outcome.FAILED, failure=first
    )
    assert ledger.failures == [first, second]


def test_absorb_takes_every_answer_and_failure_without_repeats() -> None:
    down = RegionFailure("south", "REGION_UNAVAILABLE", "down", Stage.IDENTITY)
    walk = Ledger()
    walk.answered("north", Fetched([], T0 + 1))
    walk.failed(down)
    person = Ledger()
    person.failed(down)
    person.answered("north", Fetched([], T0 + 3))
    person.absorb(walk)
    assert person.failures == [down]
    assert person.outcome("north", "unused").fetched_at == utc(T0 + 1)
    assert person.outcome("south", "unused").outcome is Outcome.FAILED
