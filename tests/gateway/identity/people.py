"""Records and merged people for the identity tests."""

from __future__ import annotations

from datetime import date

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity import MergedPerson

PNC_A, PNC_B = "2012/0394773H", "2012/0052494Q"  # both valid (docs/domain.md)


def record(
    local_id: str,
    name: tuple[str, str] = ("John", "Smith"),
    dob: date | None = date(1980, 3, 4),
    *,
    region: str = "north-prisons",
    aliases: tuple[tuple[str, str], ...] = (),
    gender: str | None = "M",
    middle: str | None = None,
    **identifiers: str,
) -> PersonRecord:
    return PersonRecord(
        region=region,
        local_id=local_id,
        identifiers=tuple(Identifier(IdentifierKind(k), v) for k, v in identifiers.items()),
        name=PersonName(name[0], name[1], middle),
        date_of_birth=dob,
        aliases=tuple(PersonName(*a) for a in aliases),
        gender=gender,
    )


def person(*records: PersonRecord) -> MergedPerson:
    return MergedPerson(records)
