"""connectors.batching.fan_out: one call per key, under a limit, in order, with the per-key rule
(a key fails alone while another was answered; every key failing the same way raises)."""

from __future__ import annotations

import asyncio

import pytest

from connectors.batching import fan_out
from connectors.errors import RegionTimeout, RegionUnavailable, UpstreamInvalid, UpstreamRejected


async def test_results_keep_key_order_whatever_finishes_first() -> None:
    async def call(key: int) -> str:
        await asyncio.sleep((10 - key) / 1000)  # later keys finish first
        return f"v{key}"

    assert await fan_out("north", list(range(10)), call, limit=10) == [f"v{k}" for k in range(10)]


@pytest.mark.parametrize(("limit", "expected"), [(1, 1), (3, 3), (0, 1), (50, 20)])
async def test_concurrency_limit_is_respected_and_used(limit: int, expected: int) -> None:
    in_flight = 0
    highest = 0

    async def call(key: int) -> int:
        nonlocal in_flight, highest
        in_flight += 1
        highest = max(highest, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        return key * 2

    results = await fan_out("north", list(range(20)), call, limit=limit)
    assert results == [k * 2 for k in range(20)]
    assert highest == expected
    assert in_flight == 0


async def test_per_key_connector_error_fails_only_its_key() -> None:
    rejected = UpstreamRejected("north", "no such person")
    invalid = UpstreamInvalid("north", "bad payload")

    async def call(key: str) -> str:
        if key == "b":
            raise rejected
        if key == "d":
            raise invalid
        return key.upper()

    assert await fan_out("north", ["a", "b", "c", "d"], call, limit=2) == [
        "A",
        rejected,
        "C",
        invalid,
    ]


async def test_some_keys_unavailable_is_not_a_whole_batch_failure() -> None:
    down = RegionUnavailable("north", "HTTP 503")

    async def call(key: int) -> int:
        if key % 2:
            raise down
        return key

    assert await fan_out("north", [0, 1, 2, 3], call, limit=4) == [0, down, 2, down]


async def test_every_key_unavailable_raises_for_the_whole_batch() -> None:
    async def call(key: int) -> int:
        if key == 1:
            raise RegionTimeout("north", "slow")  # a RegionUnavailable too
        raise RegionUnavailable("north", f"HTTP 503 for {key}")

    with pytest.raises(RegionUnavailable) as caught:
        await fan_out("north", [0, 1, 2], call, limit=2)
    assert caught.value.region == "north"


@pytest.mark.parametrize(
    "error",
    [UpstreamInvalid("north", "not JSON"), UpstreamRejected("north", "HTTP 400")],
)
async def test_every_key_failing_the_same_way_raises_for_the_whole_batch(
    error: UpstreamInvalid | UpstreamRejected,
) -> None:
    async def call(key: int) -> int:
        raise error

    with pytest.raises(type(error)) as caught:
        await fan_out("north", [0, 1, 2], call, limit=2)
    assert caught.value is error


async def test_every_key_failing_with_mixed_errors_is_returned_per_key() -> None:
    down = RegionUnavailable("north", "HTTP 503")
    rejected = UpstreamRejected("north", "HTTP 400")

    async def call(key: int) -> int:
        raise down if key else rejected

    assert await fan_out("north", [0, 1], call, limit=2) == [rejected, down]


async def test_empty_batch_calls_nothing() -> None:
    calls: list[int] = []

    async def call(key: int) -> int:
        calls.append(key)
        return key

    assert await fan_out("north", [], call, limit=4) == []
    assert calls == []
