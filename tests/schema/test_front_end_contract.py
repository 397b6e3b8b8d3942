"""What front-end teams build on: every schema element described, closed sets as enums, Relay
connections and ``node(id:)``, ``@specifiedBy`` scalars, and bad variables as BAD_USER_INPUT."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
)

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from schema.sdl import export_sdl
from tests.gateway.inprocess import FakeRegion, Gateway, person

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")


def undescribed() -> list[str]:
    schema = build_schema(export_sdl())
    missing = []
    for name, t in schema.type_map.items():
        if name.startswith("_") or name in ("String", "Boolean", "Int", "Float", "ID"):
            continue  # introspection, federation's own (_Any, _Entity, _Service) and built-ins
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, f in t.fields.items():
                if field_name.startswith("_"):
                    continue  # _service and _entities, which federation adds
                if not f.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(f, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in t.values.items() if not value.description]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undescribed() == []


def test_closed_sets_are_enums() -> None:
    schema = build_schema(export_sdl())

    def named(type_name: str, field: str) -> str:
        t = schema.type_map[type_name]
        assert isinstance(t, GraphQLObjectType)
        of: Any = t.fields[field].type
        while hasattr(of, "of_type"):
            of = of.of_type
        return str(of.name)

    assert named("Region", "status") == "RegionStatus"
    assert named("Region", "breaker") == "BreakerState"
    assert named("Region", "capabilities") == "Capability"
    assert named("OffenderManager", "role") == "ManagerRole"
    assert named("CustodyEpisode", "inOutStatus") == "InOutStatus"
    assert named("SourceRecord", "matchedBy") == "IdentifierKind"


def test_date_scalars_say_how_they_are_specified() -> None:
    schema = build_schema(export_sdl())
    for name in ("Date", "DateTime"):
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)
        assert scalar.specified_by_url and scalar.specified_by_url.startswith("https://")


def gateway() -> Gateway:
    prison = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", NOMS)])
    probation = FakeRegion(
        "probation", SystemKind.PROBATION, [person("probation", "C1", NOMS, CRN)]
    )
    return Gateway([prison, probation])


async def test_node_by_id_is_the_offender_and_refuses_raw_identifiers() -> None:
    gw = gateway()
    data, errors = await gw.execute(
        "query($id: String!) { offender(identifier: $id) { id identifiers { crn } } }",
        id=NOMS.value,
    )
    assert errors == []
    offender_id = data["offender"]["id"]
    data, errors = await gw.execute(
        "query($id: ID!) { node(id: $id) { __typename id "
        "... on Offender { identifiers { nomsNumber crn } records { region localId } } } }",
        id=offender_id,
    )
    assert errors == []
    assert data["node"] == {
        "__typename": "Offender",
        "id": offender_id,
        "identifiers": {"nomsNumber": NOMS.value, "crn": CRN.value},
        "records": [
            {"region": "prison", "localId": "P1"},
            {"region": "probation", "localId": "C1"},
        ],
    }
    data, errors = await gw.execute("query($id: ID!) { node(id: $id) { id } }", id=NOMS.value)
    assert data == {"node": None}
    assert [e["extensions"]["code"] for e in errors] == ["BAD_IDENTIFIER"]


async def test_page_info_is_relay_compliant() -> None:
    gw = gateway()
    query = """query($after: String) { offenders(name: "Smith", first: 1, after: $after) {
      edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    data, errors = await gw.execute(query)
    assert errors == []
    page = data["offenders"]
    assert len(page["edges"]) == 1
    cursor = page["edges"][0]["cursor"]
    assert page["pageInfo"] == {
        "hasNextPage": False,  # both records are one person
        "hasPreviousPage": False,
        "startCursor": cursor,
        "endCursor": cursor,
    }
    data, errors = await gw.execute(query, after=cursor)
    assert errors == []
    assert data["offenders"]["edges"] == []
    assert data["offenders"]["pageInfo"]["hasPreviousPage"] is True
    assert data["offenders"]["pageInfo"]["startCursor"] is None


async def test_bad_variable_values_are_bad_user_input() -> None:
    gw = gateway()
    cases = [
        (
            'query($d: Date) { offenders(name: "Smith", dateOfBirth: $d) { totalCount } }',
            {"d": "1980-13-45"},
        ),
        ('query($n: Int!) { offenders(name: "Smith", first: $n) { totalCount } }', {"n": "ten"}),
        ("query($id: String!) { offender(identifier: $id) { id } }", {}),
    ]
    for query, variables in cases:
        data, errors = await gw.execute(query, **variables)
        assert data is None
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], errors


async def test_a_search_with_neither_a_name_nor_a_listing_is_refused_with_a_code() -> None:
    data, errors = await gateway().execute("{ offenders { totalCount } }")
    assert data is None
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
    assert errors[0]["message"] == "give a name, prison, probationRegion or staffCode"
