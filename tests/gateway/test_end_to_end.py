"""The offender graph answered end to end: gateway → connectors → simulators over real sockets."""

from __future__ import annotations

import httpx
import pytest

from connectors.identifiers import format_pnc
from simulators.runner import RunningEstate
from simulators.soap_prison import BATCH_OPERATIONS
from simulators.truth import Estate, TruePerson
from tests.conftest import GraphQLCall
from tests.gateway.truth import actual, expected, spelled_alike, strongly_linked

OFFENDER = """
query($id: String!) {
  offender(identifier: $id) {
    id
    identifiers { nomsNumber crn pncNumber croNumber }
    name { forename surname }
    aliases { forename surname }
    dateOfBirth
    status
    offenderManager { staffCode role responsibleOfficer }
    custody { region bookingId prisonId prisonName legalStatus startDate endDate active }
    supervision { region episodeId kind probationRegion startDate endDate active }
    timeline { date type region description }
    alerts { region source type code active }
    records { region systemKind localId matchedBy fetchedAt }
    sources { region outcome fetchedAt code stage reason }
  }
}
"""


def spanning_people(estate: Estate, count: int) -> list[TruePerson]:
    people = [
        p
        for p in estate.spanning(3)
        if p.noms and strongly_linked(estate, p) and spelled_alike(estate, p)
    ]
    return people[:count]


INDEX_SKIP = "the person index holds no record of this person there"


def all_ok(sources: list[dict], running: RunningEstate, holding: set[str]) -> bool:
    """Every region listed; those ``holding`` a record answered (OK, with when); the others
    answered too, or, when an earlier test already put the person in the shared gateway's index,
    were skipped for that reason; nothing is marked failed or stale."""
    return [s["region"] for s in sources] == list(running.systems) and all(
        (s["outcome"] == "OK" and s["fetchedAt"] and s["code"] is None)
        or (s["region"] not in holding and s["outcome"] == "SKIPPED" and s["reason"] == INDEX_SKIP)
        for s in sources
    )


def test_a_person_across_three_or_more_regions_equals_the_ground_truth(
    estate: Estate, running_estate: RunningEstate, gql: GraphQLCall
) -> None:
    people = spanning_people(estate, 25)
    assert len(people) == 25
    statuses: set[str] = set()
    for person in people:
        status, body = gql(OFFENDER, id=person.noms)
        assert status == 200
        assert "errors" not in body, body["errors"]
        offender = body["data"]["offender"]
        assert actual(offender) == expected(estate, person), person
        assert offender["identifiers"] == {
            "nomsNumber": person.noms,
            "crn": person.crn,
            "pncNumber": person.pnc,
            "croNumber": person.cro,
        }
        assert offender["name"] == {"forename": person.forename, "surname": person.surname}
        assert offender["dateOfBirth"] == person.date_of_birth.isoformat()
        assert person.noms not in offender["id"] and person.pnc not in offender["id"]
        holding = {system for system, _ in estate.records_of(person.person_id)}
        assert all_ok(offender["sources"], running_estate, holding)
        statuses.add(offender["status"])
    assert len(statuses) >= 2  # the sample covers more than one status


def test_the_same_person_is_found_by_crn_and_by_short_pnc(estate: Estate, gql: GraphQLCall) -> None:
    person = spanning_people(estate, 1)[0]
    year, rest = person.pnc.split("/")
    short_pnc = f"{year[2:]}/{int(rest[:-1])}{rest[-1]}"
    answers = [gql(OFFENDER, id=i)[1]["data"]["offender"] for i in (person.crn, short_pnc)]
    assert answers[0]["id"] == answers[1]["id"]
    assert actual(answers[0]) == actual(answers[1]) == expected(estate, person)


def test_a_person_known_only_to_the_legacy_no_batch_prison(
    estate: Estate, running_estate: RunningEstate, gql: GraphQLCall
) -> None:
    legacy = next(p for p in estate.people.values() if set(p.slices) == {"prison-wales"} and p.noms)
    counters = running_estate.systems["prison-wales"].url + "_sim/counters"
    httpx.delete(counters)
    status, body = gql(OFFENDER, id=legacy.noms)
    assert status == 200 and "errors" not in body
    offender = body["data"]["offender"]
    assert actual(offender) == expected(estate, legacy)
    calls = httpx.get(counters).json()
    assert not set(calls) & BATCH_OPERATIONS  # the legacy WSDL has none; nothing tried them
    assert calls["GetCustodyHistory"] == calls["GetMovements"] == 1  # its one record
    assert calls["FindOffender"] == 1  # by NOMS: the record found carries its PNC and CRO


def test_an_unknown_but_valid_identifier_returns_null(gql: GraphQLCall) -> None:
    for identifier in ("Z9999ZZ", "Z999999", format_pnc(2001, 9_999_999)):
        status, body = gql(OFFENDER, id=identifier)
        assert status == 200
        assert body["data"] == {"offender": None}, identifier
        assert "errors" not in body


@pytest.mark.parametrize(
    ("identifier", "hint"),
    [
        ("not-an-id", "NOMS number"),
        ("2012/0052494X", "check character"),
        ("A123", "NOMS number"),
        ("'; DROP TABLE offenders; --", "not a recognised identifier"),
    ],
)
def test_a_malformed_identifier_is_a_bad_identifier_error(
    gql: GraphQLCall, identifier: str, hint: str
) -> None:
    status, body = gql(OFFENDER, id=identifier)
    assert status == 200
    assert body["data"] == {"offender": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_IDENTIFIER"
    assert error["path"] == ["offender"]
    assert hint in error["message"]


SEARCH = """
query($name: String!, $dob: Date, $first: Int!, $after: String) {
  offenders(name: $name, dateOfBirth: $dob, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name { forename surname } dateOfBirth records { region localId } } }
  }
}
"""


def test_search_by_name_and_date_of_birth_returns_the_merged_person(
    estate: Estate, gql: GraphQLCall
) -> None:
    person = spanning_people(estate, 1)[0]
    status, body = gql(
        SEARCH,
        name=f"{person.forename} {person.surname}",
        dob=person.date_of_birth.isoformat(),
        first=10,
    )
    assert status == 200 and "errors" not in body
    nodes = [e["node"] for e in body["data"]["offenders"]["edges"]]
    mine = [
        n
        for n in nodes
        if {(r["region"], r["localId"]) for r in n["records"]} == set(person.slices.items())
    ]
    assert len(mine) == 1


def test_search_pages_through_every_match_once(gql: GraphQLCall) -> None:
    seen: list[str] = []
    after = None
    total = None
    for _ in range(50):
        status, body = gql(SEARCH, name="Smith", first=7, after=after)
        assert status == 200 and "errors" not in body
        page = body["data"]["offenders"]
        total = page["totalCount"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total is not None and total > 7
    assert len(seen) == total
    assert len(set(seen)) == total
    names = [s for s in seen]
    assert names


def test_search_rejects_bad_arguments(gql: GraphQLCall) -> None:
    for variables, fragment in (
        ({"name": "", "first": 5}, "name is required"),
        ({"name": "Smith", "first": 0}, "first must be between"),
        ({"name": "Smith", "first": 1000}, "first must be between"),
        ({"name": "Smith", "first": 5, "after": "garbage!"}, "not a cursor"),
        ({"name": "Sm1th <script>", "first": 5}, "name must be"),
    ):
        status, body = gql(SEARCH, **variables)
        assert status == 200
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert fragment in error["message"]


def test_regions_lists_every_configured_system(gql: GraphQLCall) -> None:
    status, body = gql("{ regions { name kind dialect status capabilities } }")
    assert status == 200
    regions = {r["name"]: r for r in body["data"]["regions"]}
    assert len(regions) == 7
    assert {r["kind"] for r in regions.values()} == {"CUSTODY", "PROBATION"}
    assert regions["prison-wales"]["dialect"] == "soap-prison"
    assert regions["probation-wales"]["dialect"] == "rest-snake"
    assert regions["prison-north"]["capabilities"] == [
        "ALERTS_FOR",
        "CUSTODY_FOR",
        "FIND_BY_IDENTIFIERS",
        "LIST_PEOPLE",
        "MOVEMENTS_FOR",
        "SEARCH_PEOPLE",
    ]
    assert regions["probation-london"]["capabilities"] == [
        "ALERTS_FOR",
        "FIND_BY_IDENTIFIERS",
        "LIST_PEOPLE",
        "MANAGERS_FOR",
        "SEARCH_PEOPLE",
        "SUPERVISION_FOR",
    ]
    assert {r["status"] for r in regions.values()} <= {"UP", "UNKNOWN"}
