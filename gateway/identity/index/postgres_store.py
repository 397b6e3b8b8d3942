"""The person index on PostgreSQL (``[index] url = "postgresql://..."``): psycopg 3, async, a
small pool; remembering takes a transaction-scoped advisory lock, so replicas linking the same
people take turns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from connectors.identifiers import Identifier
from gateway.identity.grouping import RecordKey, record_key
from gateway.identity.index import queries as q
from gateway.identity.index.linking import Held, Neighbourhood, link
from gateway.identity.index.model import (
    IndexedPerson,
    IndexedRecord,
    IndexStats,
    Sighting,
    identifier_text,
)
from gateway.identity.stable_ids import mint_person_id

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('offender_graph.person_index'))"
_TABLES = ("index_people", "index_retired", "index_records", "index_identifiers", "index_keys")
_SIZE = "SELECT " + " + ".join(f"pg_total_relation_size('{table}')" for table in _TABLES)
POOL_TIMEOUT = 2.0  # seconds to get a connection
CONNECT_TIMEOUT = 2  # libpq's connect_timeout (it treats less than 2 as 2)


class PostgresPersonIndex:
    """The index's tables in PostgreSQL through a pool of a few connections."""

    def __init__(self, url: str, mint: Callable[[], str] = mint_person_id) -> None:
        self._pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=4,
            open=False,
            timeout=POOL_TIMEOUT,
            kwargs={"connect_timeout": CONNECT_TIMEOUT},
            check=AsyncConnectionPool.check_connection,
        )
        self._mint = mint
        self._opened = False
        self._schema = False

    async def open(self) -> None:
        if not self._opened:
            await self._pool.open(wait=False)
            self._opened = True
        async with self._pool.connection() as db, db.transaction():
            await db.execute(_LOCK)  # replicas creating the schema take turns
            for statement in q.SCHEMA:
                await db.execute(statement)
        self._schema = True

    def _connection(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A pooled connection, once the tables are there (opened on first use too)."""
        return _connected(self)

    async def locate(self, identifier: Identifier) -> IndexedPerson | None:
        async with self._connection() as db:
            found = await db.execute(
                q.postgres(q.OWNERS_OF_IDENTIFIER), (identifier_text(identifier),)
            )
            owners = await found.fetchall()
            if len(owners) != 1:
                return None
            return await _person(db, owners[0][0])

    async def person(self, person_id: str) -> IndexedPerson | None:
        async with self._connection() as db:
            survivor = await (await db.execute(q.postgres(q.SURVIVOR), (person_id,))).fetchone()
            return await _person(db, survivor[0] if survivor else person_id)

    async def remember(self, sighting: Sighting, now: datetime) -> str:
        return (await self.remember_all([sighting], now))[0]

    async def remember_all(self, sightings: Sequence[Sighting], now: datetime) -> list[str]:
        moment = q.epoch(now)
        ids = []
        async with self._connection() as db, db.transaction():
            await db.execute(_LOCK)
            for sighting in sightings:
                changes = link(sighting, await _neighbourhood(db, sighting), self._mint)
                async with db.cursor() as cursor:
                    for sql, parameters in q.writes(sighting, changes, moment):
                        await cursor.execute(q.postgres(sql), parameters)
                ids.append(changes.person_id)
        return ids

    async def forget(self, region: str, local_id: str) -> None:
        async with self._connection() as db, db.transaction():
            for sql in q.FORGET:
                await db.execute(q.postgres(sql), (region, local_id))

    async def candidates(self, keys: Sequence[str], limit: int) -> list[IndexedRecord]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        async with self._connection() as db:
            found = await db.execute(q.postgres(q.candidates_sql(len(unique))), (*unique, limit))
            return [q.indexed(row) for row in await found.fetchall()]

    async def stats(self) -> IndexStats:
        async with self._connection() as db:
            people, records = await (await db.execute(q.COUNTS)).fetchone() or (0, 0)
            (size,) = await (await db.execute(_SIZE)).fetchone() or (0,)
            return IndexStats(people, records, int(size))

    async def aclose(self) -> None:
        await self._pool.close()


@asynccontextmanager
async def _connected(index: PostgresPersonIndex) -> AsyncIterator[AsyncConnection]:
    if not index._schema:
        await index.open()
    async with index._pool.connection() as db:
        yield db


async def _person(db: AsyncConnection, person_id: str) -> IndexedPerson | None:
    found = await db.execute(q.postgres(q.RECORDS_OF), (person_id,))
    return q.person(person_id, await found.fetchall())


async def _neighbourhood(db: AsyncConnection, sighting: Sighting) -> Neighbourhood:
    people: set[str] = set()
    for record in sighting.records:
        found = await db.execute(q.postgres(q.OWNER_OF_RECORD), record_key(record))
        people.update(row[0] for row in await found.fetchall())
        for identifier in record.identifiers:
            found = await db.execute(
                q.postgres(q.OWNERS_OF_IDENTIFIER), (identifier_text(identifier),)
            )
            people.update(row[0] for row in await found.fetchall())
    records: dict[RecordKey, Held] = {}
    created: dict[str, float] = {}
    for person_id in sorted(people):
        rows = await (await db.execute(q.postgres(q.RECORDS_OF), (person_id,))).fetchall()
        records.update(q.held(row) for row in rows)
        row = await (await db.execute(q.postgres(q.CREATED), (person_id,))).fetchone()
        created[person_id] = row[0] if row else 0.0
    return Neighbourhood(records, created)
