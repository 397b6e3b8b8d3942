"""Query resolvers in-process, over fake connectors (no network): search merging and paging."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from connectors.base import Capability, Connector, PersonSearch
from connectors.config import RegionConfig
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord, SystemKind
from gateway.context import new_context
from gateway.health import RegionHealth
from schema.build import build_schema

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")


def record(region: str, local_id: str, surname: str, *ids: Identifier) -> PersonRecord:
    return PersonRecord(region, local_id, ids, PersonName("Ann", surname), date(1980, 1, 1))


class Fake(Connector):
    """Holds records; finds them by identifier and by exact surname."""

    dialect = "fake"
    capabilities = frozenset({Capability.FIND_BY_IDENTIFIERS, Capability.SEARCH_PEOPLE})
    identifier_kinds = frozenset(IdentifierKind)

    def __init__(self, name: str, records: list[PersonRecord]) -> None:
        super().__init__(RegionConfig(name, "fake", SystemKind.PROBATION, "http://fake/"))
        self.records = records
        self.calls: list[str] = []

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> list[list[PersonRecord]]:
        self.calls.append("find")
        return [[r for r in self.records if i in r.identifiers] for i in identifiers]

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        self.calls.append("search")
        return [r for r in self.records if r.name.surname == query.surname]


async def run(connectors: dict[str, Connector], query: str) -> Any:
    context = new_context(
        connectors, RegionHealth(list(connectors)), deadline_seconds=5, max_page_size=100
    )
    result = await build_schema().execute(query, context_value=context)
    assert result.errors is None, result.errors
    return result.data


async def test_two_hits_linked_only_through_a_record_the_search_missed_are_one_person() -> None:
    connectors: dict[str, Connector] = {
        "a": Fake("a", [record("a", "a1", "Smith", NOMS)]),
        "b": Fake("b", [record("b", "b1", "Smith", CRN, PNC)]),
        "c": Fake("c", [record("c", "c1", "Smyth", CRN, NOMS)]),  # spelt otherwise
    }
    data = await run(
        connectors,
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
    people = [
        record("a", f"a{i}", "Smith", Identifier(IdentifierKind.CRN, f"X00000{i}"))
        for i in range(5)
    ]
    connectors: dict[str, Connector] = {"a": Fake("a", people)}
    query = (
        '{ offenders(name: "Smith", first: 2%s) { totalCount '
        "pageInfo { hasNextPage endCursor } edges { node { records { localId } } } } }"
    )
    seen: list[str] = []
    after = ""
    for _ in range(5):
        page = (await run(connectors, query % after))["offenders"]
        assert page["totalCount"] == 5
        seen += [e["node"]["records"][0]["localId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = f', after: "{page["pageInfo"]["endCursor"]}"'
    assert sorted(seen) == [f"a{i}" for i in range(5)]
    assert len(seen) == 5


async def test_a_region_filter_asks_only_that_region() -> None:
    a, b = Fake("a", [record("a", "a1", "Smith", NOMS)]), Fake("b", [])
    data = await run({"a": a, "b": b}, '{ offenders(name: "Smith", region: "a") { totalCount } }')
    assert data["offenders"]["totalCount"] == 1
    assert b.calls == []
