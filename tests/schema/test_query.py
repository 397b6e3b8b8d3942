"""Query resolvers in-process, over fake regions (no network): search merging and paging."""

from __future__ import annotations

from typing import Any

from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from tests.gateway.inprocess import FakeRegion, Gateway, person

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")


def region(name: str, *records: Any) -> FakeRegion:
    return FakeRegion(name, SystemKind.PROBATION, list(records))


async def run(regions: list[FakeRegion], query: str) -> Any:
    data, errors = await Gateway(regions).execute(query)
    assert errors == []
    return data


async def test_two_hits_linked_only_through_a_record_the_search_missed_are_one_person() -> None:
    regions = [
        region("a", person("a", "a1", NOMS)),
        region("b", person("b", "b1", CRN, PNC)),
        region("c", person("c", "c1", CRN, NOMS, surname="Smyth")),  # spelt otherwise
    ]
    data = await run(
        regions,
        '{ offenders(name: "Smith") { totalCount edges { cursor node { '
        "identifiers { nomsNumber crn pncNumber } records { region localId } } } } }",
    )
    edges = data["offenders"]["edges"]
    assert len(edges) == 1
    node = edges[0]["node"]
    assert {(r["region"], r["localId"]) for r in node["records"]} == {
        ("a", "a1"),
        ("b", "b1"),
        ("c", "c1"),
    }
    assert node["identifiers"] == {
        "nomsNumber": NOMS.value,
        "crn": CRN.value,
        "pncNumber": PNC.value,
    }


async def test_people_who_only_share_a_name_stay_apart_and_page_in_order() -> None:
    people = [person("a", f"a{i}", Identifier(IdentifierKind.CRN, f"X00000{i}")) for i in range(5)]
    regions = [region("a", *people)]
    query = (
        '{ offenders(name: "Smith", first: 2%s) { totalCount '
        "pageInfo { hasNextPage endCursor } edges { node { records { localId } } } } }"
    )
    seen: list[str] = []
    after = ""
    for _ in range(5):
        page = (await run(regions, query % after))["offenders"]
        assert page["totalCount"] == 5
        seen += [e["node"]["records"][0]["localId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = f', after: "{page["pageInfo"]["endCursor"]}"'
    assert seen == [f"a{i}" for i in range(5)]  # name, then canonical identifier order


async def test_a_region_filter_searches_only_that_region_and_completes_people_everywhere() -> None:
    a = region("a", person("a", "a1", NOMS))
    b = region("b", person("b", "b1", NOMS, surname="Smyth"))
    data = await run(
        [a, b],
        '{ offenders(name: "Smith", region: "a") { totalCount '
        "edges { node { records { region } } } } }",
    )
    assert data["offenders"]["totalCount"] == 1
    assert b.count(Capability.SEARCH_PEOPLE) == 0
    assert [r["region"] for r in data["offenders"]["edges"][0]["node"]["records"]] == ["a", "b"]


async def test_an_offender_id_round_trips_and_reveals_no_identifier() -> None:
    gateway = Gateway([region("a", person("a", "a1", NOMS, CRN))])
    data, _ = await gateway.execute('{ offender(identifier: "A1234BC") { id } }')
    offender_id = data["offender"]["id"]
    assert NOMS.value not in offender_id and CRN.value not in offender_id
    again, errors = await gateway.execute(
        "query($id: String!) { offender(identifier: $id) { identifiers { crn } } }", id=offender_id
    )
    assert errors == []
    assert again["offender"]["identifiers"]["crn"] == CRN.value
