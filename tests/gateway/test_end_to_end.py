"""The offender graph answered end to end: gateway → connectors → simulators over real sockets."""

from __future__ import annotations

import time

import httpx
import pytest

from connectors.identifiers import format_pnc
from simulators.runner import RunningEstate
from simulators.soap_prison import BATCH_OPERATIONS
from simulators.truth import Estate, TruePerson
from tests.conftest import GraphQLCall, serve_gateway
from tests.gateway.truth import actual, expected, strongly_linked

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
    custody { region prisonId prisonName legalStatus startDate endDate active }
    supervision { region kind probationRegion startDate endDate active }
    timeline { date type region description }
    records { region systemKind localId matchedBy fetchedAt }
  }
}
"""


def spanning_people(estate: Estate, count: int) -> list[TruePerson]:
    people = [p for p in estate.spanning(3) if p.noms and strongly_linked(estate, p)]
    return people[:count]


def test_a_person_across_three_or_more_regions_equals_the_ground_truth(
    estate: Estate, gql: GraphQLCall
) -> None:
    people = spanning_people(estate, 25)
    assert len(people) == 25
    for person in people:
        status, body = gql(OFFENDER, id=person.noms)
        assert status == 200
        assert "errors" not in body, body["errors"]
        offender = body["data"]["offender"]
        assert actual(offender) == expected(estate, person), person
        assert offender["identifiers"]["nomsNumber"] == person.noms
        assert offender["identifiers"]["crn"] == person.crn
        assert offender["identifiers"]["pncNumber"] == person.pnc
        assert offender["dateOfBirth"] == person.date_of_birth.isoformat()
        dates = [event["date"] for event in offender["timeline"]]
        assert dates == sorted(dates)


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
    assert calls["FindOffender"] >= 2  # one call per identifier (NOMS, then PNC and CRO)


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


def test_a_region_in_outage_costs_its_data_not_the_answer(
    estate: Estate, gql: GraphQLCall, set_faults
) -> None:
    person = next(p for p in spanning_people(estate, 50) if "probation-north" in p.slices)
    set_faults("probation-north", outage=True)
    started = time.monotonic()
    status, body = gql(OFFENDER, id=person.noms)
    elapsed = time.monotonic() - started
    assert status == 200
    assert elapsed < 4.0
    offender = body["data"]["offender"]
    assert offender is not None
    regions = {r["region"] for r in offender["records"]}
    assert "probation-north" not in regions
    assert regions == set(person.slices) - {"probation-north"}
    errors = body["errors"]
    assert errors and all(e["extensions"]["region"] == "probation-north" for e in errors)
    assert {e["extensions"]["code"] for e in errors} == {"REGION_UNAVAILABLE"}
    assert all("probation-north" in e["message"] for e in errors)


def test_a_slow_region_times_out_within_the_request_deadline(
    estate: Estate, running_estate: RunningEstate, set_faults
) -> None:
    group, url = serve_gateway(running_estate, region_timeout=0.5, request_deadline=2.0)
    try:
        person = next(p for p in spanning_people(estate, 50) if "prison-south" in p.slices)
        set_faults("prison-south", latency_ms=3000)
        started = time.monotonic()
        response = httpx.post(
            url, json={"query": OFFENDER, "variables": {"id": person.noms}}, timeout=10
        )
        elapsed = time.monotonic() - started
        body = response.json()
        assert response.status_code == 200
        assert elapsed < 1.5  # the region's own timeout, once, plus the healthy regions' work
        assert body["data"]["offender"] is not None
        assert {r["region"] for r in body["data"]["offender"]["records"]} == set(person.slices) - {
            "prison-south"
        }
        codes = {(e["extensions"]["code"], e["extensions"]["region"]) for e in body["errors"]}
        assert codes == {("REGION_TIMEOUT", "prison-south")}
    finally:
        group.stop()


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
    assert "custody_for" in regions["prison-north"]["capabilities"]
    assert "managers_for" in regions["probation-london"]["capabilities"]


@pytest.mark.parametrize(
    ("system", "faults", "code"),
    [
        ("prison-north", {"malformed_rate": 1}, "UPSTREAM_INVALID"),
        ("prison-wales", {"error_rate": 1}, "REGION_UNAVAILABLE"),
        ("probation-london", {"malformed_rate": 1}, "UPSTREAM_INVALID"),
        ("probation-wales", {"malformed_rate": 1}, "UPSTREAM_INVALID"),
        ("probation-south", {"error_rate": 1}, "REGION_UNAVAILABLE"),
    ],
)
def test_a_broken_region_is_named_and_the_others_still_answer(
    estate: Estate, gql: GraphQLCall, set_faults, system: str, faults: dict, code: str
) -> None:
    person = next(p for p in spanning_people(estate, 200) if system in p.slices)
    set_faults(system, **faults)
    status, body = gql(OFFENDER, id=person.crn)
    assert status == 200
    offender = body["data"]["offender"]
    assert offender is not None
    assert {r["region"] for r in offender["records"]} == set(person.slices) - {system}
    assert {(e["extensions"]["code"], e["extensions"]["region"]) for e in body["errors"]} == {
        (code, system)
    }


def test_search_with_a_region_down_returns_the_rest_and_names_it(
    gql: GraphQLCall, set_faults
) -> None:
    _, healthy = gql(SEARCH, name="Smith", first=100)
    set_faults("probation-north", outage=True)
    status, body = gql(SEARCH, name="Smith", first=100)
    assert status == 200
    page = body["data"]["offenders"]
    assert 0 < page["totalCount"] < healthy["data"]["offenders"]["totalCount"]
    regions = {r["region"] for e in page["edges"] for r in e["node"]["records"]}
    assert "probation-north" not in regions and len(regions) == 6
    assert {(e["extensions"]["code"], e["extensions"]["region"]) for e in body["errors"]} == {
        ("REGION_UNAVAILABLE", "probation-north")
    }


def test_every_region_down_is_still_an_answer_not_a_500(
    estate: Estate, running_estate: RunningEstate, gateway_url: str, gql: GraphQLCall, set_faults
) -> None:
    person = spanning_people(estate, 1)[0]
    for system in running_estate.systems:
        set_faults(system, outage=True)
    status, body = gql(OFFENDER, id=person.noms)
    assert status == 200
    assert body["data"] == {"offender": None}
    assert {e["extensions"]["region"] for e in body["errors"]} == set(running_estate.systems)
    ready = httpx.get(gateway_url.removesuffix("/graphql") + "/ready")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
