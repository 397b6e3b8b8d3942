"""schema.cost: a query's fan-out weighed before execution, and validation built once."""

from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema

from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from schema.build import build_schema
from tests.gateway.inprocess import FakeRegion, Gateway, person

REGIONS = 7
NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
EVERY_FIELD = (
    "id identifiers { nomsNumber crn pncNumber croNumber } name { surname } aliases { surname } "
    "dateOfBirth status offenderManager { staffCode } custody { prisonId } "
    "supervision { kind } timeline { type } alerts { code } records { region } "
    "sources { region outcome }"
)
EVERY_KIND = 5  # custody, supervision, movements, alerts, managers


async def errors_of(
    query: str, max_cost: int = 0, operation_name: str | None = None, **variables: Any
) -> list[dict[str, Any]]:
    """The formatted errors of ``query`` against a schema of 7 regions; no resolver runs when
    the query is refused, so no context is needed."""
    schema = build_schema(max_cost=max_cost, regions=REGIONS, max_page_size=100)
    result = await schema.execute(query, variable_values=variables, operation_name=operation_name)
    return [dict(e.formatted) for e in result.errors or []]


async def cost_of(query: str, **variables: Any) -> int:
    """The measured cost, read from the refusal of a schema whose limit is 0."""
    (error,) = await errors_of(query, **variables)
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    cost: int = error["extensions"]["cost"]
    return cost


def offender(selection: str, alias: str = "", identifier: str = "A1234AA") -> str:
    return f'{alias}offender(identifier: "{identifier}") {{ {selection} }}'


@pytest.mark.parametrize(
    ("selection", "kinds"),
    [
        ("__typename", 0),
        ("id identifiers { crn } name { surname } records { region } sources { region }", 0),
        ("status", 2),
        ("custody", 0),
        ("custody { prisonId }", 1),
        ("supervision { kind }", 1),
        ("timeline { type }", 2),
        ("alerts { code }", 1),
        ("offenderManager { staffCode }", 1),
        ("status custody { prisonId } supervision { kind }", 2),  # a kind is fetched once
        ("status timeline { type }", 3),
        (EVERY_FIELD, EVERY_KIND),
    ],
)
async def test_one_offender_costs_identity_plus_each_kind_of_fact_in_every_region(
    selection: str, kinds: int
) -> None:
    query = "{ " + offender(selection) + " }"
    if selection == "custody":  # a list of objects needs a selection: invalid, not weighed
        (error,) = await errors_of(query, max_cost=10**6)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        return
    assert await cost_of(query) == REGIONS + kinds * REGIONS


@pytest.mark.parametrize(
    ("arguments", "page"),
    [
        ('name: "Smith"', 20),  # the default of first
        ('name: "Smith", first: 5', 5),
        ('name: "Smith", first: 100', 100),
        ('name: "Smith", first: 101', 0),  # refused by the service before any region is asked
        ('name: "Smith", first: 0', 0),
    ],
)
async def test_a_search_costs_the_search_plus_each_person_completed_and_detailed(
    arguments: str, page: int
) -> None:
    query = f"{{ offenders({arguments}) {{ totalCount edges {{ node {{ status }} }} }} }}"
    assert await cost_of(query) == REGIONS + page * (REGIONS + 2 * REGIONS)


async def test_a_search_without_nodes_still_pays_for_completing_the_page() -> None:
    assert await cost_of('{ offenders(name: "S", first: 3) { totalCount } }') == 7 + 3 * 7


async def test_a_page_size_given_as_a_variable_is_weighed_with_its_value() -> None:
    query = 'query($n: Int! = 3) { offenders(name: "S", first: $n) { edges { node { status } } } }'
    assert await cost_of(query, n=7) == REGIONS + 7 * (REGIONS + 2 * REGIONS)
    assert await cost_of(query) == REGIONS + 3 * (REGIONS + 2 * REGIONS)  # the default value
    assert await cost_of(query, n=1000) == REGIONS  # out of range: refused by the service


async def test_named_and_inline_fragments_are_followed_at_every_level() -> None:
    query = """
      query { ...Root }
      fragment Root on Query {
        offenders(name: "S", first: 2) { ... on OffenderConnection { edges { ...Edge } } }
        one: offender(identifier: "A1234AA") { ...Details }
      }
      fragment Edge on OffenderEdge { node { ... on Offender { ...Details } } }
      fragment Details on Offender { status ... { alerts { code } } }
    """
    search = REGIONS + 2 * (REGIONS + 3 * REGIONS)
    assert await cost_of(query) == search + REGIONS + 3 * REGIONS


async def test_aliases_add_up() -> None:
    query = "{ " + " ".join(offender("status", f"o{i}: ") for i in range(3)) + " }"
    assert await cost_of(query) == 3 * (REGIONS + 2 * REGIONS)


async def test_fields_merged_under_one_response_key_are_weighed_once() -> None:
    # the executor runs one resolver for both: one lookup, with custody and status together
    query = "{ " + offender("status") + " " + offender("custody { prisonId }") + " ...F ...F }"
    query += ' fragment F on Query { offender(identifier: "A1234AA") { alerts { code } } }'
    assert await cost_of(query) == REGIONS + 3 * REGIONS


async def test_the_operation_that_runs_is_weighed() -> None:
    cheap = "query A { regions { name } }"
    costly = 'query B { offenders(name: "S", first: 100) { edges { node { status } } } }'
    errors = await errors_of(cheap + " " + costly, max_cost=1500, operation_name="B")
    assert [e["extensions"]["cost"] for e in errors] == [7 + 100 * 21]


async def test_fragment_cycles_do_not_hang_the_weighing() -> None:
    query = (
        "{ " + offender("...A") + " } "
        "fragment A on Offender { status ...B } fragment B on Offender { alerts { code } ...A }"
    )
    errors = await errors_of(query, max_cost=10**6)
    assert errors
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert "Cannot spread fragment" in errors[0]["message"]


async def test_a_fragment_bomb_is_weighed_in_linear_time() -> None:
    # 30 fragments each spreading the next twice: 2**30 spreads if followed naively
    fragments = " ".join(
        f"fragment F{i} on Offender {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
    )
    query = "{ " + offender("...F0") + " } " + fragments + " fragment F30 on Offender { status }"
    assert await cost_of(query) == REGIONS + 2 * REGIONS


# --- against the default limit (1500) ------------------------------------------------------


async def test_thirty_aliases_of_a_full_page_are_refused_with_cost_and_limit() -> None:
    pages = (
        f'o{i}: offenders(name: "Smith", first: 100) {{ edges {{ node {{ {EVERY_FIELD} }} }} }}'
        for i in range(30)
    )
    cost = 30 * (REGIONS + 100 * (REGIONS + EVERY_KIND * REGIONS))
    assert await errors_of("{ " + " ".join(pages) + " }", max_cost=1500) == [
        {
            "message": f"Query cost {cost} exceeds the maximum cost 1500 "
            "(estimated region operations).",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": 1500},
        }
    ]


async def test_a_costly_query_reaches_no_region() -> None:
    a = FakeRegion("a", SystemKind.CUSTODY, [person("a", "a1", NOMS)])
    gateway = Gateway([a])
    gateway.schema = build_schema(max_cost=50, regions=1, max_page_size=100)
    query = '{ offenders(name: "Smith", first: 100) { edges { node { status } } } }'
    data, errors = await gateway.execute(query)
    assert data is None
    assert [e["extensions"] for e in errors] == [
        {"code": "QUERY_TOO_COSTLY", "cost": 1 + 100 * 3, "maxCost": 50}
    ]
    assert a.count(Capability.SEARCH_PEOPLE) == 0


async def test_a_full_lookup_and_a_full_page_of_twenty_pass_the_default_limit() -> None:
    gateway = Gateway(
        [FakeRegion(f"r{i}", SystemKind.CUSTODY, [person(f"r{i}", "p1", NOMS)]) for i in range(7)]
    )
    for query in (
        "{ " + offender(EVERY_FIELD, identifier=NOMS.value) + " }",
        f'{{ offenders(name: "Smith", first: 20) {{ edges {{ node {{ {EVERY_FIELD} }} }} }} }}',
    ):
        data, errors = await gateway.execute(query)
        assert errors == []
        assert data is not None


# --- validation is built once, so the cache hits ---------------------------------------------


async def test_identical_documents_are_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    schema = build_schema(regions=REGIONS, introspection=False)
    for _ in range(3):
        result = await schema.execute("{ __typename }")
        assert result.errors is None
    assert len(calls) == 1
    result = await schema.execute("{ __schema { queryType { name } } }")
    assert result.errors and len(calls) == 2  # the introspection rule is among the cached rules


# --- depth and aliases, in linear time --------------------------------------------------------


async def shape_errors(query: str, **limits: int) -> list[dict[str, Any]]:
    """The errors of ``query`` run in-process over one empty region, with these limits."""
    gateway = Gateway([FakeRegion("a", SystemKind.PROBATION, [])])
    gateway.schema = build_schema(regions=1, **limits)
    return (await gateway.execute(query))[1]


async def test_a_query_deeper_than_the_limit_is_too_deep_also_through_fragments() -> None:
    deep = '{ offenders(name: "S") { edges { node { custody { sentence { release } } } } } }'
    through = (
        '{ offenders(name: "S") { ...E } } fragment E on OffenderConnection '
        "{ edges { node { ... on Offender { custody { sentence { release } } } } } }"
    )
    for query in (deep, through):
        (error,) = await shape_errors(query, max_depth=4)
        assert error["extensions"] == {"code": "QUERY_TOO_DEEP"}
        assert error["message"] == "'anonymous' exceeds maximum operation depth of 4"
        assert await shape_errors(query, max_depth=5) == []


async def test_introspection_fields_do_not_count_for_depth() -> None:
    query = "{ __schema { types { fields { type { ofType { name } } } } } }"
    assert await shape_errors(query, max_depth=1) == []


async def test_aliases_are_counted_through_every_fragment_spread() -> None:
    query = (
        "{ ...R ...R } fragment R on Query { "
        + " ".join(f"r{i}: regions {{ name }}" for i in range(8))
        + " }"
    )
    (error,) = await shape_errors(query, max_aliases=15)
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY"}
    assert error["message"] == "16 aliases found. Allowed: 15"
    assert await shape_errors(query, max_aliases=16) == []


async def test_a_fragment_bomb_is_validated_in_linear_time() -> None:
    # 40 fragments each spreading the next twice: 2**40 spreads for a naive limiter
    fragments = " ".join(
        f"fragment F{i} on Query {{ a{i}: regions {{ name }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(40)
    )
    query = "{ ...F0 } " + fragments + " fragment F40 on Query { regions { name } }"
    started = time.monotonic()
    errors = await shape_errors(query)
    assert time.monotonic() - started < 2.0
    assert [e["extensions"]["code"] for e in errors] == ["QUERY_TOO_COSTLY"]
    assert errors[0]["message"] == f"{2**40 - 1} aliases found. Allowed: 30"


async def test_possible_matches_cost_a_search_and_each_offered_person() -> None:
    """R for the surname search, then for each of the 10 offered: R to complete them and R per
    kind their own selection asks (here status: 2 kinds)."""
    plain = await cost_of("{ " + offender("name { surname }") + " }")
    matched = await cost_of("{ " + offender("possibleMatches { score offender { status } }") + " }")
    assert plain == REGIONS
    assert matched == REGIONS + REGIONS + 10 * (REGIONS + 2 * REGIONS)
    nested = await cost_of(
        "{ " + offender("possibleMatches { offender { possibleMatches { score } } }") + " }"
    )
    assert nested == REGIONS + REGIONS + 10 * (REGIONS + REGIONS + 10 * REGIONS)


@pytest.mark.parametrize("listing", ['prison: "MDI"', 'probationRegion: "N03"', 'staffCode: "X"'])
async def test_a_listing_costs_its_pages_in_every_region(listing: str) -> None:
    page = "first: 5) { edges { node { id } } } }"
    search = await cost_of('{ offenders(name: "Smith", ' + page)
    listed = await cost_of("{ offenders(" + listing + ", " + page)
    assert search == REGIONS + 5 * REGIONS
    assert listed == 10 * REGIONS + 5 * REGIONS  # 2000 records a region at most, 200 a page


async def test_a_status_filter_costs_the_kinds_status_needs_for_each_person() -> None:
    page = "first: 5) { edges { node { id } } } }"
    filtered = await cost_of('{ offenders(name: "Smith", status: ON_LICENCE, ' + page)
    shared = await cost_of(
        '{ offenders(name: "Smith", status: ON_LICENCE, first: 5) '
        "{ edges { node { status custody { prisonId } } } } }"
    )
    more = await cost_of(
        '{ offenders(name: "Smith", status: ON_LICENCE, first: 5) '
        "{ edges { node { alerts { code } } } } }"
    )
    assert filtered == REGIONS + 5 * (REGIONS + 2 * REGIONS)
    assert shared == filtered  # status's own kinds (custody, supervision) counted once
    assert more == REGIONS + 5 * (REGIONS + 3 * REGIONS)
