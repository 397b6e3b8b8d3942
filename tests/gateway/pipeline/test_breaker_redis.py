"""Two gateway replicas share their breakers through the real Redis (``tests/services.py``)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from connectors.errors import RegionUnavailable
from gateway.pipeline.breaker import BreakerStage, BreakerState, CircuitBreakers, CircuitOpen
from gateway.pipeline.breaker_store import RedisBreakerStore
from gateway.settings import ResilienceSettings
from tests.gateway.pipeline.fakes import Inner, call, values
from tests.services import require_redis

SETTINGS = ResilienceSettings(failure_threshold=2, open_seconds=10.0)
DOWN = RegionUnavailable("north", "region answered 503")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    url = require_redis()
    namespace = f"test-breaker-{uuid.uuid4().hex[:8]}"
    yield namespace
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def replica(url: str, namespace: str, clock: Clock) -> CircuitBreakers:
    return CircuitBreakers(["north"], SETTINGS, RedisBreakerStore(url, namespace), clock)


async def test_one_replica_opens_and_the_other_fails_fast(namespace: str) -> None:
    url = require_redis()
    clock = Clock()
    a, b = replica(url, namespace, clock), replica(url, namespace, clock)
    try:
        stage_a = BreakerStage(Inner(raises=[DOWN, DOWN]), a)
        for _ in range(2):
            with pytest.raises(RegionUnavailable):
                await stage_a(call("k"))
        client = aioredis.Redis.from_url(url)
        try:
            key = f"{namespace}:breaker:north"
            stored = await client.get(key)
            assert stored is not None
            assert float(stored) == pytest.approx(clock.now + 10.0)
            assert 10_000 < await client.pttl(key) <= 80_000
        finally:
            await client.aclose()
        inner_b = Inner()
        with pytest.raises(CircuitOpen):
            await BreakerStage(inner_b, b)(call("k"))
        assert inner_b.calls == []
        assert b.state("north") is BreakerState.OPEN
    finally:
        await a.aclose()
        await b.aclose()


async def test_closing_clears_it_for_both(namespace: str) -> None:
    url = require_redis()
    clock = Clock()
    a, b = replica(url, namespace, clock), replica(url, namespace, clock)
    try:
        for _ in range(2):
            await a.record("north", DOWN)
        with pytest.raises(CircuitOpen):
            await b.before("north")
        clock.now += 10.0
        assert values(await BreakerStage(Inner(), a)(call("k"))) == ["value-of-k"]  # the trial
        assert a.state("north") is BreakerState.CLOSED
        clock.now += 0.3  # b reads the shared state again
        await b.before("north")
        assert b.state("north") is BreakerState.CLOSED  # closed by a, not a trial of b's own
        inner_b = Inner()
        assert values(await BreakerStage(inner_b, b)(call("k"))) == ["value-of-k"]
        assert len(inner_b.calls) == 1
    finally:
        await a.aclose()
        await b.aclose()


async def test_an_unreachable_redis_never_fails_a_call(
    namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    b = replica("redis://127.0.0.1:1/0", namespace, clock)
    try:
        with caplog.at_level(logging.WARNING, logger="gateway.pipeline.breaker_store"):
            started = time.monotonic()
            stage = BreakerStage(Inner(), b)
            for _ in range(3):
                assert values(await stage(call("k"))) == ["value-of-k"]
                clock.now += 0.3
            failing = BreakerStage(Inner(raises=[DOWN, DOWN]), b)
            for _ in range(2):
                with pytest.raises(RegionUnavailable):
                    await failing(call("k"))
            with pytest.raises(CircuitOpen):  # the breaker still works, locally
                await failing(call("k"))
            assert time.monotonic() - started < 2.0
        warnings = [r for r in caplog.records if r.name == "gateway.pipeline.breaker_store"]
        assert len(warnings) == 1
    finally:
        await b.aclose()
