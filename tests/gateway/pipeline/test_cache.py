"""The cache stage: fresh hits, one inner call for the misses, stale stand-ins, pass-through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable, Mapping
from datetime import date

import pytest

from connectors.base import Capability, PersonSearch
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind
from gateway.cache_store import CacheStore, Entry
from gateway.pipeline.cache import MAX_ARGUMENT, CacheStage, cache_key, canonical_argument
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.settings import CacheSettings

SETTINGS = CacheSettings(default_ttl=60, stale_grace=600, namespace="t")


class Clock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Inner:
    """A fake inner handler: counts calls and keys; answers ``f"{key}@{n}"`` (n: the call's
    number), or ``errors[key]`` for a key, or raises ``raises`` for the whole call."""

    def __init__(self, clock: Clock | None = None, delay: float = 0.0) -> None:
        self.clock = clock or Clock()
        self.delay = delay
        self.calls: list[tuple[Hashable, ...]] = []
        self.errors: dict[Hashable, ConnectorError] = {}
        self.raises: ConnectorError | None = None

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        self.calls.append(call.keys)
        raises, n = self.raises, len(self.calls)  # as when the call starts
        if self.delay:
            await asyncio.sleep(self.delay)
        if raises is not None:
            raise raises
        return [self.errors.get(k) or Fetched(f"{k}@{n}", self.clock()) for k in call.keys]


def call(
    *keys: Hashable, region: str = "north", op: Capability = Capability.CUSTODY_FOR
) -> RegionCall:
    return RegionCall(region, op, keys, Deadline(5))


def shown(outcomes: list[Outcome]) -> list[object]:
    """Each outcome as its value (with a ``~`` when stale) or its error's code."""
    return [
        o.code if isinstance(o, ConnectorError) else f"{o.value}{'~' if o.stale else ''}"
        for o in outcomes
    ]


@pytest.fixture
async def store() -> AsyncIterator[CacheStore]:
    memory = CacheStore.memory("t")
    yield memory
    await memory.aclose()


def stage(
    inner: Inner,
    store: CacheStore,
    ttls: Mapping[str, Mapping[str, float]] | None = None,
    settings: CacheSettings = SETTINGS,
) -> CacheStage:
    return CacheStage(inner, store, settings, ttls or {}, clock=inner.clock)


async def test_warm_calls_make_no_inner_call(store: CacheStore) -> None:
    inner = Inner()
    cached = stage(inner, store)
    first = await cached(call("a", "b"))
    again = await cached(call("a", "b"))
    assert shown(first) == shown(again) == ["a@1", "b@1"]
    assert [o.fetched_at for o in again if isinstance(o, Fetched)] == [inner.clock.now] * 2
    assert inner.calls == [("a", "b")]


async def test_only_the_misses_are_asked_in_one_call_and_order_is_kept(store: CacheStore) -> None:
    inner = Inner()
    cached = stage(inner, store)
    await cached(call("b", "d"))
    assert shown(await cached(call("a", "b", "c", "d", "e"))) == ["a@2", "b@1", "c@2", "d@1", "e@2"]
    assert inner.calls == [("b", "d"), ("a", "c", "e")]


async def test_an_answer_expires_after_its_ttl(store: CacheStore) -> None:
    inner = Inner()
    cached = stage(inner, store, {"north": {"custody_for": 30}})
    await cached(call("a"))
    inner.clock.now += 29.9
    assert shown(await cached(call("a"))) == ["a@1"]
    inner.clock.now += 0.1
    assert shown(await cached(call("a"))) == ["a@2"]
    assert len(inner.calls) == 2


def test_the_fresh_time_is_the_operation_then_the_region_default_then_the_setting() -> None:
    cached = CacheStage(
        Inner(), CacheStore.memory(), SETTINGS, {"north": {"default": 5, "alerts_for": 7}}
    )
    assert cached.fresh_for("north", Capability.ALERTS_FOR) == 7
    assert cached.fresh_for("north", Capability.CUSTODY_FOR) == 5
    assert cached.fresh_for("south", Capability.CUSTODY_FOR) == 60


@pytest.mark.parametrize(
    "failure",
    [
        RegionUnavailable("north", "down"),
        RegionTimeout("north", "slow"),
        UpstreamAuthFailed("north", "refused our key"),
        UpstreamInvalid("north", "garbled"),
    ],
)
async def test_a_stale_answer_stands_in_for_a_failed_call(
    store: CacheStore, failure: ConnectorError
) -> None:
    inner = Inner()
    cached = stage(inner, store)
    await cached(call("a"))
    fetched_at = inner.clock.now
    inner.clock.now += 300
    inner.raises = failure
    [outcome] = await cached(call("a"))
    assert outcome == Fetched("a@1", fetched_at, stale=True)


async def test_a_rejected_request_gets_no_stale_stand_in(store: CacheStore) -> None:
    inner = Inner()
    cached = stage(inner, store)
    await cached(call("a", "b"))
    inner.clock.now += 61
    inner.raises = UpstreamRejected("north", "bad request")
    with pytest.raises(UpstreamRejected):
        await cached(call("a"))
    inner.raises = None
    inner.errors = {"a": UpstreamRejected("north", "no"), "b": RegionUnavailable("north", "x")}
    assert shown(await cached(call("a", "b"))) == ["UPSTREAM_REJECTED", "b@1~"]


async def test_past_the_grace_the_error_stands(store: CacheStore) -> None:
    inner = Inner()
    cached = stage(inner, store)
    await cached(call("a"))
    inner.clock.now += 60 + 600
    inner.raises = RegionUnavailable("north", "down")
    with pytest.raises(RegionUnavailable):
        await cached(call("a"))


async def test_a_raised_failure_becomes_per_key_errors_when_some_keys_are_answered(
    store: CacheStore,
) -> None:
    inner = Inner()
    cached = stage(inner, store)
    await cached(call("a"))
    inner.raises = RegionUnavailable("north", "down")
    assert shown(await cached(call("x", "a"))) == ["REGION_UNAVAILABLE", "a@1"]
    assert inner.calls[-1] == ("x",)


async def test_a_per_key_error_is_not_stored_and_the_values_are(store: CacheStore) -> None:
    inner = Inner()
    inner.errors = {"b": UpstreamInvalid("north", "garbled")}
    cached = stage(inner, store)
    assert shown(await cached(call("a", "b"))) == ["a@1", "UPSTREAM_INVALID"]
    inner.errors = {}
    assert shown(await cached(call("a", "b"))) == ["a@1", "b@2"]
    assert inner.calls == [("a", "b"), ("b",)]


async def test_answers_are_stored_for_the_fresh_time_plus_the_grace(
    store: CacheStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[tuple[list[str], float]] = []
    set_many = store.set_many

    async def recording(items: list[tuple[str, Entry]], ttl: float) -> None:
        stored.append(([key for key, _ in items], ttl))
        await set_many(items, ttl)

    monkeypatch.setattr(store, "set_many", recording)
    await stage(Inner(), store, {"north": {"default": 5}})(call("a"))
    assert stored == [(["t:v2:north:custody_for:a"], 605)]


@pytest.mark.parametrize(
    ("ttls", "settings"),
    [
        ({"north": {"custody_for": 0, "default": 60}}, SETTINGS),
        ({"north": {"default": 0}}, SETTINGS),
        ({}, CacheSettings(default_ttl=0)),
        ({}, CacheSettings(enabled=False)),
    ],
)
async def test_no_caching_passes_straight_through(
    store: CacheStore, ttls: dict[str, dict[str, float]], settings: CacheSettings
) -> None:
    inner = Inner()
    cached = stage(inner, store, ttls, settings)
    await cached(call("a"))
    inner.raises = RegionUnavailable("north", "down")
    with pytest.raises(RegionUnavailable):
        await cached(call("a"))
    assert inner.calls == [("a",), ("a",)]
    key = cache_key(settings.namespace, "north", "custody_for", "a")
    assert await store.get_many([key]) == [None]


def test_cache_keys_are_canonical() -> None:
    pnc = Identifier(IdentifierKind.PNC, "2012/0394773H")
    assert cache_key("og", "north", Capability.FIND_BY_IDENTIFIERS, pnc) == (
        "og:v2:north:find_by_identifiers:PNC:2012/0394773H"
    )
    assert cache_key("og", "north", "custody_for", "L-17") == "og:v2:north:custody_for:L-17"
    search = PersonSearch("Smith", "Jo", date(1990, 2, 3))
    assert cache_key("og", "s", "search_people", search) == (
        'og:v2:s:search_people:{"date_of_birth":"1990-02-03","forename":"Jo",'
        '"limit":200,"surname":"Smith"}'
    )
    long = cache_key("og", "s", "search_people", PersonSearch("x" * 300))
    assert long.startswith("og:v2:s:search_people:sha256:") and len(long) < 120
    assert long != cache_key("og", "s", "search_people", PersonSearch("x" * 301))
    with pytest.raises(TypeError):
        cache_key("og", "s", "custody_for", 17)


def test_an_argument_of_exactly_the_limit_is_kept_as_is_and_one_over_is_hashed() -> None:
    at_limit = "x" * MAX_ARGUMENT
    assert canonical_argument(at_limit) == at_limit
    over = canonical_argument(at_limit + "x")
    assert over.startswith("sha256:") and len(over) == len("sha256:") + 64


def test_a_key_of_no_known_kind_has_no_cache_key() -> None:
    with pytest.raises(TypeError, match=r"^no cache key for a int$"):
        canonical_argument(42)
