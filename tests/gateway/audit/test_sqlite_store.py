"""The SQLite audit store: writes, reads by person, ignores a replayed id, refuses change."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.audit.postgres_store import PostgresAuditStore
from gateway.audit.sqlite_store import SqliteAuditStore
from gateway.audit.store import Entry, PersonQuery
from tests.gateway.audit.helpers import START, event


async def test_events_come_back_by_person_newest_first_within_the_window(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    await store.open()
    entries = [Entry.new(event(n, keys=("k-a", "k-b") if n % 2 else ("k-c",))) for n in range(6)]
    await store.write(entries)
    about_b = await store.about(PersonQuery("k-b"))
    assert [e.event.person_id for e in about_b] == ["o1person5", "o1person3", "o1person1"]
    assert about_b[0] == entries[5]  # every field round-trips, the UUID too
    window = PersonQuery("k-a", START + timedelta(seconds=2), START + timedelta(seconds=5))
    assert [e.event.person_id for e in await store.about(window)] == ["o1person3"]
    assert await store.about(PersonQuery("k-nobody")) == []
    await store.aclose()


async def test_a_replayed_entry_is_not_stored_twice(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SqliteAuditStore(path)
    await store.open()
    entry = Entry.new(event(1))
    await store.write([entry])
    await store.write([entry, Entry.new(event(2))])
    assert len(await store.about(PersonQuery("k-a"))) == 2
    await store.aclose()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET subject = 'mallory'", "DELETE FROM audit_events"]
)
async def test_the_table_refuses_update_and_delete(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "audit.db"
    store = SqliteAuditStore(path)
    await store.open()
    await store.write([Entry.new(event(1))])
    await store.aclose()
    with sqlite3.connect(path) as connection, pytest.raises(sqlite3.IntegrityError, match="append"):
        connection.execute(statement)


@pytest.mark.parametrize("store", [SqliteAuditStore, PostgresAuditStore])
def test_no_store_has_an_update_or_delete_path(store: type) -> None:
    public = {name for name in vars(store) if not name.startswith("_")}
    assert public == {"open", "write", "about", "aclose"}
