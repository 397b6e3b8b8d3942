"""gateway.identity.disagreements: gender codes, the majority gender, field disagreements and
identity conflicts, each value with the records holding it."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity import MergedPerson, conflicts_with, group_records
from gateway.identity.disagreements import (
    Gender,
    HeldValue,
    field_disagreements,
    gender_of,
    identity_conflicts,
    majority_gender,
    record_disagreements,
    spelled,
)

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
OTHER_CRN = Identifier(IdentifierKind.CRN, "X654321")
PNC = Identifier(IdentifierKind.PNC, "2001/0123456X")
OTHER_PNC = Identifier(IdentifierKind.PNC, "2002/0654321Z")


def rec(
    region: str,
    *ids: Identifier,
    forename: str = "Carl",
    born: date | None = date(1980, 1, 1),
    gender: str | None = "M",
) -> PersonRecord:
    return PersonRecord(region, f"{region}-1", ids, PersonName(forename, "Brown"), born, (), gender)


@pytest.mark.parametrize(
    ("code", "gender"),
    [
        ("M", Gender.MALE),
        ("male", Gender.MALE),
        (" F ", Gender.FEMALE),
        ("FEMALE", Gender.FEMALE),
        ("X", Gender.OTHER),
        ("OTHER", Gender.OTHER),
        ("U", Gender.UNKNOWN),
        ("NK", Gender.UNKNOWN),
        ("", Gender.UNKNOWN),
        (None, Gender.UNKNOWN),
    ],
)
def test_region_gender_codes_are_normalised(code: str | None, gender: Gender) -> None:
    assert gender_of(code) is gender


def test_the_majority_gender_ignores_unknowns_and_a_tie_goes_to_the_first_record() -> None:
    assert majority_gender([rec("a", gender="F"), rec("b", gender="MALE"), rec("c")]) is Gender.MALE
    assert majority_gender([rec("a", gender="F"), rec("b", gender="M")]) is Gender.FEMALE
    assert majority_gender([rec("a", gender=None), rec("b", gender="U")]) is Gender.UNKNOWN
    assert majority_gender([rec("a", gender=None), rec("b", gender="F")]) is Gender.FEMALE


def test_a_name_is_spelled_with_its_middle_names() -> None:
    assert spelled(PersonName("Ann", "Lee", "Marie")) == "Ann Marie Lee"
    assert spelled(PersonName("Carll", "Brown")) == "Carll Brown"


def test_a_record_without_a_value_does_not_disagree() -> None:
    person = MergedPerson((rec("a", NOMS), rec("b", NOMS, born=None, gender=None)))
    assert field_disagreements(person) == []
    assert record_disagreements(person, person.records[1]) == []


def test_a_tie_keeps_the_first_record_as_merged_and_lists_the_other_value() -> None:
    person = MergedPerson((rec("a", NOMS, forename="Carll"), rec("b", NOMS)))
    [name] = field_disagreements(person)
    assert name.field == "name"
    assert name.values == (
        HeldValue("Carll Brown", (("a", "a-1"),), True),
        HeldValue("Carl Brown", (("b", "b-1"),), False),
    )
    assert record_disagreements(person, person.records[1]) == ["name"]
    assert record_disagreements(person, person.records[0]) == []


def test_conflicts_list_each_kind_with_the_shared_kinds_and_every_holder() -> None:
    records = [
        rec("a", NOMS, PNC),
        rec("b", NOMS, CRN),
        rec("c", NOMS, OTHER_CRN, OTHER_PNC),  # same NOMS, another CRN and PNC
        rec("d", OTHER_CRN),  # the other person: shares nothing with ours
    ]
    group = next(g for g in group_records(records) if len(g) == 2)
    person = MergedPerson(tuple(group))
    conflicting = conflicts_with(group, records)
    assert [r.region for r in conflicting] == ["c"]
    crn, pnc = identity_conflicts(person, conflicting)
    assert (crn.kind, crn.shared) == (IdentifierKind.CRN, (IdentifierKind.NOMS,))
    assert crn.values == (
        HeldValue(CRN.value, (("b", "b-1"),), True),
        HeldValue(OTHER_CRN.value, (("c", "c-1"),), False),
    )
    assert pnc.kind is IdentifierKind.PNC
    assert pnc.values == (
        HeldValue(PNC.value, (("a", "a-1"),), True),
        HeldValue(OTHER_PNC.value, (("c", "c-1"),), False),
    )


def test_no_conflicting_records_no_conflicts() -> None:
    person = MergedPerson((rec("a", NOMS, PNC), rec("b", NOMS, CRN)))
    assert identity_conflicts(person, []) == []
