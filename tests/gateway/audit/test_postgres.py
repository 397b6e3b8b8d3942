"""The PostgreSQL audit store on a real server (127.0.0.1:5432, trust auth), each test in a
database of its own: append-only, and none lost through an outage."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from gateway.audit.postgres_store import PostgresAuditStore
from gateway.audit.store import Entry, PersonQuery
from gateway.audit.writer import AuditLog, Timing
from tests.gateway.audit.helpers import event, settle
from tests.services import require_server

ADMIN_URL = os.environ.get("OFFENDER_GRAPH_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_URL, autocommit=True)


@pytest.fixture
def database() -> Iterator[str]:
    """The URL of a fresh database, dropped afterwards."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    name = f"og_audit_{secrets.token_hex(4)}"
    with admin() as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def store(database: str) -> AsyncIterator[PostgresAuditStore]:
    opened = PostgresAuditStore(database)
    await opened.open()
    yield opened
    await opened.aclose()


def rows(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*), count(DISTINCT id) FROM audit_events").fetchone()
    assert row is not None
    return int(str(row[0])), int(str(row[1]))


async def test_events_come_back_by_person_and_a_replay_is_not_doubled(
    store: PostgresAuditStore, database: str
) -> None:
    entries = [Entry.new(event(n, keys=("k-a", "k-b") if n % 2 else ("k-c",))) for n in range(5)]
    await store.write(entries)
    await store.write(entries[:2])  # replayed
    about = await store.about(PersonQuery("k-b"))
    assert [e.event.person_id for e in about] == ["o1person3", "o1person1"]
    assert about[0] == entries[3]
    assert rows(database) == (5, 5)
    await store.open()  # the schema again at the next start: nothing changes
    assert rows(database) == (5, 5)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET subject = 'mallory'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
async def test_the_table_refuses_update_delete_and_truncate(
    store: PostgresAuditStore, database: str, statement: str
) -> None:
    await store.write([Entry.new(event(1))])
    with psycopg.connect(database) as connection, pytest.raises(psycopg.Error, match="append-only"):
        connection.execute(statement)
    assert rows(database) == (1, 1)


async def test_none_lost_when_postgresql_refuses_connections_during_a_burst(
    database: str, tmp_path: Path
) -> None:
    """A burst of 2,000 events from 20 concurrent readers while the database refuses every
    connection for 3 seconds (its open ones terminated): every event is stored, once."""
    name = database.rsplit("/", 1)[1]
    timing = Timing(backoff_initial=0.02, backoff_max=0.2, replay_interval=0.2, replay_max=1.0)
    log = AuditLog(
        PostgresAuditStore(database), tmp_path / "spill", queue_size=300, batch_size=50,
        timing=timing,
    )  # fmt: skip
    await log.start()
    assert log.healthy
    slowest = 0.0

    async def reader(worker: int) -> None:
        nonlocal slowest
        for n in range(100):
            began = time.perf_counter()
            log.record(event(worker * 1000 + n))
            slowest = max(slowest, time.perf_counter() - began)
            await asyncio.sleep(0.04)

    def refuse(seconds: float) -> None:
        with admin() as connection:
            connection.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            time.sleep(seconds)
            connection.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")

    began = time.monotonic()
    readers = asyncio.gather(*(reader(w) for w in range(20)))
    await asyncio.sleep(0.5)
    written_before = log.written
    await asyncio.to_thread(refuse, 3.0)
    spilled_in_outage = log.spilled
    await readers
    burst = time.monotonic() - began
    await settle(
        lambda: log.healthy and log.depth() == 0 and not list((tmp_path / "spill").iterdir()),
        within=60,
    )
    recovered = time.monotonic() - began
    await log.aclose()
    stored = rows(database)
    print(
        f"\naudit outage: 2000 events over {burst:.1f}s, {written_before} written before the "
        f"outage, {spilled_in_outage} spilled in it"
        f", {log.spilled} in all; rows {stored[0]} ({stored[1]} distinct) after "
        f"{recovered:.1f}s; slowest record {slowest * 1e6:.0f} µs"
    )
    assert spilled_in_outage > 0  # the outage really went to the spill
    assert stored == (2000, 2000)
    assert slowest < 0.01
