"""The rolling window behind /status: percentiles, errors by code, identifier shares and mapping
failures per region, and calls ageing out after an hour (on an injected clock)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date
from typing import Any

import pytest

from connectors.base import Capability, PersonSearch
from connectors.errors import ConnectorError, RegionTimeout, RegionUnavailable, UpstreamInvalid
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.observability.region_stats import LATENCY_BOUNDS, RegionStats
from gateway.pipeline.breaker import CircuitOpen
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.pipeline.observe import Observation

REGION = "probation-wales"
NOMS = Identifier(IdentifierKind.NOMS, "A1234AA")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "1988/0889542G")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stats(clock: Clock) -> RegionStats:
    return RegionStats([REGION, "prison-north"], clock=clock)


def person(*identifiers: Identifier) -> PersonRecord:
    return PersonRecord(REGION, "L1", identifiers, PersonName("Ann", "Jones"), date(1980, 1, 2))


def observation(
    seconds: float = 0.05,
    outcomes: Sequence[Outcome] = (),
    error: ConnectorError | None = None,
    operation: Capability = Capability.CUSTODY_FOR,
    keys: Sequence[Hashable] = ("L1",),
    region: str = REGION,
) -> Observation:
    call = RegionCall(region, operation, tuple(keys), Deadline(5.0))
    return Observation(call, seconds, tuple(outcomes), error)


def answered(value: Any, **kwargs: Any) -> Observation:
    return observation(outcomes=[Fetched(value, 0.0)], **kwargs)


def test_an_empty_window_says_nothing_rather_than_zero(stats: RegionStats) -> None:
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, window.error_rate) == (0, 0, None)
    assert (window.latency.p50, window.latency.p95, window.latency.p99) == (None, None, None)
    assert window.identifier_share == dict.fromkeys(IdentifierKind)
    assert (window.records, window.mapping_failures, dict(window.errors)) == (0, 0, {})


def test_percentiles_follow_the_latencies_within_a_histogram_bucket(stats: RegionStats) -> None:
    # 1..100 ms: p50 = 50 ms, p95 = 95 ms, p99 = 99 ms, each within one bucket (19%).
    for ms in range(1, 101):
        stats.observe(answered([], seconds=ms / 1000))
    latency = stats.window(REGION).latency
    assert latency.p50 == pytest.approx(0.050, rel=0.19)
    assert latency.p95 == pytest.approx(0.095, rel=0.19)
    assert latency.p99 == pytest.approx(0.099, rel=0.19)
    assert latency.p50 is not None and latency.p95 is not None and latency.p99 is not None
    assert latency.p50 < latency.p95 <= latency.p99 <= 0.100


def test_one_slow_call_in_a_hundred_shows_in_p99_only(stats: RegionStats) -> None:
    for _ in range(98):
        stats.observe(answered([], seconds=0.020))
    stats.observe(answered([], seconds=2.0))
    stats.observe(answered([], seconds=2.0))
    latency = stats.window(REGION).latency
    assert latency.p50 == pytest.approx(0.020, rel=0.19)
    assert latency.p95 == pytest.approx(0.020, rel=0.19)
    assert latency.p99 == pytest.approx(2.0, rel=0.19)


def test_a_single_call_is_its_own_percentiles_even_past_the_last_bound(stats: RegionStats) -> None:
    stats.observe(answered([], seconds=0.0437))
    assert stats.window(REGION).latency.p50 == pytest.approx(0.0437)
    stats.observe(answered([], region="prison-north", seconds=LATENCY_BOUNDS[-1] * 3))
    assert stats.window("prison-north").latency.p99 == pytest.approx(LATENCY_BOUNDS[-1] * 3)


def test_errors_are_counted_by_code_and_the_error_rate_is_per_call(stats: RegionStats) -> None:
    stats.observe(answered([]))
    stats.observe(observation(error=RegionUnavailable(REGION, "503")))
    stats.observe(observation(error=RegionTimeout(REGION, "too slow")))
    # A call that answered one key and failed another: a failed key, not a failed call.
    stats.observe(
        observation(outcomes=[Fetched([], 0.0), UpstreamInvalid(REGION, "bad")], keys=("L1", "L2"))
    )
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, window.error_rate) == (4, 2, 0.5)
    assert dict(window.errors) == {
        "REGION_TIMEOUT": 1,
        "REGION_UNAVAILABLE": 1,
        "UPSTREAM_INVALID": 1,
    }
    assert stats.window("prison-north").calls == 0  # regions are kept apart


def test_a_call_whose_every_key_failed_counts_each_key_once(stats: RegionStats) -> None:
    errors = [UpstreamInvalid(REGION, "bad"), UpstreamInvalid(REGION, "bad")]
    stats.observe(observation(outcomes=errors, error=errors[0], keys=("L1", "L2")))
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, window.mapping_failures) == (1, 1, 2)
    assert dict(window.errors) == {"UPSTREAM_INVALID": 2}


def test_calls_failed_fast_by_the_breaker_are_errors_but_not_latencies(
    stats: RegionStats,
) -> None:
    stats.observe(answered([], seconds=0.300))
    for _ in range(10):
        stats.observe(observation(seconds=0.0001, error=CircuitOpen(REGION, 5.0)))
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls) == (11, 10)
    assert dict(window.errors) == {"REGION_UNAVAILABLE": 10}
    assert window.latency.p50 == pytest.approx(0.300)


def test_identifier_shares_are_over_the_person_records_of_finds_and_searches(
    stats: RegionStats,
) -> None:
    find = Capability.FIND_BY_IDENTIFIERS
    stats.observe(
        observation(
            operation=find,
            keys=(NOMS, CRN),
            outcomes=[Fetched([person(NOMS, CRN, PNC)], 0.0), Fetched([], 0.0)],
        )
    )
    search = PersonSearch("Jones")
    found = [person(CRN, PNC), person(PNC), person(PNC, PNC)]
    stats.observe(answered(found, operation=Capability.SEARCH_PEOPLE, keys=(search,)))
    # Facts about a record already found are not person records: they do not count.
    stats.observe(answered([person()], operation=Capability.CUSTODY_FOR))
    window = stats.window(REGION)
    assert window.records == 4
    assert window.identifier_share == {
        IdentifierKind.NOMS: 0.25,
        IdentifierKind.CRN: 0.5,
        IdentifierKind.PNC: 1.0,  # a record carrying two PNCs counts once
        IdentifierKind.CRO: 0.0,
    }


def test_a_call_ages_out_of_the_window_after_an_hour(stats: RegionStats, clock: Clock) -> None:
    stats.observe(observation(seconds=1.0, error=UpstreamInvalid(REGION, "bad")))
    clock.now += 30 * 60
    stats.observe(answered([person(NOMS)], operation=Capability.SEARCH_PEOPLE, seconds=0.01))
    clock.now += 29 * 60
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, window.mapping_failures) == (2, 1, 1)
    assert window.latency.p99 == pytest.approx(1.0)

    clock.now += 2 * 60  # 61 minutes after the first call, 31 after the second
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, window.mapping_failures) == (1, 0, 0)
    assert dict(window.errors) == {}
    assert window.latency.p99 == pytest.approx(0.01)
    assert window.identifier_share[IdentifierKind.NOMS] == 1.0

    clock.now += 60 * 60
    assert stats.window(REGION).calls == 0


def test_a_bucket_reused_after_an_hour_starts_empty(stats: RegionStats, clock: Clock) -> None:
    stats.observe(observation(error=RegionUnavailable(REGION, "503")))
    clock.now += 60 * 60  # the same slot of the ring, one hour on
    stats.observe(answered([]))
    window = stats.window(REGION)
    assert (window.calls, window.failed_calls, dict(window.errors)) == (1, 0, {})


def test_memory_is_bounded_by_the_window_not_the_traffic(stats: RegionStats, clock: Clock) -> None:
    for minute in range(180):
        for _ in range(50):
            stats.observe(answered([], seconds=0.01 * (1 + minute % 7)))
        clock.now += 60
    ring = stats._rings[REGION]
    assert len(ring) == 60
    assert all(bucket is not None and len(bucket.latency) == 66 for bucket in ring)
    assert stats.window(REGION).calls == 59 * 50  # the current minute has had no call yet
