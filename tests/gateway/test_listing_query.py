"""Listing people without a name, end to end: a prison's people equal the truth's, every page
walked gives each person once, a status filter, and refusals with a code."""

from __future__ import annotations

from typing import Any

from simulators.stores import located_at
from simulators.truth import Estate
from tests.conftest import GraphQLCall
from tests.gateway.truth import identifiers_of, spelled_alike, strongly_linked, true_status

LISTING = """
query($prison: String, $probationRegion: String, $staffCode: String, $status: OffenderStatus,
      $region: String, $name: String, $first: Int!, $after: String) {
  offenders(prison: $prison, probationRegion: $probationRegion, staffCode: $staffCode,
            status: $status, region: $region, name: $name, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      match { kind }
      node {
        id name { forename surname } dateOfBirth status
        identifiers { nomsNumber crn pncNumber croNumber }
        records { region localId }
      }
    }
  }
}
"""
REGIONS = "{ regions { name capabilities } }"


def listing_regions(gql: GraphQLCall) -> set[str]:
    _, body = gql(REGIONS)
    return {r["name"] for r in body["data"]["regions"] if "LIST_PEOPLE" in r["capabilities"]}


def every_page(gql: GraphQLCall, first: int, **variables: Any) -> tuple[list[dict], int]:
    edges: list[dict] = []
    after = None
    for _ in range(100):
        status, body = gql(LISTING, timeout=60, first=first, after=after, **variables)
        assert status == 200 and "errors" not in body, body
        page = body["data"]["offenders"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges, page["totalCount"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("too many pages")


def test_a_prison_listing_equals_the_truths_people_in_that_prison(
    estate: Estate, gql: GraphQLCall
) -> None:
    listing = listing_regions(gql)
    held = {
        (system, record.local_id)
        for system, store in estate.systems.items()
        if system in listing
        for record in store.records.values()
        if located_at(record, "MDI")
    }
    assert len(held) >= 10
    owners = estate.owners()
    edges, total = every_page(gql, first=8, prison="MDI")
    assert total == len(edges)
    ids = [e["node"]["id"] for e in edges]
    assert len(ids) == len(set(ids))  # each person once across the pages
    keys = [{(r["region"], r["localId"]) for r in e["node"]["records"]} for e in edges]
    assert {k for ks in keys for k in ks if k in held} == held
    assert all(ks & held for ks in keys)  # nobody else
    names = [
        (e["node"]["name"]["surname"].casefold(), e["node"]["name"]["forename"].casefold())
        for e in edges
    ]
    assert names == sorted(names)
    compared = 0
    for edge, ks in zip(edges, keys, strict=True):
        node = edge["node"]
        assert edge["match"] is None
        person = estate.people[owners[next(iter(ks & held))]]
        assert true_status(estate, person) == "IN_CUSTODY" == node["status"]
        if strongly_linked(estate, person) and spelled_alike(estate, person):
            compared += 1
            assert ks == set(person.slices.items())
            assert node["name"] == {"forename": person.forename, "surname": person.surname}
            assert node["dateOfBirth"] == person.date_of_birth.isoformat()
            held_ids = {
                i.kind.value: i.value
                for _, record in estate.records_of(person.person_id)
                for i in identifiers_of(record)
            }
            assert node["identifiers"] == {
                "nomsNumber": held_ids.get("NOMS"),
                "crn": held_ids.get("CRN"),
                "pncNumber": held_ids.get("PNC"),
                "croNumber": held_ids.get("CRO"),
            }
    assert compared >= 5


def test_a_caseload_with_a_status_filter_keeps_only_that_status(
    estate: Estate, gql: GraphQLCall
) -> None:
    listing = listing_regions(gql)
    owners = estate.owners()
    managed = [
        (system, record)
        for system, store in estate.systems.items()
        if system in listing and store.kind == "PROBATION"
        for record in store.records.values()
        if record.managers
    ]
    counts: dict[str, set[tuple[str, str]]] = {}
    for system, record in managed:
        for m in record.managers:
            counts.setdefault(m.staff_code, set()).add((system, record.local_id))
    staff, cases = max(counts.items(), key=lambda item: len(item[1]))
    edges, total = every_page(gql, first=50, staffCode=staff)
    assert total == len(edges)
    found = {(r["region"], r["localId"]) for e in edges for r in e["node"]["records"]}
    assert cases <= found
    people = {owners[k] for k in cases}
    wanted = {p for p in people if true_status(estate, estate.people[p]) == "ON_LICENCE"}
    edges, total = every_page(gql, first=50, staffCode=staff, status="ON_LICENCE")
    assert all(e["node"]["status"] == "ON_LICENCE" for e in edges)
    listed = {owners[(r["region"], r["localId"])] for e in edges for r in e["node"]["records"]}
    assert wanted <= listed and total == len(edges)


def test_an_unknown_prison_lists_nobody(gql: GraphQLCall) -> None:
    status, body = gql(LISTING, first=10, prison="ZZZ")
    assert status == 200 and "errors" not in body, body
    page = body["data"]["offenders"]
    assert page["edges"] == [] and page["totalCount"] == 0
    assert page["pageInfo"]["hasNextPage"] is False


def test_listings_refuse_bad_input_with_a_code(gql: GraphQLCall) -> None:
    for variables, fragment in (
        ({}, "give a name, prison, probationRegion or staffCode"),
        ({"prison": "MDI", "probationRegion": "N03"}, "not both"),
        ({"prison": "MDI", "name": "Smith"}, "cannot be combined"),
        ({"prison": "MDI", "region": "N07"}, 'probationRegion: "N07"'),
        ({"prison": "MDI", "first": 0}, "first must be between"),
        ({"prison": "MDI", "after": "garbage!"}, "not a cursor"),
    ):
        status, body = gql(LISTING, **{"first": 5, **variables})
        assert status == 200
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert fragment in error["message"], (variables, error["message"])
        assert body["data"] is None
