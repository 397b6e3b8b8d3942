"""The chunking helper: sizes, order, concurrency and the per-key rule."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from connectors.chunking import call_in_chunks, chunks
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamInvalid,
    UpstreamRejected,
)

KEYS = [f"K{i}" for i in range(7)]


def test_chunks_are_consecutive_and_at_most_size() -> None:
    assert chunks(KEYS, 3) == [KEYS[0:3], KEYS[3:6], KEYS[6:7]]
    assert chunks([], 3) == []
    with pytest.raises(ValueError):
        chunks(KEYS, 0)


async def test_results_rejoin_in_key_order_whatever_order_chunks_finish() -> None:
    seen: list[Sequence[str]] = []

    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        seen.append(chunk)
        await asyncio.sleep(0.01 * (10 - len(seen)))  # earlier chunks finish last
        return [key.lower() for key in chunk]

    results = await call_in_chunks("r", KEYS, call, size=2, limit=4)
    assert results == [key.lower() for key in KEYS]
    assert sorted(len(chunk) for chunk in seen) == [1, 2, 2, 2]


async def test_at_most_limit_chunks_run_at_once() -> None:
    running = peak = 0

    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return list(chunk)

    await call_in_chunks("r", KEYS, call, size=1, limit=3)
    assert peak == 3


async def test_no_keys_no_call() -> None:
    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        raise AssertionError("called")

    assert await call_in_chunks("r", [], call, size=5, limit=1) == []


async def test_a_failing_chunk_fails_only_its_own_keys() -> None:
    error = RegionUnavailable("r", "down")

    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        if "K3" in chunk:
            raise error
        return list(chunk)

    results = await call_in_chunks("r", KEYS, call, size=3, limit=2)
    assert results == ["K0", "K1", "K2", error, error, error, "K6"]


async def test_every_key_unavailable_raises_for_the_whole_call() -> None:
    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        raise RegionTimeout("r", "slow")

    with pytest.raises(RegionTimeout):
        await call_in_chunks("r", KEYS, call, size=3, limit=2)


@pytest.mark.parametrize("size", [10, 3])
async def test_every_chunk_failing_alike_raises_for_the_whole_call(size: int) -> None:
    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        raise UpstreamInvalid("r", "garbage")  # a region answering garbage to every call

    with pytest.raises(UpstreamInvalid, match="garbage"):
        await call_in_chunks("r", KEYS, call, size=size, limit=2)


async def test_chunks_failing_differently_stay_per_key() -> None:
    rejected, invalid = UpstreamRejected("r", "no"), UpstreamInvalid("r", "bad")

    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        raise rejected if "K0" in chunk else invalid

    results = await call_in_chunks("r", KEYS[:4], call, size=2, limit=1)
    assert results == [rejected, rejected, invalid, invalid]


async def test_per_key_errors_returned_by_a_chunk_count_towards_the_rule() -> None:
    down = RegionUnavailable("r", "down")

    async def mixed(chunk: Sequence[str]) -> list[str | ConnectorError]:
        return [down if key == "K0" else key for key in chunk]

    assert await call_in_chunks("r", KEYS[:2], mixed, size=5, limit=1) == [down, "K1"]

    async def all_down(chunk: Sequence[str]) -> list[str | ConnectorError]:
        return [down for _ in chunk]

    with pytest.raises(RegionUnavailable):
        await call_in_chunks("r", KEYS[:2], all_down, size=1, limit=1)


async def test_a_chunk_answering_the_wrong_number_of_results_fails_its_keys() -> None:
    """Another chunk answered, so only the bad chunk's keys fail."""

    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        answers: list[str | ConnectorError] = list(chunk)
        return answers[:-1] if "K0" in chunk else answers

    results = await call_in_chunks("r", KEYS[:4], call, size=2, limit=1)
    assert isinstance(results[0], UpstreamInvalid) and results[0] is results[1]
    assert results[2:] == ["K2", "K3"]


async def test_a_bug_in_a_chunk_call_propagates() -> None:
    async def call(chunk: Sequence[str]) -> list[str | ConnectorError]:
        raise TypeError("bug")

    with pytest.raises(TypeError):
        await call_in_chunks("r", KEYS, call, size=3, limit=1)
