"""The analyst's fields through the schema, in-process over fake regions: record provenance,
conflicts and disagreements, gender, where a person is now, recall and custody terms, each null
(with the failure reported) when a failed region could change it."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from typing import Any

import graphql
import pytest

from auth.policy import Decision, FieldGroup, Visibility
from connectors.base import Capability
from connectors.errors import RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import Movement, PersonName, PersonRecord, SystemKind
from gateway.identity import MergedPerson
from gateway.outcomes import Ledger
from gateway.service import Person
from schema.offender import FIELD_GROUPS, Offender
from schema.sdl import export_sdl
from tests.gateway.inprocess import FakeRegion, Gateway, booking, licence

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
OTHER_CRN = Identifier(IdentifierKind.CRN, "X654321")
PNC = Identifier(IdentifierKind.PNC, "2001/0123456X")
C, P = Capability, SystemKind

QUERY = """
query($id: String!) {
  offender(identifier: $id) {
    name { forename surname } dateOfBirth gender
    records {
      region localId name { forename surname } aliases { forename surname } dateOfBirth
      gender genderCode identifiers { nomsNumber crn pncNumber croNumber } disagreements
    }
    conflicts { kind shared values { value merged records { region localId } } }
    disagreements { field values { value merged records { region localId } } }
    currentLocation { kind region prisonId prisonName probationRegion }
    recalled unlawfullyAtLarge
    custodyTerms { startDate endDate recall ending followedByRecall prisons
                   episodes { region bookingId } }
  }
}
"""


def record(
    region: str,
    local_id: str,
    *ids: Identifier,
    forename: str = "Carl",
    born: date = date(1980, 1, 1),
    gender: str | None = "M",
    aliases: tuple[PersonName, ...] = (),
) -> PersonRecord:
    return PersonRecord(
        region, local_id, ids, PersonName(forename, "Brown"), born, aliases, gender=gender
    )


def regions(
    prison_records: list[PersonRecord],
    probation_records: list[PersonRecord],
    custody: list[Any] | None = None,
    supervision: list[Any] | None = None,
    movements: list[Movement] | None = None,
) -> tuple[FakeRegion, FakeRegion, FakeRegion]:
    prison = FakeRegion(
        "prison",
        P.CUSTODY,
        prison_records,
        {C.CUSTODY_FOR: custody or [], C.MOVEMENTS_FOR: movements or []},
    )
    probation_a = FakeRegion(
        "probation-a", P.PROBATION, probation_records, {C.SUPERVISION_FOR: supervision or []}
    )
    probation_b = FakeRegion("probation-b", P.PROBATION, [], {C.SUPERVISION_FOR: []})
    return prison, probation_a, probation_b


def three_records() -> tuple[FakeRegion, FakeRegion, FakeRegion]:
    """Carl Brown twice (prison, probation-a), Carll Brown with another birth date and an F in
    probation-b; all linked by one NOMS number."""
    prison, probation_a, probation_b = regions(
        [record("prison", "P1", NOMS, PNC, aliases=(PersonName("Charlie", "Brown"),))],
        [record("probation-a", "A1", NOMS, CRN, gender="MALE")],
    )
    probation_b.records = [
        record("probation-b", "B1", NOMS, forename="Carll", born=date(1980, 1, 10), gender="F")
    ]
    return prison, probation_a, probation_b


async def test_each_record_shows_its_own_values_and_where_it_disagrees() -> None:
    data, errors = await Gateway(three_records()).execute(QUERY, id=NOMS.value)
    assert errors == []
    offender = data["offender"]
    assert offender["name"] == {"forename": "Carl", "surname": "Brown"}
    assert offender["gender"] == "MALE"
    by_id = {r["localId"]: r for r in offender["records"]}
    carll = by_id["B1"]
    assert (carll["region"], carll["name"]["forename"], carll["dateOfBirth"]) == (
        "probation-b",
        "Carll",
        "1980-01-10",
    )
    assert (carll["gender"], carll["genderCode"]) == ("FEMALE", "F")
    assert carll["identifiers"] == {
        "nomsNumber": NOMS.value,
        "crn": None,
        "pncNumber": None,
        "croNumber": None,
    }
    assert carll["disagreements"] == ["name", "dateOfBirth", "gender"]
    assert by_id["P1"]["identifiers"]["pncNumber"] == PNC.value
    assert by_id["P1"]["aliases"] == [{"forename": "Charlie", "surname": "Brown"}]
    assert by_id["A1"]["identifiers"]["crn"] == CRN.value
    assert (by_id["A1"]["gender"], by_id["A1"]["genderCode"]) == ("MALE", "MALE")
    assert by_id["P1"]["disagreements"] == by_id["A1"]["disagreements"] == []


async def test_field_disagreements_list_every_value_with_its_records_merged_first() -> None:
    data, _ = await Gateway(three_records()).execute(QUERY, id=NOMS.value)
    found = {d["field"]: d["values"] for d in data["offender"]["disagreements"]}
    p1, a1, b1 = (
        {"region": "prison", "localId": "P1"},
        {"region": "probation-a", "localId": "A1"},
        {"region": "probation-b", "localId": "B1"},
    )
    assert found == {
        "name": [
            {"value": "Carl Brown", "merged": True, "records": [p1, a1]},
            {"value": "Carll Brown", "merged": False, "records": [b1]},
        ],
        "dateOfBirth": [
            {"value": "1980-01-01", "merged": True, "records": [p1, a1]},
            {"value": "1980-01-10", "merged": False, "records": [b1]},
        ],
        "gender": [
            {"value": "MALE", "merged": True, "records": [p1, a1]},
            {"value": "FEMALE", "merged": False, "records": [b1]},
        ],
    }
    assert data["offender"]["conflicts"] == []


async def test_records_that_agree_have_no_disagreements_and_a_missing_value_is_none() -> None:
    prison, probation_a, probation_b = regions(
        [record("prison", "P1", NOMS, gender=None)], [record("probation-a", "A1", NOMS, CRN)]
    )
    data, _ = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["disagreements"] == []
    assert [r["disagreements"] for r in offender["records"]] == [[], []]
    assert offender["gender"] == "MALE"
    assert [r["gender"] for r in offender["records"]] == ["UNKNOWN", "MALE"]


async def test_a_conflicting_record_is_listed_with_each_value_and_its_holders() -> None:
    prison, probation_a, probation_b = regions(
        [record("prison", "P1", NOMS)], [record("probation-a", "A1", NOMS, CRN)]
    )
    probation_b.records = [record("probation-b", "B1", NOMS, OTHER_CRN)]
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    assert data["offender"]["conflicts"] == [
        {
            "kind": "CRN",
            "shared": ["NOMS"],
            "values": [
                {
                    "value": CRN.value,
                    "merged": True,
                    "records": [{"region": "probation-a", "localId": "A1"}],
                },
                {
                    "value": OTHER_CRN.value,
                    "merged": False,
                    "records": [{"region": "probation-b", "localId": "B1"}],
                },
            ],
        }
    ]
    assert {r["localId"] for r in data["offender"]["records"]} == {"P1", "A1"}
    assert {e["extensions"]["code"] for e in errors} == {"IDENTITY_CONFLICT"}
    assert ["offender"] in [e["path"] for e in errors]


async def test_a_conflict_is_seen_on_every_lookup_not_hidden_by_the_person_index() -> None:
    prison, probation_a, probation_b = regions(
        [record("prison", "P1", NOMS)], [record("probation-a", "A1", NOMS, CRN)]
    )
    probation_b.records = [record("probation-b", "B1", NOMS, OTHER_CRN)]
    gateway = Gateway([prison, probation_a, probation_b])  # with its person index
    query = "query($id: String!) { offender(identifier: $id) { conflicts { kind } } }"
    for _ in range(3):
        data, errors = await gateway.execute(query, id=NOMS.value)
        assert data["offender"]["conflicts"] == [{"kind": "CRN"}]
        assert "IDENTITY_CONFLICT" in {e["extensions"]["code"] for e in errors}


def recall_estate() -> tuple[FakeRegion, FakeRegion, FakeRegion]:
    """Released 2021-01-01 on licence, recalled 2021-06-01 to HMI, held now."""
    released, recall = date(2021, 1, 1), date(2021, 6, 1)
    first = booking("prison", "P1", date(2020, 1, 1), active=False)
    second = dataclasses.replace(
        booking("prison", "P1", recall, active=True, prison="HMI"), legal_status="RECALL"
    )
    movements = [
        Movement("prison", "P1", date(2020, 1, 1), "ADMISSION", "COURT", "MDI", "in"),
        Movement("prison", "P1", released, "RELEASED", "MDI", "OUT", "out"),
        Movement("prison", "P1", recall, "ADMISSION", "COURT", "HMI", "recalled"),
    ]
    spell = dataclasses.replace(
        licence("probation-a", "A1", released, active=False), end_date=recall
    )
    return regions(
        [record("prison", "P1", NOMS)],
        [record("probation-a", "A1", NOMS, CRN)],
        [first, second],
        [spell],
        movements,
    )


async def test_a_recalled_person_is_located_in_prison_with_two_terms() -> None:
    data, errors = await Gateway(recall_estate()).execute(QUERY, id=NOMS.value)
    assert errors == []
    offender = data["offender"]
    assert offender["currentLocation"] == {
        "kind": "PRISON",
        "region": "prison",
        "prisonId": "HMI",
        "prisonName": "HMI",
        "probationRegion": None,
    }
    assert (offender["recalled"], offender["unlawfullyAtLarge"]) == (True, False)
    assert offender["custodyTerms"] == [
        {
            "startDate": "2020-01-01",
            "endDate": "2021-01-01",
            "recall": False,
            "ending": "RELEASED",
            "followedByRecall": True,
            "prisons": ["MDI"],
            "episodes": [{"region": "prison", "bookingId": "B20200101"}],
        },
        {
            "startDate": "2021-06-01",
            "endDate": None,
            "recall": True,
            "ending": "IN_CUSTODY",
            "followedByRecall": False,
            "prisons": ["HMI"],
            "episodes": [{"region": "prison", "bookingId": "B20210601"}],
        },
    ]


async def test_an_open_booking_decides_location_and_recall_though_a_probation_region_failed() -> (
    None
):
    prison, probation_a, probation_b = recall_estate()
    probation_b.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-b", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["currentLocation"]["prisonId"] == "HMI"
    assert offender["recalled"] is True
    paths = {tuple(e["path"]) for e in errors}
    assert ("offender", "currentLocation") not in paths
    assert ("offender", "recalled") not in paths


async def test_on_licence_the_location_is_the_probation_region_unless_a_region_failed() -> None:
    prison, probation_a, probation_b = regions(
        [record("prison", "P1", NOMS)],
        [record("probation-a", "A1", NOMS, CRN)],
        [booking("prison", "P1", date(2020, 1, 1), active=False)],
        [licence("probation-a", "A1", date(2021, 1, 1), active=True)],
    )
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    assert errors == []
    assert data["offender"]["currentLocation"] == {
        "kind": "PROBATION",
        "region": "probation-a",
        "prisonId": None,
        "prisonName": None,
        "probationRegion": "N07",
    }
    assert data["offender"]["recalled"] is False
    probation_b.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-b", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert (offender["currentLocation"], offender["recalled"]) == (None, None)
    assert offender["unlawfullyAtLarge"] is None
    failed = {(tuple(e["path"]), e["extensions"]["region"]) for e in errors}
    for field in ("currentLocation", "recalled", "unlawfullyAtLarge", "custodyTerms"):
        assert (("offender", field), "probation-b") in failed


async def test_terms_and_flags_from_failed_custody_report_their_failures() -> None:
    prison, probation_a, probation_b = recall_estate()
    prison.fail[C.MOVEMENTS_FOR] = RegionUnavailable("prison", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    failed = {tuple(e["path"]) for e in errors}
    assert ("offender", "custodyTerms") in failed
    assert ("offender", "unlawfullyAtLarge") in failed
    assert offender["unlawfullyAtLarge"] is None
    assert offender["recalled"] is True  # custody answered: movements are not needed
    # without movements a release is not known: the term ended, how is not said
    assert [t["ending"] for t in offender["custodyTerms"]] == ["ENDED", "IN_CUSTODY"]


NEW_FIELDS = {
    "gender": "IDENTITY",
    "conflicts": "IDENTITY",
    "disagreements": "IDENTITY",
    "currentLocation": "LOCATION",
    "custodyTerms": "LOCATION",
    "unlawfullyAtLarge": "LOCATION",
    "recalled": "SENTENCE",
}


def test_every_offender_field_but_id_and_restricted_has_a_group_and_the_new_ones_theirs() -> None:
    offender = graphql.build_schema(export_sdl()).type_map["Offender"]
    assert isinstance(offender, graphql.GraphQLObjectType)
    assert set(offender.fields) - {"id", "restricted"} == set(FIELD_GROUPS)
    assert {n: FIELD_GROUPS[n].value for n in NEW_FIELDS} == NEW_FIELDS


@pytest.mark.parametrize("name", sorted(NEW_FIELDS))
async def test_a_new_field_is_empty_and_unfetched_without_its_group(name: str) -> None:
    group = FieldGroup(NEW_FIELDS[name])
    decision = Decision(Visibility.SHOWN, frozenset(FieldGroup) - {group})
    merged = MergedPerson((record("prison", "P1", NOMS), record("probation-a", "A1", NOMS, CRN)))
    person = Person(merged, "id", Ledger(), decision=decision)
    offender = Offender(person=person, kinds=frozenset())
    [field] = [
        f for f in offender.__strawberry_definition__.fields if _camel(f.python_name) == name
    ]
    resolver = field.base_resolver
    assert resolver is not None
    arguments = {"info": None} if "info" in resolver.signature.parameters else {}
    value = resolver.wrapped_func(offender, **arguments)  # info None: a fetch would fail
    if inspect.isawaitable(value):
        value = await value
    assert value in (None, [])


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
