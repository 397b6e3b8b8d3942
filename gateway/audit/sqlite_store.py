"""The default audit store: a SQLite file, used from a worker thread (stdlib ``sqlite3``).

Append-only: the code has no update or delete, and triggers make the file refuse both.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.audit.events import AuditEvent, AuditOutcome
from gateway.audit.store import COLUMNS, Entry, PersonQuery

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    subject TEXT NOT NULL,
    client TEXT NOT NULL,
    person_id TEXT NOT NULL,
    person_keys TEXT NOT NULL,
    field_groups TEXT NOT NULL,
    outcome TEXT NOT NULL,
    correlation_id TEXT,
    operation TEXT
);
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at);
CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
"""
_INSERT = (
    f"INSERT OR IGNORE INTO audit_events ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(COLUMNS))})"
)
_ABOUT = (
    f"SELECT {', '.join(COLUMNS)} FROM audit_events WHERE EXISTS "
    "(SELECT 1 FROM json_each(person_keys) WHERE value = ?) AND at >= ? AND at < ? "
    "ORDER BY at DESC, id LIMIT ?"
)
_EARLIEST, _LATEST = "0000", "9999"  # fixed-width UTC stamps sort as text; these bound all
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """``moment`` in UTC, fixed width (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


class SqliteAuditStore:
    """``audit_events`` in one SQLite file; calls run one at a time in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._lock:
            if self._connection is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            self._connection = connection

    def _run(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        with self._lock:
            connection = self._require()
            with connection:
                connection.executemany(sql, rows)

    def _select(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._require().execute(sql, parameters).fetchall()

    def _require(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the audit store is not open")
        return self._connection

    async def write(self, entries: Sequence[Entry]) -> None:
        await asyncio.to_thread(self._run, _INSERT, [_row(entry) for entry in entries])

    async def about(self, query: PersonQuery) -> list[Entry]:
        since = stamp(query.since) if query.since else _EARLIEST
        until = stamp(query.until) if query.until else _LATEST
        rows = await asyncio.to_thread(
            self._select, _ABOUT, (query.digest, since, until, query.limit)
        )
        return [_entry(row) for row in rows]

    async def aclose(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _row(entry: Entry) -> tuple[Any, ...]:
    event = entry.event
    return (
        str(entry.id),
        stamp(event.at),
        event.subject,
        event.client,
        event.person_id,
        json.dumps(list(event.person_keys)),
        json.dumps(list(event.field_groups)),
        event.outcome.value,
        event.correlation_id,
        event.operation,
    )


def _entry(row: tuple[Any, ...]) -> Entry:
    ident, at, subject, client, person_id, keys, groups, outcome, correlation, operation = row
    return Entry(
        uuid.UUID(ident),
        AuditEvent(
            at=datetime.strptime(at, _FORMAT).replace(tzinfo=UTC),
            subject=subject,
            client=client,
            person_id=person_id,
            person_keys=tuple(json.loads(keys)),
            field_groups=tuple(json.loads(groups)),
            outcome=AuditOutcome(outcome),
            correlation_id=correlation,
            operation=operation,
        ),
    )
