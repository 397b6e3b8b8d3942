"""Each index test runs on SQLite (in memory) and on PostgreSQL (a fresh database on the real
server; skipped without one, failing where OFFENDER_GRAPH_REQUIRE_SERVICES=1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.identity.index.postgres_store import PostgresPersonIndex
from gateway.identity.index.sqlite_store import SqlitePersonIndex
from gateway.identity.index.store import PersonIndex
from tests.gateway.audit.pg import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def index(request: pytest.FixtureRequest) -> AsyncIterator[PersonIndex]:
    if request.param == "sqlite":
        store: PersonIndex = SqlitePersonIndex(":memory:")
        await store.open()
        yield store
        await store.aclose()
        return
    with fresh_database() as url:
        store = PostgresPersonIndex(url)
        await store.open()
        yield store
        await store.aclose()
