"""Where audit events are kept: an append-only table, written in batches, read by person.

An :class:`Entry` is an event with the UUID it was given when recorded; a store inserts entries
and ignores one whose id it already holds (a replayed spill), and has no update or delete path.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gateway.audit.events import AuditEvent, AuditOutcome

COLUMNS = (
    "id",
    "at",
    "subject",
    "client",
    "person_id",
    "person_keys",
    "field_groups",
    "outcome",
    "correlation_id",
    "operation",
)


@dataclass(frozen=True)
class Entry:
    """One recorded event and its id (the table's primary key)."""

    id: uuid.UUID
    event: AuditEvent

    @classmethod
    def new(cls, event: AuditEvent) -> Entry:
        return cls(uuid.uuid4(), event)

    def to_json(self) -> str:
        """One spill line."""
        event = self.event
        return json.dumps(
            {
                "id": str(self.id),
                "at": event.at.isoformat(),
                "subject": event.subject,
                "client": event.client,
                "person_id": event.person_id,
                "person_keys": list(event.person_keys),
                "field_groups": list(event.field_groups),
                "outcome": event.outcome.value,
                "correlation_id": event.correlation_id,
                "operation": event.operation,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> Entry:
        """The entry of one spill line (``ValueError``/``KeyError`` for a torn one)."""
        data: dict[str, Any] = json.loads(line)
        return cls(
            uuid.UUID(data["id"]),
            AuditEvent(
                at=datetime.fromisoformat(data["at"]),
                subject=data["subject"],
                client=data["client"],
                person_id=data["person_id"],
                person_keys=tuple(data["person_keys"]),
                field_groups=tuple(data["field_groups"]),
                outcome=AuditOutcome(data["outcome"]),
                correlation_id=data["correlation_id"],
                operation=data["operation"],
            ),
        )


@dataclass(frozen=True)
class PersonQuery:
    """Events whose ``person_keys`` hold ``digest``, at or after ``since``, before ``until``."""

    digest: str
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 10_000


class AuditStore(Protocol):
    """An append-only table of entries."""

    async def open(self) -> None:
        """Connect, and create the table (and its refusals of change) if missing."""

    async def write(self, entries: Sequence[Entry]) -> None:
        """Insert every entry in one transaction; an id already stored is skipped."""

    async def about(self, query: PersonQuery) -> list[Entry]:
        """The entries about one person, newest first."""

    async def aclose(self) -> None: ...
