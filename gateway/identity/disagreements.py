"""Where a person's records disagree: never resolved silently, always said with who holds what.

- **Identity conflicts**: records that share a strong identifier with the person but hold another
  value of some kind (same NOMS number, another PNC). Grouping never merges them
  (:func:`~gateway.identity.grouping.conflicts_with`); here each disagreeing kind is listed with
  every value and the records holding it, the person's own value first.
- **Field disagreements**: merged records that spell the name, date of birth or gender
  differently. The merged value is the majority (:class:`~gateway.identity.grouping.MergedPerson`;
  gender: :func:`majority_gender`); a record holding no value does not disagree.
- **Gender**: the regions' codes and words (``M``, ``MALE``, ``f``...) as one :class:`Gender`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from connectors.identifiers import IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity.grouping import MergedPerson, RecordKey, record_key


class Gender(StrEnum):
    """A person's gender as the gateway reports it, whatever code a region writes."""

    MALE = "MALE"
    FEMALE = "FEMALE"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


GENDER_CODES: dict[str, Gender] = {
    "M": Gender.MALE,
    "MALE": Gender.MALE,
    "F": Gender.FEMALE,
    "FEMALE": Gender.FEMALE,
    "U": Gender.UNKNOWN,
    "N": Gender.UNKNOWN,
    "NK": Gender.UNKNOWN,
    "NS": Gender.UNKNOWN,
    "NOT KNOWN": Gender.UNKNOWN,
    "NOT SPECIFIED": Gender.UNKNOWN,
    "UNKNOWN": Gender.UNKNOWN,
}


def gender_of(code: str | None) -> Gender:
    """A region's gender code as a :class:`Gender`: none or a not-known code is UNKNOWN, any other
    code that is neither male nor female (``X``, ``I``, ``OTHER``...) is OTHER."""
    if code is None or not code.strip():
        return Gender.UNKNOWN
    return GENDER_CODES.get(code.strip().upper(), Gender.OTHER)


def majority_gender(records: Sequence[PersonRecord]) -> Gender:
    """The gender most records give (UNKNOWN ones not counted); a tie goes to the first record in
    region order, as for the name."""
    known = [g for g in (gender_of(r.gender) for r in records) if g is not Gender.UNKNOWN]
    if not known:
        return Gender.UNKNOWN
    counts = Counter(known)
    best = max(counts.values())
    return next(g for g in known if counts[g] == best)


def spelled(name: PersonName) -> str:
    """A name as one string, e.g. ``Carll Brown`` or ``Ann Marie Lee``."""
    return " ".join(p for p in (name.forename, name.middle_names, name.surname) if p)


@dataclass(frozen=True)
class HeldValue:
    """One value of a field or identifier kind and the records (region, local id) holding it."""

    value: str
    records: tuple[RecordKey, ...]
    merged: bool  # the value the person is shown with


@dataclass(frozen=True)
class FieldDisagreement:
    """Records that give one field (``name``, ``dateOfBirth``, ``gender``) different values."""

    field: str
    values: tuple[HeldValue, ...]


@dataclass(frozen=True)
class IdentityConflict:
    """Records that share a strong identifier (``shared``) with the person yet hold another value
    of ``kind``: not merged, and reported with each value and its holders."""

    kind: IdentifierKind
    shared: tuple[IdentifierKind, ...]
    values: tuple[HeldValue, ...]


# Each compared field: its GraphQL name, a record's value (None: holds none) and the merged one.
Reader = Callable[[PersonRecord], str | None]


def _readers(person: MergedPerson) -> list[tuple[str, Reader, str | None]]:
    dob = person.date_of_birth
    gender = majority_gender(person.records)

    def read_gender(r: PersonRecord) -> str | None:
        value = gender_of(r.gender)
        return None if value is Gender.UNKNOWN else value.value

    return [
        ("name", lambda r: spelled(r.name), spelled(person.name)),
        (
            "dateOfBirth",
            lambda r: r.date_of_birth.isoformat() if r.date_of_birth else None,
            dob.isoformat() if dob else None,
        ),
        ("gender", read_gender, None if gender is Gender.UNKNOWN else gender.value),
    ]


def record_disagreements(person: MergedPerson, record: PersonRecord) -> list[str]:
    """The fields in which ``record`` holds a value other than the person's merged one."""
    found = []
    for field, read, merged in _readers(person):
        value = read(record)
        if value is not None and value != merged:
            found.append(field)
    return found


def field_disagreements(person: MergedPerson) -> list[FieldDisagreement]:
    """Each field the person's records give more than one value of, with every value (the merged
    one first, then in region order of their first holder) and its records."""
    found = []
    for field, read, merged in _readers(person):
        held = _held((read(r), record_key(r)) for r in person.records)
        if len(held) > 1:
            found.append(FieldDisagreement(field, _values(held, merged)))
    return found


def identity_conflicts(
    person: MergedPerson, conflicting: Iterable[PersonRecord]
) -> list[IdentityConflict]:
    """Each identifier kind in which records claiming part of ``person`` (they share one of its
    strong identifiers) contradict it, by kind in :class:`IdentifierKind` order."""
    mine = person.identifiers
    held_by: dict[tuple[IdentifierKind, str], list[RecordKey]] = {}
    for record in person.records:
        for identifier in record.identifiers:
            held_by.setdefault((identifier.kind, identifier.value), []).append(record_key(record))
    kinds: dict[IdentifierKind, dict[str, list[RecordKey]]] = {}
    shared: dict[IdentifierKind, set[IdentifierKind]] = {}
    for record in conflicting:
        theirs = {i.kind: i.value for i in record.identifiers}
        common = {k for k, v in theirs.items() if mine.get(k) == v}
        if not common:
            continue
        for kind, value in theirs.items():
            if kind in mine and mine[kind] != value:
                values = kinds.setdefault(kind, {mine[kind]: held_by[(kind, mine[kind])]})
                values.setdefault(value, []).append(record_key(record))
                shared.setdefault(kind, set()).update(common)
    order = list(IdentifierKind)
    return [
        IdentityConflict(
            kind,
            tuple(sorted(shared[kind], key=order.index)),
            tuple(
                HeldValue(value, tuple(holders), value == mine[kind])
                for value, holders in kinds[kind].items()
            ),
        )
        for kind in sorted(kinds, key=order.index)
    ]


def _held(pairs: Iterable[tuple[str | None, RecordKey]]) -> dict[str, list[RecordKey]]:
    held: dict[str, list[RecordKey]] = {}
    for value, key in pairs:
        if value is not None:
            held.setdefault(value, []).append(key)
    return held


def _values(held: dict[str, list[RecordKey]], merged: str | None) -> tuple[HeldValue, ...]:
    ordered = sorted(held.items(), key=lambda item: item[0] != merged)  # stable: region order
    return tuple(HeldValue(value, tuple(keys), value == merged) for value, keys in ordered)
