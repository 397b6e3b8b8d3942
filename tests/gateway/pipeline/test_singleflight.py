"""The single-flight stage: one inner call for concurrent identical keys, no leaks."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import RegionTimeout, RegionUnavailable, UpstreamInvalid
from gateway.cache_store import CacheStore
from gateway.pipeline.cache import CacheStage
from gateway.pipeline.call import Fetched, Outcome, RegionCall
from gateway.pipeline.singleflight import SingleFlightStage
from tests.gateway.pipeline.test_cache import SETTINGS, Inner, call, shown


async def test_fifty_concurrent_identical_calls_through_the_cache_make_one_inner_call() -> None:
    inner = Inner(delay=0.05)
    flights = SingleFlightStage(inner)
    store = CacheStore.memory("t")
    cached = CacheStage(flights, store, SETTINGS, {}, clock=inner.clock)
    try:
        answers = await asyncio.gather(*(cached(call("a")) for _ in range(50)))
        assert [shown(a) for a in answers] == [["a@1"]] * 50
        assert inner.calls == [("a",)]
        assert flights.in_flight == {}
        assert shown(await cached(call("a"))) == ["a@1"]  # and now from the cache
        assert len(inner.calls) == 1
    finally:
        await store.aclose()


async def test_overlapping_calls_ask_only_for_the_keys_not_in_flight() -> None:
    inner = Inner(delay=0.05)
    flights = SingleFlightStage(inner)
    first = asyncio.ensure_future(flights(call("a", "b")))
    await asyncio.sleep(0)
    second = await flights(call("b", "c", "c"))
    assert shown(second) == ["b@1", "c@2", "c@2"]
    assert shown(await first) == ["a@1", "b@1"]
    assert inner.calls == [("a", "b"), ("c",)]
    assert flights.in_flight == {}


async def test_followers_get_the_leaders_per_key_errors_and_raised_error() -> None:
    inner = Inner(delay=0.05)
    inner.errors = {"b": UpstreamInvalid("north", "garbled")}
    flights = SingleFlightStage(inner)
    answers = await asyncio.gather(flights(call("a", "b")), flights(call("b")))
    assert [shown(a) for a in answers] == [["a@1", "UPSTREAM_INVALID"], ["UPSTREAM_INVALID"]]

    inner.raises = RegionUnavailable("north", "down")
    results = await asyncio.gather(flights(call("x")), flights(call("x")), return_exceptions=True)
    assert all(isinstance(r, RegionUnavailable) for r in results)
    assert len(inner.calls) == 2
    assert flights.in_flight == {}


async def test_a_follower_with_its_own_answered_keys_gets_a_per_key_error_for_the_failed_one() -> (
    None
):
    inner = Inner(delay=0.05)
    flights = SingleFlightStage(inner)
    inner.raises = RegionUnavailable("north", "down")
    leader = asyncio.ensure_future(flights(call("x")))
    await asyncio.sleep(0)
    inner.raises = None  # the follower's own call for "y" succeeds
    follower = asyncio.ensure_future(flights(call("x", "y")))
    await asyncio.sleep(0.01)
    with pytest.raises(RegionUnavailable):
        await leader
    assert shown(await follower) == ["REGION_UNAVAILABLE", "y@2"]


async def test_a_followers_deadline_cancels_its_wait_not_the_leader() -> None:
    inner = Inner(delay=0.1)
    flights = SingleFlightStage(inner)
    leader = asyncio.ensure_future(flights(call("a")))
    await asyncio.sleep(0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.02):
            await flights(call("a"))
    assert shown(await leader) == ["a@1"]
    assert inner.calls == [("a",)]
    assert flights.in_flight == {}


async def test_a_cancelled_leader_fails_its_followers_with_a_timeout() -> None:
    inner = Inner(delay=5)
    flights = SingleFlightStage(inner)
    leader = asyncio.ensure_future(flights(call("a")))
    await asyncio.sleep(0)
    follower = asyncio.ensure_future(flights(call("a")))
    await asyncio.sleep(0.01)
    leader.cancel()
    with pytest.raises(RegionTimeout):
        await follower
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert flights.in_flight == {}


async def test_nothing_is_kept_once_a_flight_lands() -> None:
    inner = Inner()
    flights = SingleFlightStage(inner)
    assert shown(await flights(call("a"))) == ["a@1"]
    assert shown(await flights(call("a"))) == ["a@2"]  # no caching here: a new flight
    assert flights.in_flight == {}


async def test_a_cancelled_leaders_followers_are_told_which_region_and_why() -> None:
    flights = SingleFlightStage(Inner(delay=5))
    leader = asyncio.ensure_future(flights(call("a")))
    await asyncio.sleep(0)
    follower = asyncio.ensure_future(flights(call("a")))
    await asyncio.sleep(0.01)
    leader.cancel()
    with pytest.raises(RegionTimeout) as caught:
        await follower
    assert (caught.value.region, caught.value.public_message) == (
        "north",
        "the call this answer was waiting on was cut",
    )
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_keys_an_inner_handler_left_unanswered_fail_their_followers_not_hang() -> None:
    release = asyncio.Event()

    async def short(c: RegionCall) -> list[Outcome]:
        await release.wait()
        return [Fetched("only-the-first", 0.0)]

    flights = SingleFlightStage(short)
    leader = asyncio.ensure_future(flights(call("a", "b")))
    await asyncio.sleep(0)
    follower = asyncio.ensure_future(flights(call("b")))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(ValueError):
        await leader  # a handler breaking the one-outcome-per-key contract is a bug, raised
    with pytest.raises(RegionTimeout) as caught:
        await follower
    assert (caught.value.region, caught.value.public_message) == (
        "north",
        "the region's answer was lost",
    )
    assert flights.in_flight == {}
