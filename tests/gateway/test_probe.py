"""The background health probe against the real simulators: a region that dies turns DOWN with
its breaker open, and one that recovers turns UP with it closed, without any other traffic."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from connectors.base import Connector
from connectors.registry import build_connectors
from gateway.health import RegionHealth, RegionStatus, ready_payload
from gateway.pipeline.breaker import BreakerState, CircuitBreakers
from gateway.pipeline.breaker_store import MemoryBreakerStore
from gateway.probe import HealthProbe
from gateway.settings import ResilienceSettings
from simulators.population import generate_estate
from simulators.runner import RunningEstate

SETTINGS = ResilienceSettings(failure_threshold=2, open_seconds=0.3)
INTERVAL = 0.05


@pytest.fixture(scope="module")
def running() -> Iterator[RunningEstate]:
    with RunningEstate(generate_estate(people=50)) as running:
        yield running


@dataclasses.dataclass
class Probed:
    connectors: dict[str, Connector]
    breakers: CircuitBreakers
    health: RegionHealth
    probe: HealthProbe


@pytest.fixture
async def probed(running: RunningEstate) -> AsyncIterator[Probed]:
    connectors = build_connectors(running.region_configs())
    breakers = CircuitBreakers(list(connectors), SETTINGS, MemoryBreakerStore())
    health = RegionHealth(list(connectors))
    probe = HealthProbe(connectors, breakers, health, INTERVAL)
    try:
        yield Probed(connectors, breakers, health, probe)
    finally:
        await probe.stop()
        await asyncio.gather(*(c.aclose() for c in connectors.values()))


async def fault(running: RunningEstate, system: str, faults: dict[str, object]) -> None:
    async with httpx.AsyncClient() as client:
        url = running.systems[system].url + "_sim/faults"
        (await client.put(url, json=faults)).raise_for_status()


async def requests_to(running: RunningEstate, system: str, reset: bool = False) -> int:
    """Calls the system has had (since the last reset)."""
    async with httpx.AsyncClient() as client:
        url = running.systems[system].url + "_sim/counters"
        if reset:
            await client.delete(url)
        count: int = (await client.get(url)).json().get("_requests", 0)
        return count


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (state changed by the background probe) for up to 5 s."""
    async with asyncio.timeout(5.0):
        while not condition():  # noqa: ASYNC110 - the probe sets no event to wait on
            await asyncio.sleep(0.01)


async def test_one_probe_of_a_healthy_estate_marks_every_region_up(probed: Probed) -> None:
    await probed.probe.probe_once()
    for name in probed.connectors:
        assert probed.health.state(name).status is RegionStatus.UP, name
        assert probed.breakers.state(name) is BreakerState.CLOSED
    body, status = ready_payload(probed.health, probed.breakers)
    assert status == 200 and body["ready"] is True
    assert all(r["lastSeenUp"] is not None for r in body["regions"].values())


@pytest.mark.parametrize("system", ["prison-north", "probation-london", "probation-wales"])
async def test_a_region_that_dies_and_recovers_is_followed_without_traffic(
    running: RunningEstate, probed: Probed, system: str
) -> None:
    others = [name for name in probed.connectors if name != system]
    await fault(running, system, {"outage": True})
    try:
        await probed.probe.start()
        await probed.probe.start()  # idempotent: still one task
        await eventually(lambda: probed.breakers.state(system) is BreakerState.OPEN)
        assert probed.health.state(system).status is RegionStatus.DOWN
        assert all(probed.health.state(n).status is RegionStatus.UP for n in others)
        body, status = ready_payload(probed.health, probed.breakers)
        entry = body["regions"][system]
        assert status == 200 and body["ready"] is True
        assert (entry["status"], entry["breaker"]) == ("DOWN", "OPEN")
        assert entry["lastErrorCode"] == "REGION_UNAVAILABLE"
        assert entry["retryAt"] is not None and entry["consecutiveFailures"] >= 2
        await requests_to(running, system, reset=True)
        await asyncio.sleep(SETTINGS.open_seconds / 3)  # open: the probe leaves the region alone
        assert await requests_to(running, system) == 0
    finally:
        await fault(running, system, {})
    await eventually(lambda: probed.breakers.state(system) is BreakerState.CLOSED)
    assert probed.health.state(system).status is RegionStatus.UP
    entry = ready_payload(probed.health, probed.breakers)[0]["regions"][system]
    assert (entry["status"], entry["breaker"], entry["retryAt"]) == ("UP", "CLOSED", None)
    assert entry["lastSeenUp"] is not None and entry["changedAt"] is not None
    await probed.probe.stop()
    await probed.probe.stop()  # idempotent


async def test_every_region_down_is_not_ready(running: RunningEstate, probed: Probed) -> None:
    for system in running.systems:
        await fault(running, system, {"outage": True})
    try:
        await probed.probe.probe_once()
    finally:
        for system in running.systems:
            await fault(running, system, {})
    body, status = ready_payload(probed.health, probed.breakers)
    assert status == 503 and body["ready"] is False
    assert {r["status"] for r in body["regions"].values()} == {"DOWN"}


class Hanging(Connector):
    """A region that never answers its probe."""

    async def probe(self) -> None:
        await asyncio.sleep(60)


async def test_probes_run_in_parallel_each_under_its_timeout(running: RunningEstate) -> None:
    configs = [dataclasses.replace(c, timeout=0.2) for c in running.region_configs()]
    connectors: dict[str, Connector] = {c.name: Hanging(c) for c in configs}
    breakers = CircuitBreakers(list(connectors), SETTINGS, MemoryBreakerStore())
    health = RegionHealth(list(connectors))
    started = time.monotonic()
    await HealthProbe(connectors, breakers, health, INTERVAL).probe_once()
    assert time.monotonic() - started < 0.2 * len(connectors)
    for name in connectors:
        assert health.state(name).last_error_code == "REGION_TIMEOUT"
        assert health.state(name).status is RegionStatus.DOWN
