"""gateway.identity: strong-identifier grouping, the merged view of a person, offender ids."""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity import MergedPerson, conflicts_with, group_records, record_key

NOMS, CRN, PNC, CRO = (
    IdentifierKind.NOMS,
    IdentifierKind.CRN,
    IdentifierKind.PNC,
    IdentifierKind.CRO,
)
PNC_A, PNC_B = "2012/0394773H", "2012/0052494Q"  # both valid (docs/domain.md)


def ids(**values: str) -> tuple[Identifier, ...]:
    return tuple(Identifier(IdentifierKind(kind), value) for kind, value in values.items())


def rec(
    region: str,
    local_id: str,
    identifiers: tuple[Identifier, ...] = (),
    name: tuple[str, str] = ("John", "Smith"),
    dob: date | None = date(1980, 1, 1),
    aliases: tuple[tuple[str, str], ...] = (),
) -> PersonRecord:
    return PersonRecord(
        region=region,
        local_id=local_id,
        identifiers=identifiers,
        name=PersonName(*name),
        date_of_birth=dob,
        aliases=tuple(PersonName(*a) for a in aliases),
    )


def keys(groups: list[list[PersonRecord]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(record_key(r) for r in group) for group in groups}


def merged(records: list[PersonRecord]) -> MergedPerson:
    (group,) = group_records(records)
    return MergedPerson(tuple(group))


# ---- grouping ----------------------------------------------------------------------------------
A = rec("prison-north", "PN1", ids(NOMS="A1234AA"))
B = rec("probation-london", "25-1", ids(NOMS="A1234AA", PNC=PNC_A, CRN="X100001"))
C = rec("prison-south", "PS9", ids(PNC=PNC_A, CRO="29906/12J"))
D = rec("probation-wales", "WAL3", ids(CRN="X999999"))


def test_transitive_links_make_one_group() -> None:
    groups = group_records([A, B, C, D])
    assert keys(groups) == {
        frozenset({record_key(A), record_key(B), record_key(C)}),
        frozenset({record_key(D)}),
    }


def test_grouping_does_not_depend_on_input_order() -> None:
    expected = group_records([A, B, C, D])
    for order in itertools.permutations([A, B, C, D]):
        assert keys(group_records(order)) == keys(expected)


def test_a_chain_linked_only_at_its_ends_is_still_one_group() -> None:
    # C first and A last: A and C share nothing; only B joins them.
    chain = [
        rec("r1", "1", ids(CRN="X000001")),
        rec("r2", "2", ids(CRN="X000001", NOMS="A0000AA")),
        rec("r3", "3", ids(NOMS="A0000AA", PNC=PNC_B)),
        rec("r4", "4", ids(PNC=PNC_B, CRO="29906/12J")),
        rec("r5", "5", ids(CRO="29906/12J")),
    ]
    for seed in range(20):
        shuffled = chain[:]
        random.Random(seed).shuffle(shuffled)
        assert len(group_records(shuffled)) == 1


def test_same_name_and_birth_date_without_a_shared_identifier_are_never_merged() -> None:
    twin_a = rec("prison-north", "PN1", ids(PNC=PNC_A), name=("John", "Smith"))
    twin_b = rec("prison-south", "PS1", ids(PNC=PNC_B), name=("John", "Smith"))
    assert len(group_records([twin_a, twin_b])) == 2


def test_records_without_identifiers_stay_apart() -> None:
    assert len(group_records([rec("r1", "1"), rec("r2", "1"), rec("r1", "2")])) == 3


def test_the_same_record_twice_counts_once() -> None:
    groups = group_records([A, A, B])
    assert [len(g) for g in groups] == [2]


def test_groups_are_in_region_order() -> None:
    (group,) = group_records([C, A, B])
    assert [record_key(r) for r in group] == sorted(record_key(r) for r in [A, B, C])


# ---- the merged person -------------------------------------------------------------------------
def test_two_values_of_one_kind_are_a_conflict_never_a_merge() -> None:
    # r2 carries the asked NOMS number and another person's CRN: r1 and r3 are not joined to it.
    r1 = rec("r1", "1", ids(NOMS="A1234AA", CRN="X100001"))
    r2 = rec("r2", "1", ids(NOMS="A1234AA", CRN="X200002"))
    r3 = rec("r3", "1", ids(CRN="X200002", NOMS="B2345BB"))
    for order in itertools.permutations([r1, r2, r3]):
        groups = group_records(order)
        assert keys(groups) == {
            frozenset({("r1", "1")}),
            frozenset({("r2", "1")}),
            frozenset({("r3", "1")}),
        }
    assert conflicts_with([r1], [r1, r2, r3]) == [r2]
    assert conflicts_with([r3], [r1, r2, r3]) == [r2]
    assert conflicts_with([r2], [r1, r2, r3]) == [r1, r3]


def test_a_record_that_only_adds_identifiers_is_no_conflict() -> None:
    r1 = rec("r1", "1", ids(NOMS="A1234AA"))
    r2 = rec("r2", "1", ids(NOMS="A1234AA", PNC=PNC_A, CRN="X100001"))
    (group,) = group_records([r1, r2])
    assert conflicts_with(group, [r1, r2]) == []
    assert MergedPerson(tuple(group)).identifiers == {NOMS: "A1234AA", PNC: PNC_A, CRN: "X100001"}


def test_a_conflict_inside_a_chain_keeps_the_consistent_part_together() -> None:
    r1 = rec("r1", "1", ids(NOMS="A1234AA", PNC=PNC_A))
    r2 = rec("r2", "1", ids(PNC=PNC_A, CRN="X100001"))
    r3 = rec("r3", "1", ids(CRN="X100001", PNC=PNC_B))  # contradicts the PNC of r1 and r2
    groups = group_records([r3, r2, r1])
    assert keys(groups) == {frozenset({("r1", "1"), ("r2", "1")}), frozenset({("r3", "1")})}
    big = next(g for g in groups if len(g) == 2)
    assert conflicts_with(big, [r1, r2, r3]) == [r3]


def test_name_majority_and_aliases_without_repeats() -> None:
    person = merged(
        [
            rec(
                "r1",
                "1",
                ids(NOMS="A1234AA"),
                name=("Jon", "Smith"),
                aliases=(("Johnny", "Smith"),),
            ),
            rec(
                "r2", "1", ids(NOMS="A1234AA"), name=("John", "Smith"), aliases=(("JOHN", "SMITH"),)
            ),
            rec(
                "r3",
                "1",
                ids(NOMS="A1234AA"),
                name=("John", "Smith"),
                aliases=(("Johnny", "Smith"), ("johnny", "smith"), ("John", "Smyth")),
            ),
        ]
    )
    assert person.name == PersonName("John", "Smith")
    assert [(a.forename, a.surname) for a in person.aliases] == [
        ("Jon", "Smith"),
        ("Johnny", "Smith"),
        ("John", "Smyth"),
    ]


def test_name_tie_goes_to_the_first_record_in_region_order_whatever_the_input_order() -> None:
    records = [
        rec("b-region", "1", ids(NOMS="A1234AA"), name=("Stephen", "Clarke")),
        rec("a-region", "1", ids(NOMS="A1234AA"), name=("Steven", "Clark")),
    ]
    for order in (records, records[::-1]):
        assert merged(order).name == PersonName("Steven", "Clark")


def test_date_of_birth_majority_and_none_when_unknown() -> None:
    person = merged(
        [
            rec("r1", "1", ids(CRN="X100001"), dob=date(1980, 1, 2)),
            rec("r2", "1", ids(CRN="X100001"), dob=date(1980, 2, 1)),
            rec("r3", "1", ids(CRN="X100001"), dob=date(1980, 2, 1)),
            rec("r4", "1", ids(CRN="X100001"), dob=None),
        ]
    )
    assert person.date_of_birth == date(1980, 2, 1)
    assert merged([rec("r1", "1", ids(CRN="X100001"), dob=None)]).date_of_birth is None


# ---- canonical identifier ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (ids(CRN="X100001", NOMS="A1234AA", PNC=PNC_A, CRO="29906/12J"), Identifier(PNC, PNC_A)),
        (ids(CRN="X100001", NOMS="A1234AA", CRO="29906/12J"), Identifier(NOMS, "A1234AA")),
        (ids(CRO="29906/12J", CRN="X100001"), Identifier(CRN, "X100001")),
        (ids(CRO="29906/12J"), Identifier(CRO, "29906/12J")),
    ],
)
def test_the_canonical_identifier_is_the_preferred_kind(
    identifiers: tuple[Identifier, ...], expected: Identifier
) -> None:
    assert merged([rec("r1", "1", identifiers)]).canonical == expected


def test_a_person_without_identifiers_is_known_by_their_record() -> None:
    assert merged([rec("probation-london", "25000001")]).canonical == (
        "probation-london",
        "25000001",
    )
