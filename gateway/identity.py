"""Identity across regions: records that share a strong identifier are one person.

Strong links are equal NOMS numbers, CRNs, PNC or CRO numbers after normalisation (done by the
connectors). Weak links (name and date of birth alone) never merge here.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from connectors.identifiers import Identifier, IdentifierKind, InvalidIdentifier, parse_identifier
from connectors.records import PersonName, PersonRecord

ID_PREFERENCE = (IdentifierKind.PNC, IdentifierKind.NOMS, IdentifierKind.CRN, IdentifierKind.CRO)
RecordKey = tuple[str, str]  # (region, local id)
LOCAL_RECORD = "RECORD"  # the kind in an id of a person known by one record without identifiers


def record_key(record: PersonRecord) -> RecordKey:
    return record.region, record.local_id


def group_records(records: Iterable[PersonRecord]) -> list[list[PersonRecord]]:
    """Partition records into people: connected components over shared strong identifiers."""
    unique = {record_key(r): r for r in records}
    parent = {key: key for key in unique}

    def root(key: RecordKey) -> RecordKey:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    owner: dict[Identifier, RecordKey] = {}
    for key, record in unique.items():
        for identifier in record.identifiers:
            if identifier in owner:
                parent[root(key)] = root(owner[identifier])
            else:
                owner[identifier] = key
    groups: dict[RecordKey, list[PersonRecord]] = {}
    for key, record in unique.items():
        groups.setdefault(root(key), []).append(record)
    return [sorted(g, key=record_key) for g in groups.values()]


@dataclass(frozen=True)
class MergedPerson:
    """One person as the gateway sees them: every regional record linked by strong identifiers."""

    records: tuple[PersonRecord, ...]

    @cached_property
    def identifiers(self) -> dict[IdentifierKind, str]:
        """The most common value of each identifier kind across the records."""
        counts: dict[IdentifierKind, Counter[str]] = {}
        for record in self.records:
            for identifier in record.identifiers:
                counts.setdefault(identifier.kind, Counter())[identifier.value] += 1
        return {kind: c.most_common(1)[0][0] for kind, c in counts.items()}

    @cached_property
    def all_identifiers(self) -> frozenset[Identifier]:
        return frozenset(i for r in self.records for i in r.identifiers)

    @property
    def id(self) -> str:
        """A stable opaque id, derived from the preferred strong identifier."""
        for kind in ID_PREFERENCE:
            if kind in self.identifiers:
                return encode_offender_id(Identifier(kind, self.identifiers[kind]))
        first = self.records[0]  # no strong identifier at all: an id that names the record
        raw = f"Offender:{LOCAL_RECORD}:{first.region}/{first.local_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @cached_property
    def name(self) -> PersonName:
        """The spelling most records agree on; a tie goes to the first record in region order."""
        counts = Counter(r.name for r in self.records)
        best = max(counts.values())
        return next(r.name for r in self.records if counts[r.name] == best)

    @property
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

    @property
    def date_of_birth(self) -> date | None:
        dates = Counter(r.date_of_birth for r in self.records if r.date_of_birth)
        return dates.most_common(1)[0][0] if dates else None

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        dob = self.date_of_birth.isoformat() if self.date_of_birth else ""
        return self.name.surname.casefold(), self.name.forename.casefold(), dob, self.id


def _name_key(name: PersonName) -> tuple[str, str, str]:
    return name.forename.casefold(), (name.middle_names or "").casefold(), name.surname.casefold()


def encode_offender_id(identifier: Identifier) -> str:
    raw = f"Offender:{identifier.kind}:{identifier.value}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_offender_id(offender_id: str) -> Identifier:
    """The identifier behind an offender id; InvalidIdentifier if it is not one of ours."""
    try:
        padded = offender_id + "=" * (-len(offender_id) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        prefix, kind, value = text.split(":", 2)
        if prefix != "Offender":
            raise ValueError(prefix)
        if kind == LOCAL_RECORD:
            raise InvalidIdentifier(
                f"'{offender_id}' is the id of a record ({value}) that holds no NOMS number, CRN, "
                "PNC or CRO number, so it cannot be looked up again; search by name instead"
            )
        return parse_identifier(value, IdentifierKind(kind))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        if isinstance(exc, InvalidIdentifier):
            raise
        raise InvalidIdentifier(f"'{offender_id}' is not an offender id") from exc
