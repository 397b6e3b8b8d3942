"""Deadline, fail-fast, concurrency and health stages, and composing stages in order."""

from __future__ import annotations

import asyncio
import time

import pytest

from connectors.errors import RegionTimeout, RegionUnavailable, UpstreamRejected
from gateway.health import RegionHealth, RegionStatus
from gateway.pipeline.call import Deadline, Handler, Outcome, RegionCall, Stage, compose
from gateway.pipeline.concurrency import ConcurrencyStage
from gateway.pipeline.deadline import DeadlineStage
from gateway.pipeline.failfast import FailFastStage
from gateway.pipeline.observe import HealthStage
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


async def test_health_follows_whole_call_failures_and_all_keys_failing() -> None:
    health = RegionHealth(["north"])
    await HealthStage(Inner(), health)(call("a"))
    assert health.state("north").status is RegionStatus.UP
    with pytest.raises(RegionUnavailable):
        await HealthStage(Inner(raises=[RegionUnavailable("north", "down")]), health)(call("a"))
    assert health.state("north").status is RegionStatus.DOWN
    failing = Inner(lambda key: RegionUnavailable("north", "503"))
    await HealthStage(Inner(), health)(call("a"))
    await HealthStage(failing, health)(call("a", "b"))
    assert health.state("north").status is RegionStatus.DOWN
    mixed = Inner(lambda key: RegionUnavailable("north", "503") if key == "b" else key)
    await HealthStage(mixed, health)(call("a", "b"))
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
