"""Who looked at a person: the audit events whose keys hold the digest of an identifier."""

from __future__ import annotations

from datetime import datetime

from connectors.identifiers import Identifier
from gateway.audit.store import AuditStore, Entry, PersonQuery
from gateway.ids import OffenderIds


async def who_looked(
    store: AuditStore,
    ids: OffenderIds,
    identifier: Identifier,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Entry]:
    """The events about the person ``identifier`` names, newest first (the store is opened and
    closed here)."""
    await store.open()
    try:
        return await store.about(PersonQuery(ids.digest(identifier), since, until))
    finally:
        await store.aclose()


HEADINGS = ("when", "subject", "client", "outcome", "field groups", "correlation id")


def rows(entries: list[Entry]) -> list[tuple[str, ...]]:
    """One table row per event, in :data:`HEADINGS` order."""
    return [
        (
            e.event.at.isoformat(timespec="seconds"),
            e.event.subject,
            e.event.client,
            e.event.outcome.value,
            ",".join(e.event.field_groups) or "-",
            e.event.correlation_id or "-",
        )
        for e in entries
    ]


def as_json(entry: Entry) -> dict[str, object]:
    """An event for ``--json``."""
    event = entry.event
    return {
        "id": str(entry.id),
        "at": event.at.isoformat(),
        "subject": event.subject,
        "client": event.client,
        "person_id": event.person_id,
        "outcome": event.outcome.value,
        "field_groups": list(event.field_groups),
        "correlation_id": event.correlation_id,
        "operation": event.operation,
    }
