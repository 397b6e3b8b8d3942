"""What the person index holds: records of people under stable ids, and what a walk tells it.

A record is kept by its (region, local id) with its strong identifiers, a snapshot of what a search
needs to score it offline (name, aliases, date of birth, gender: never the access lists, so a
snapshot decides nothing about who may see the person), the caller's opaque search keys, and when a
walk last confirmed it. Times are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity.grouping import RecordKey, record_key


@dataclass(frozen=True)
class IndexedRecord:
    """One record as the index holds it, and the person it belongs to."""

    person_id: str
    record: PersonRecord  # the snapshot: no access limits
    confirmed_at: datetime
    keys: tuple[str, ...] = ()

    @property
    def key(self) -> RecordKey:
        return record_key(self.record)


@dataclass(frozen=True)
class IndexedPerson:
    """A person the index knows: their stable id and every record held under it."""

    id: str
    records: tuple[IndexedRecord, ...]

    def fresh(self, now: datetime, ttl: timedelta) -> bool:
        """Whether every record was confirmed within ``ttl``: a stale entry is a miss."""
        return all(now - r.confirmed_at <= ttl for r in self.records)

    @property
    def identifiers(self) -> frozenset[Identifier]:
        return frozenset(i for r in self.records for i in r.record.identifiers)


@dataclass(frozen=True)
class Sighting:
    """One walk's group of records, to remember as one person.

    ``settled``: the regions that answered this walk in full (no failure, nothing stale). A record
    the index holds for the person in a settled region but missing from ``records`` is no longer
    linked to them; one in another region (down, or not asked) stays theirs. ``keys``: the search
    keys of each record.
    """

    records: tuple[PersonRecord, ...]
    settled: frozenset[str] = frozenset()
    keys: Mapping[RecordKey, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexStats:
    people: int
    records: int
    bytes: int


def identifier_text(identifier: Identifier) -> str:
    return f"{identifier.kind.value}:{identifier.value}"


def parse_identifier_text(text: str) -> Identifier:
    kind, _, value = text.partition(":")
    return Identifier(IdentifierKind(kind), value)


def snapshot(record: PersonRecord) -> dict[str, Any]:
    """The JSON snapshot of a record (without its identifiers, kept apart)."""
    return {
        "name": _name(record.name),
        "aliases": [_name(a) for a in record.aliases],
        "dob": record.date_of_birth.isoformat() if record.date_of_birth else None,
        "gender": record.gender,
    }


def from_snapshot(
    region: str, local_id: str, identifiers: list[str], data: Mapping[str, Any]
) -> PersonRecord:
    dob = data["dob"]
    return PersonRecord(
        region,
        local_id,
        tuple(parse_identifier_text(i) for i in identifiers),
        _person_name(data["name"]),
        date.fromisoformat(dob) if dob else None,
        tuple(_person_name(a) for a in data["aliases"]),
        data["gender"],
    )


def _name(name: PersonName) -> list[str | None]:
    return [name.forename, name.middle_names, name.surname]


def _person_name(parts: list[str | None]) -> PersonName:
    forename, middle, surname = parts
    return PersonName(forename or "", surname or "", middle)
