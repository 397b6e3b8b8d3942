"""gateway.identity: strong-identifier grouping, the merged view of a person, offender ids."""

from __future__ import annotations

import base64
import itertools
import random
from datetime import date

import pytest

from connectors.identifiers import Identifier, IdentifierKind, InvalidIdentifier
from connectors.records import PersonName, PersonRecord
from gateway.identity import (
    MergedPerson,
    decode_offender_id,
    encode_offender_id,
    group_records,
    record_key,
)

NOMS, CRN, PNC, CRO = (
    IdentifierKind.NOMS,
    IdentifierKind.CRN,
    IdentifierKind.PNC,
    IdentifierKind.CRO,
)
PNC_A, PNC_B = "2012/0394773H", "2012/0052494Q"  # both valid (DOMAIN.md)


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
def test_identifiers_take_the_majority_value_of_each_kind() -> None:
    person = merged(
        [
            rec("r1", "1", ids(NOMS="A1234AA", PNC=PNC_B)),
            rec("r2", "1", ids(NOMS="A1234AA", PNC=PNC_A)),
            rec("r3", "1", ids(NOMS="A1234AA", PNC=PNC_A, CRN="X100001")),
        ]
    )
    assert person.identifiers == {NOMS: "A1234AA", PNC: PNC_A, CRN: "X100001"}
    assert Identifier(PNC, PNC_B) in person.all_identifiers  # the minority value is still known
    assert len(person.all_identifiers) == 4


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


# ---- offender ids ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (ids(CRN="X100001", NOMS="A1234AA", PNC=PNC_A, CRO="29906/12J"), Identifier(PNC, PNC_A)),
        (ids(CRN="X100001", NOMS="A1234AA", CRO="29906/12J"), Identifier(NOMS, "A1234AA")),
        (ids(CRO="29906/12J", CRN="X100001"), Identifier(CRN, "X100001")),
        (ids(CRO="29906/12J"), Identifier(CRO, "29906/12J")),
    ],
)
def test_id_round_trips_to_the_preferred_identifier(
    identifiers: tuple[Identifier, ...], expected: Identifier
) -> None:
    person = merged([rec("r1", "1", identifiers)])
    assert decode_offender_id(person.id) == expected


def test_id_is_stable_regardless_of_record_order() -> None:
    # Two records disagree on the PNC (1 against 1): the id must still not depend on order.
    records = [
        rec("r1", "1", ids(NOMS="A1234AA", PNC=PNC_B)),
        rec("r2", "1", ids(NOMS="A1234AA", PNC=PNC_A)),
        rec("r3", "1", ids(NOMS="A1234AA", CRN="X100001")),
    ]
    found = {merged(list(order)).id for order in itertools.permutations(records)}
    assert len(found) == 1
    assert decode_offender_id(found.pop()).kind is PNC


def test_id_is_opaque_url_safe_text() -> None:
    offender_id = encode_offender_id(Identifier(PNC, PNC_A))
    assert PNC_A not in offender_id
    assert set(offender_id) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


def test_id_of_a_person_without_identifiers_is_refused_with_a_clear_reason() -> None:
    person = merged([rec("probation-london", "25000001")])
    assert person.id == merged([rec("probation-london", "25000001")]).id  # stable
    with pytest.raises(InvalidIdentifier, match=r"probation-london/25000001.*search by name"):
        decode_offender_id(person.id)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-an-id",
        "!!!!",
        "A1234AA",
        "é",
        _b64("Offender:BOGUS:A1234AA"),
        _b64("Person:PNC:2012/0394773H"),
        _b64("Offender:PNC:2012/0052494X"),  # wrong check character
        _b64("Offender:NOMS:X777776"),  # a CRN dressed as a NOMS number
        _b64("Offender"),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_decode_of_garbage_raises_invalid_identifier(garbage: str) -> None:
    with pytest.raises(InvalidIdentifier):
        decode_offender_id(garbage)
