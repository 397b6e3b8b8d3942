"""The audit store on PostgreSQL (``[audit] url = "postgresql://..."``): psycopg 3, async, a
small pool.

Append-only: the code has no update or delete, and a trigger refuses both on ``audit_events``
(for every role but a superuser who disables it on purpose: a trigger holds whatever role the
gateway connects as, where revoking privileges would not hold against the table's owner).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from gateway.audit.events import AuditEvent, AuditOutcome
from gateway.audit.store import COLUMNS, Entry, PersonQuery

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    subject text NOT NULL,
    client text NOT NULL,
    person_id text NOT NULL,
    person_keys text[] NOT NULL,
    field_groups text[] NOT NULL,
    outcome text NOT NULL,
    correlation_id text,
    operation text
);
CREATE INDEX IF NOT EXISTS audit_events_person_keys ON audit_events USING gin (person_keys);
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at);
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_events_append_only') THEN
        CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
        ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
    END IF;
END $$;
"""
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('offender_graph.audit_events'))"
_INSERT = (
    f"INSERT INTO audit_events ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT (id) DO NOTHING"
)
_ABOUT = (
    f"SELECT {', '.join(COLUMNS)} FROM audit_events WHERE person_keys @> ARRAY[%s]::text[] "
    "AND at >= coalesce(%s, '-infinity'::timestamptz) "
    "AND at < coalesce(%s, 'infinity'::timestamptz) ORDER BY at DESC, id LIMIT %s"
)
POOL_TIMEOUT = 1.0  # seconds to get a connection before the writer counts a failure
CONNECT_TIMEOUT = 2  # libpq's connect_timeout (it treats less than 2 as 2)


class PostgresAuditStore:
    """``audit_events`` in PostgreSQL through a pool of one or two connections."""

    def __init__(self, url: str) -> None:
        self._pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=2,
            open=False,
            timeout=POOL_TIMEOUT,
            kwargs={"connect_timeout": CONNECT_TIMEOUT},
            check=AsyncConnectionPool.check_connection,  # a terminated connection is replaced
        )
        self._opened = False

    async def open(self) -> None:
        if not self._opened:
            await self._pool.open(wait=False)
            self._opened = True
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute(_LOCK)  # replicas creating the schema take turns
            await connection.execute(SCHEMA)

    async def write(self, entries: Sequence[Entry]) -> None:
        async with self._pool.connection() as connection, connection.cursor() as cursor:
            await cursor.executemany(_INSERT, [_row(entry) for entry in entries])

    async def about(self, query: PersonQuery) -> list[Entry]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                _ABOUT, (query.digest, query.since, query.until, query.limit)
            )
            return [_entry(row) for row in await cursor.fetchall()]

    async def aclose(self) -> None:
        await self._pool.close()


def _row(entry: Entry) -> tuple[Any, ...]:
    event = entry.event
    return (
        entry.id,
        event.at,
        event.subject,
        event.client,
        event.person_id,
        list(event.person_keys),
        list(event.field_groups),
        event.outcome.value,
        event.correlation_id,
        event.operation,
    )


def _entry(row: tuple[Any, ...]) -> Entry:
    ident, at, subject, client, person_id, keys, groups, outcome, correlation, operation = row
    return Entry(
        ident,
        AuditEvent(
            at=at,
            subject=subject,
            client=client,
            person_id=person_id,
            person_keys=tuple(keys),
            field_groups=tuple(groups),
            outcome=AuditOutcome(outcome),
            correlation_id=correlation,
            operation=operation,
        ),
    )
