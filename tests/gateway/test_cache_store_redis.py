"""The cache store on a real Redis: the memory store's behaviour, shared by replicas; an
unreachable Redis gives misses, not exceptions."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest

from connectors.base import Capability
from connectors.errors import RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.cache_store import CacheStore, Entry, build_store
from gateway.pipeline.cache import CacheStage
from gateway.pipeline.call import Fetched
from gateway.settings import CacheSettings
from tests.gateway.pipeline.test_cache import Inner, call, shown
from tests.services import require_redis

RECORD = PersonRecord(
    "prison-north",
    "P1",
    (Identifier(IdentifierKind.NOMS, "A1234AA"),),
    PersonName("Jo", "Smith"),
    date(1990, 2, 3),
)


@pytest.fixture
async def redis_store() -> AsyncIterator[tuple[CacheStore, str]]:
    """A Redis store and a namespace unique to the test; its keys are deleted afterwards."""
    url = require_redis()
    namespace = f"test-{uuid.uuid4().hex}"
    store = CacheStore.redis(url, namespace)
    yield store, namespace
    keys = await store._backend.client.keys(f"{namespace}:*")
    if keys:
        await store._backend.client.delete(*keys)
    await store.aclose()


async def test_entries_round_trip_with_records_and_lists(
    redis_store: tuple[CacheStore, str],
) -> None:
    store, ns = redis_store
    entry = Entry([RECORD], 1234.5)
    await store.set_many([(f"{ns}:a", entry), (f"{ns}:b", Entry([], 1.0))], 60)
    assert await store.get_many([f"{ns}:a", f"{ns}:missing", f"{ns}:b"]) == [
        entry,
        None,
        Entry([], 1.0),
    ]
    assert await store.delete_many([f"{ns}:a", f"{ns}:missing", f"{ns}:a"]) == 1
    assert await store.get_many([f"{ns}:a"]) == [None]
    assert await store.get_many([]) == []


async def test_entries_expire_with_the_store_ttl(redis_store: tuple[CacheStore, str]) -> None:
    store, ns = redis_store
    await store.set_many([(f"{ns}:a", Entry(1, 1.0))], 0.2)
    ttl_ms = await store._backend.client.pttl(f"{ns}:a")
    assert 0 < ttl_ms <= 200


async def test_two_stores_on_one_redis_share_entries(redis_store: tuple[CacheStore, str]) -> None:
    store, ns = redis_store
    settings = CacheSettings(url=require_redis(), namespace=ns)
    replica = build_store(settings)
    try:
        assert replica.kind == "redis"
        inner = Inner()
        first = CacheStage(inner, store, settings, {}, clock=inner.clock)
        second = CacheStage(inner, replica, settings, {}, clock=inner.clock)
        assert shown(await first(call("a"))) == ["a@1"]
        assert shown(await second(call("a"))) == ["a@1"]  # a hit for the other replica
        assert inner.calls == [("a",)]
        inner.clock.now += 120
        inner.raises = RegionUnavailable("north", "down")
        assert await second(call("a")) == [Fetched("a@1", inner.clock.now - 120, stale=True)]
    finally:
        await replica.aclose()


async def test_an_unreachable_redis_gives_misses_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = CacheStore.redis("redis://127.0.0.1:1/0", "og")
    try:
        with caplog.at_level(logging.WARNING, logger="gateway.cache_store"):
            await store.set_many([("og:a", Entry(1, 1.0))], 60)
            assert await store.get_many(["og:a", "og:b"]) == [None, None]
            assert await store.delete_many(["og:a"]) == 0
            inner = Inner()
            stage = CacheStage(inner, store, CacheSettings(), {}, clock=inner.clock)
            assert shown(await stage(call("a", op=Capability.ALERTS_FOR))) == ["a@1"]
        assert store.down
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "answering without the cache" in warnings[0].getMessage()
    finally:
        await store.aclose()


def test_build_store_follows_the_settings() -> None:
    assert build_store(CacheSettings()).kind == "memory"
    assert (
        build_store(CacheSettings(url="redis://127.0.0.1:6379/3", namespace="x")).namespace == "x"
    )
