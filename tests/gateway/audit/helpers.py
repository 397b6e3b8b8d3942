"""Events and stores for the audit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.audit.events import AuditEvent, AuditOutcome
from gateway.audit.sqlite_store import SqliteAuditStore
from gateway.audit.store import Entry, PersonQuery
from gateway.audit.writer import Timing

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
QUICK = Timing(attempts=2, backoff_initial=0.001, backoff_max=0.002, replay_interval=0.05)


def event(n: int = 0, keys: tuple[str, ...] = ("k-a",), subject: str = "alice") -> AuditEvent:
    return AuditEvent(
        at=START + timedelta(seconds=n),
        subject=subject,
        client="case-app",
        person_id=f"o1person{n}",
        person_keys=keys,
        field_groups=("IDENTITY", "SENTENCE"),
        outcome=AuditOutcome.SHOWN,
        correlation_id=f"req-{n}",
        operation="Lookup",
    )


class FlakyStore:
    """A real SQLite store that fails (``down``) or hangs (``stalled``) on demand."""

    def __init__(self, path: Path) -> None:
        self.inner = SqliteAuditStore(path)
        self.down = False
        self.stalled = asyncio.Event()
        self.stalled.set()  # set: not stalled
        self.writes = 0

    async def open(self) -> None:
        self._check()
        await self.inner.open()

    async def write(self, entries: Sequence[Entry]) -> None:
        await self.stalled.wait()
        self._check()
        self.writes += 1
        await self.inner.write(entries)

    async def about(self, query: PersonQuery) -> list[Entry]:
        return await self.inner.about(query)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _check(self) -> None:
        if self.down:
            raise ConnectionRefusedError("the store is down")


def count_rows(path: Path) -> tuple[int, int]:
    """(rows, distinct ids) of a SQLite audit file."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT count(*), count(DISTINCT id) FROM audit_events").fetchone()
    return int(row[0]), int(row[1])


async def settle(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``condition()`` is true (failing after ``within`` seconds)."""
    try:
        async with asyncio.timeout(within):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError("the audit log did not settle") from None
