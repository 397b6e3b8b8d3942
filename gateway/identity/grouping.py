"""Identity across regions: records that share a strong identifier are one person.

Strong links are equal NOMS numbers, CRNs, PNC or CRO numbers after normalisation (done by the
connectors). Two records are never joined when that would give one person two different values of
one kind (two NOMS numbers, two CRNs...): such records are a **conflict**, reported, never merged
silently. Weak links (name and date of birth alone) never merge here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord

ID_PREFERENCE = (IdentifierKind.PNC, IdentifierKind.NOMS, IdentifierKind.CRN, IdentifierKind.CRO)
RecordKey = tuple[str, str]  # (region, local id)


def record_key(record: PersonRecord) -> RecordKey:
    return record.region, record.local_id


def group_records(records: Iterable[PersonRecord]) -> list[list[PersonRecord]]:
    """Partition records into people: connected components over shared strong identifiers,
    never joining two components whose identifiers of one kind disagree."""
    unique = dict(sorted((record_key(r), r) for r in records))
    parent = {key: key for key in unique}
    values: dict[RecordKey, dict[IdentifierKind, str]] = {}
    for key, record in unique.items():
        values[key] = {}
        for identifier in record.identifiers:
            values[key].setdefault(identifier.kind, identifier.value)

    def root(key: RecordKey) -> RecordKey:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: RecordKey, b: RecordKey) -> None:
        a, b = root(a), root(b)
        if a == b:
            return
        mine, theirs = values[a], values[b]
        if any(mine[k] != v for k, v in theirs.items() if k in mine):
            return  # a conflict: left apart, reported by conflicts_with()
        parent[b] = a
        values[a] = {**theirs, **mine}

    owners: dict[Identifier, list[RecordKey]] = {}
    for key, record in unique.items():
        for identifier in record.identifiers:
            for owner in owners.get(identifier, []):
                union(owner, key)
            owners.setdefault(identifier, []).append(key)
    groups: dict[RecordKey, list[PersonRecord]] = {}
    for key, record in unique.items():
        groups.setdefault(root(key), []).append(record)
    return list(groups.values())


def conflicts_with(
    group: Iterable[PersonRecord], others: Iterable[PersonRecord]
) -> list[PersonRecord]:
    """Records outside ``group`` that share one of its strong identifiers: they claim part of
    this person but contradict another identifier of theirs."""
    group = list(group)
    keys = {record_key(r) for r in group}
    held = {i for r in group for i in r.identifiers}
    return [
        r for r in others if record_key(r) not in keys and any(i in held for i in r.identifiers)
    ]


@dataclass(frozen=True)
class MergedPerson:
    """One person as the gateway sees them: every regional record linked by strong identifiers."""

    records: tuple[PersonRecord, ...]

    @cached_property
    def identifiers(self) -> dict[IdentifierKind, str]:
        """The value of each identifier kind (one per kind: grouping never joins two)."""
        found: dict[IdentifierKind, str] = {}
        for record in self.records:
            for identifier in record.identifiers:
                found.setdefault(identifier.kind, identifier.value)
        return found

    @cached_property
    def all_identifiers(self) -> frozenset[Identifier]:
        return frozenset(i for r in self.records for i in r.identifiers)

    @property
    def canonical(self) -> Identifier | RecordKey:
        """What the person's id is minted from: the preferred strong identifier, or for a person
        known by one record without any, that record's (region, local id)."""
        for kind in ID_PREFERENCE:
            if kind in self.identifiers:
                return Identifier(kind, self.identifiers[kind])
        return record_key(self.records[0])

    @cached_property
    def name(self) -> PersonName:
        """The spelling most records agree on; a tie goes to the first record in region order."""
        counts = Counter(r.name for r in self.records)
        best = max(counts.values())
        return next(r.name for r in self.records if counts[r.name] == best)

    @cached_property
    def aliases(self) -> list[PersonName]:
        """Every other spelling and alias any region holds, without repeats."""
        seen = {_name_key(self.name)}
        found: list[PersonName] = []
        for record in self.records:
            for name in (record.name, *record.aliases):
                if _name_key(name) not in seen:
                    seen.add(_name_key(name))
                    found.append(name)
        return found

    @cached_property
    def date_of_birth(self) -> date | None:
        dates = Counter(r.date_of_birth for r in self.records if r.date_of_birth)
        return dates.most_common(1)[0][0] if dates else None

    @cached_property
    def sort_key(self) -> tuple[str, str, str, str]:
        dob = self.date_of_birth.isoformat() if self.date_of_birth else ""
        canonical = self.canonical
        tie = str(canonical) if isinstance(canonical, Identifier) else "/".join(canonical)
        return self.name.surname.casefold(), self.name.forename.casefold(), dob, tie


def _name_key(name: PersonName) -> tuple[str, str, str]:
    return name.forename.casefold(), (name.middle_names or "").casefold(), name.surname.casefold()
