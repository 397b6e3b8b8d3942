"""The default person index: a SQLite file (or ``:memory:``), used from a worker thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from connectors.identifiers import Identifier
from gateway.identity.grouping import record_key
from gateway.identity.index import queries as q
from gateway.identity.index.linking import Neighbourhood, link
from gateway.identity.index.model import (
    IndexedPerson,
    IndexedRecord,
    IndexStats,
    Sighting,
    identifier_text,
)
from gateway.identity.stable_ids import mint_person_id

T = TypeVar("T")
MEMORY = ":memory:"


class SqlitePersonIndex:
    """The index in one SQLite database, opened on first use; calls run one at a time in a
    worker thread."""

    def __init__(self, path: Path | str, mint: Callable[[], str] = mint_person_id) -> None:
        self.path = str(path)
        self._mint = mint
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._lock:
            self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            if self.path != MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
            if self.path != MEMORY:
                connection.execute("PRAGMA journal_mode=WAL")
            with connection:
                for statement in q.SCHEMA:
                    connection.execute(statement)
            self._connection = connection
        return self._connection

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._lock:
                connection = self._connect()  # opened on first use too
                with connection:  # one transaction
                    return work(connection)

        return await asyncio.to_thread(run)

    async def locate(self, identifier: Identifier) -> IndexedPerson | None:
        def work(db: sqlite3.Connection) -> IndexedPerson | None:
            owners = db.execute(q.OWNERS_OF_IDENTIFIER, (identifier_text(identifier),)).fetchall()
            if len(owners) != 1:
                return None
            return q.person(owners[0][0], db.execute(q.RECORDS_OF, owners[0]).fetchall())

        return await self._call(work)

    async def person(self, person_id: str) -> IndexedPerson | None:
        def work(db: sqlite3.Connection) -> IndexedPerson | None:
            survivor = db.execute(q.SURVIVOR, (person_id,)).fetchone()
            current = survivor[0] if survivor else person_id
            return q.person(current, db.execute(q.RECORDS_OF, (current,)).fetchall())

        return await self._call(work)

    async def remember(self, sighting: Sighting, now: datetime) -> str:
        return (await self.remember_all([sighting], now))[0]

    async def remember_all(self, sightings: Sequence[Sighting], now: datetime) -> list[str]:
        moment = q.epoch(now)

        def work(db: sqlite3.Connection) -> list[str]:
            ids = []
            for sighting in sightings:
                changes = link(sighting, _neighbourhood(db, sighting), self._mint)
                for sql, parameters in q.writes(sighting, changes, moment):
                    db.execute(sql, parameters)
                ids.append(changes.person_id)
            return ids

        return await self._call(work)

    async def forget(self, region: str, local_id: str) -> None:
        def work(db: sqlite3.Connection) -> None:
            for sql in q.FORGET:
                db.execute(sql, (region, local_id))

        await self._call(work)

    async def candidates(self, keys: Sequence[str], limit: int) -> list[IndexedRecord]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []

        def work(db: sqlite3.Connection) -> list[Any]:
            return db.execute(q.candidates_sql(len(unique)), (*unique, limit)).fetchall()

        return [q.indexed(row) for row in await self._call(work)]

    async def stats(self) -> IndexStats:
        def work(db: sqlite3.Connection) -> IndexStats:
            people, records = db.execute(q.COUNTS).fetchone()
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
            return IndexStats(people, records, pages * size)

        return await self._call(work)

    async def aclose(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _neighbourhood(db: sqlite3.Connection, sighting: Sighting) -> Neighbourhood:
    people: set[str] = set()
    for record in sighting.records:
        people.update(row[0] for row in db.execute(q.OWNER_OF_RECORD, record_key(record)))
        for identifier in record.identifiers:
            found = db.execute(q.OWNERS_OF_IDENTIFIER, (identifier_text(identifier),))
            people.update(row[0] for row in found)
    records = dict(q.held(row) for p in people for row in db.execute(q.RECORDS_OF, (p,)))
    created = {p: db.execute(q.CREATED, (p,)).fetchone()[0] for p in people}
    return Neighbourhood(records, created)
