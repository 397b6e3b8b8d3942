"""Deadline, fail-fast, concurrency and health stages, and composing stages in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from connectors.base import Capability
from connectors.budget import PageBudget, current_budget
from connectors.errors import RegionTimeout, RegionUnavailable, UpstreamInvalid, UpstreamRejected
from connectors.records import Movement, SystemKind
from gateway.health import RegionHealth, RegionStatus
from gateway.pipeline.call import Deadline, Fetched, Handler, Outcome, RegionCall, Stage, compose
from gateway.pipeline.concurrency import ConcurrencyStage
from gateway.pipeline.connector import ConnectorStage
from gateway.pipeline.deadline import DeadlineStage
from gateway.pipeline.failfast import FailFastStage
from gateway.pipeline.observe import HealthObserver, Observation, ObserveStage
from tests.gateway.inprocess import FakeRegion
from tests.gateway.pipeline.fakes import Inner, call, values


async def test_the_deadline_cuts_a_call_when_the_request_budget_ends() -> None:
    started = time.monotonic()
    with pytest.raises(RegionTimeout, match="deadline"):
        await DeadlineStage(Inner(delay=5))(call("a", seconds=0.2))
    assert 0.15 < time.monotonic() - started < 0.6


async def test_a_call_after_the_deadline_fails_without_asking() -> None:
    inner = Inner()
    with pytest.raises(RegionTimeout, match="deadline passed"):
        await DeadlineStage(inner)(call("a", seconds=0))
    assert inner.calls == []


def test_deadline_remaining_is_never_negative() -> None:
    deadline = Deadline(0)
    assert deadline.remaining() == 0.0
    assert deadline.expired


async def test_fail_fast_remembers_an_unavailable_region_for_the_rest_of_the_request() -> None:
    inner = Inner(raises=[RegionUnavailable("north", "down")])
    stage = FailFastStage(inner)
    first = call("a")
    with pytest.raises(RegionUnavailable):
        await stage(first)
    with pytest.raises(RegionUnavailable):
        await stage(first.with_keys(["b"]))  # same request scope
    assert inner.calls == [("a",)]
    assert values(await stage(call("c"))) == ["value-of-c"]  # another request asks again


async def test_fail_fast_does_not_remember_a_rejection() -> None:
    inner = Inner(raises=[UpstreamRejected("north", "bad")])
    stage = FailFastStage(inner)
    first = call("a")
    with pytest.raises(UpstreamRejected):
        await stage(first)
    assert values(await stage(first.with_keys(["b"]))) == ["value-of-b"]


async def test_concurrency_limits_calls_in_flight_per_region() -> None:
    in_flight = peak = 0

    async def inner(c: RegionCall) -> list[Outcome]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return []

    stage = ConcurrencyStage(inner, {"north": 2})
    await asyncio.gather(*(stage(call()) for _ in range(6)))
    assert peak == 2


def _health_stage(inner: Any, health: RegionHealth) -> ObserveStage:
    return ObserveStage(inner, [HealthObserver(health)])


async def test_every_observer_sees_each_call_once_timed_and_a_broken_one_costs_nothing() -> None:
    seen: list[Observation] = []

    class Broken:
        def observe(self, observation: Observation) -> None:
            raise RuntimeError("observer bug")

    class Recorder:
        def observe(self, observation: Observation) -> None:
            seen.append(observation)

    mixed = Inner(lambda key: RegionUnavailable("north", "503") if key == "b" else key)
    stage = ObserveStage(mixed, [Broken(), Recorder()])
    outcomes = await stage(call("a", "b"))
    assert [isinstance(o, RegionUnavailable) for o in outcomes] == [False, True]
    with pytest.raises(RegionUnavailable):
        await ObserveStage(Inner(raises=[RegionUnavailable("north", "down")]), [Recorder()])(
            call("a")
        )
    assert [(o.call.keys, o.ok, len(o.outcomes)) for o in seen] == [
        (("a", "b"), True, 2),
        (("a",), False, 0),
    ]
    assert all(o.seconds >= 0 for o in seen)
    assert seen[1].error is not None and seen[1].error.public_message == "down"


async def test_health_follows_whole_call_failures_and_all_keys_failing() -> None:
    health = RegionHealth(["north"])
    await _health_stage(Inner(), health)(call("a"))
    assert health.state("north").status is RegionStatus.UP
    with pytest.raises(RegionUnavailable):
        await _health_stage(Inner(raises=[RegionUnavailable("north", "down")]), health)(call("a"))
    assert health.state("north").status is RegionStatus.DOWN
    failing = Inner(lambda key: RegionUnavailable("north", "503"))
    await _health_stage(Inner(), health)(call("a"))
    await _health_stage(failing, health)(call("a", "b"))
    assert health.state("north").status is RegionStatus.DOWN
    mixed = Inner(lambda key: RegionUnavailable("north", "503") if key == "b" else key)
    await _health_stage(mixed, health)(call("a", "b"))
    assert health.state("north").status is RegionStatus.UP


async def test_compose_puts_the_first_stage_outermost() -> None:
    order: list[str] = []

    class Tag:
        def __init__(self, next: Handler, name: str) -> None:
            self.next, self.name = next, name

        async def __call__(self, c: RegionCall) -> list[Outcome]:
            order.append(self.name)
            return await self.next(c)

    handler = compose([Stage(Tag, {"name": "outer"}), Stage(Tag, {"name": "inner"})], Inner())
    assert values(await handler(call("a"))) == ["value-of-a"]
    assert order == ["outer", "inner"]


async def test_deadline_errors_name_the_region_and_why() -> None:
    with pytest.raises(RegionTimeout) as passed:
        await DeadlineStage(Inner())(call("a", seconds=0))
    assert (passed.value.region, passed.value.public_message) == (
        "north",
        "the request's deadline passed before the region was asked",
    )
    with pytest.raises(RegionTimeout) as cut:
        await DeadlineStage(Inner(delay=5))(call("a", seconds=0.05))
    assert (cut.value.region, cut.value.public_message) == (
        "north",
        "region did not answer before the request's deadline",
    )


async def test_health_records_the_error_of_a_single_failing_key() -> None:
    health = RegionHealth(["north"])
    await _health_stage(Inner(lambda key: RegionUnavailable("north", "503")), health)(call("a"))
    state = health.state("north")
    assert state.status is RegionStatus.DOWN
    assert (state.last_error, state.last_error_code) == ("503", "REGION_UNAVAILABLE")


# ---- the connector stage -----------------------------------------------------------------------
class Scripted(FakeRegion):
    """A fake region whose custody answers are given by the test, budget seen included."""

    def __init__(self, answers: list[Any]) -> None:
        super().__init__("north", SystemKind.CUSTODY, [], {Capability.CUSTODY_FOR: []})
        self.answers = answers
        self.budgets: list[PageBudget | None] = []

    async def custody_for(self, local_ids: Sequence[str]) -> list[Any]:  # type: ignore[override]
        self.budgets.append(current_budget())
        return self.answers


def region_call(operation: Capability, *keys: str) -> RegionCall:
    return RegionCall("north", operation, keys, Deadline(5))


async def test_the_connector_stage_dispatches_movements_to_movements_for() -> None:
    moved = Movement("north", "P1", date(2020, 1, 1), "ADMISSION", "COURT", "MDI", "admitted")
    region = FakeRegion("north", SystemKind.CUSTODY, [], {Capability.MOVEMENTS_FOR: [moved]})
    outcomes = await ConnectorStage({"north": region})(
        region_call(Capability.MOVEMENTS_FOR, "P1", "P2")
    )
    assert values(outcomes) == [[moved], []]
    assert region.calls == [(Capability.MOVEMENTS_FOR, ("P1", "P2"))]


async def test_the_connector_stage_passes_per_key_errors_through_and_stamps_values() -> None:
    refused = UpstreamRejected("north", "no such id")
    before = time.time()
    outcomes = await ConnectorStage({"north": Scripted([refused, ["ok"]])})(
        region_call(Capability.CUSTODY_FOR, "P1", "P2")
    )
    assert outcomes[0] is refused
    assert isinstance(outcomes[1], Fetched) and outcomes[1].value == ["ok"]
    assert before <= outcomes[1].fetched_at <= time.time() and not outcomes[1].stale


async def test_the_connector_stage_refuses_the_wrong_number_of_results() -> None:
    with pytest.raises(UpstreamInvalid) as refused:
        await ConnectorStage({"north": Scripted([["only one"]])})(
            region_call(Capability.CUSTODY_FOR, "P1", "P2")
        )
    assert (refused.value.region, refused.value.public_message) == (
        "north",
        "connector returned the wrong number of results",
    )


async def test_the_connector_stage_puts_the_requests_page_budget_in_force() -> None:
    region = Scripted([[]])
    request = region_call(Capability.CUSTODY_FOR, "P1")
    await ConnectorStage({"north": region})(request)
    assert region.budgets == [request.scope.pages]
    assert region.budgets[0] is not None
