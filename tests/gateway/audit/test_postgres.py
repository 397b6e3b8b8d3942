"""The PostgreSQL audit store on a real server (127.0.0.1:5432, trust auth), each test in a
database of its own: append-only, and none lost through an outage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from gateway.audit.postgres_store import PostgresAuditStore
from gateway.audit.store import Entry, PersonQuery
from gateway.audit.writer import AuditLog, Timing
from tests.gateway.audit.helpers import event, settle
from tests.gateway.audit.pg import refuse_connections, rows


@pytest.fixture
async def store(database: str) -> AsyncIterator[PostgresAuditStore]:
    opened = PostgresAuditStore(database)
    await opened.open()
    yield opened
    await opened.aclose()


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

    began = time.monotonic()
    readers = asyncio.gather(*(reader(w) for w in range(20)))
    await asyncio.sleep(0.5)
    written_before = log.written
    await asyncio.to_thread(refuse_connections, database, 3.0)
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
