"""The HTTP surface: GraphiQL offline, health and readiness, limits, hostile queries."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from gateway.cli.estate import example_people
from gateway.graphiql import EXAMPLE_QUERY, STATIC_DIR
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import GraphQLCall, serve_gateway


@pytest.fixture(scope="module")
def graphiql_url(running_estate: RunningEstate) -> Iterator[str]:
    """A gateway with GraphiQL on (off by default, as in production)."""
    group, url = serve_gateway(running_estate, graphiql=True)
    yield url
    group.stop()


def test_graphiql_page_and_its_assets_are_served_by_the_gateway(graphiql_url: str) -> None:
    gateway_url = graphiql_url
    page = httpx.get(gateway_url, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Offender Graph" in page.text
    assert "offender(identifier: $identifier)" in page.text  # the example query
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert external == []
    assets = [s for s in sources if s.startswith("/graphiql/")]
    assert len(assets) == 7
    root = gateway_url.removesuffix("/graphql")
    for asset in assets:
        response = httpx.get(root + asset)
        assert response.status_code == 200, asset
        local = STATIC_DIR / "graphiql" / asset.removeprefix("/graphiql/")
        assert response.content == local.read_bytes()


def test_health_and_readiness(gateway_url: str, gql: GraphQLCall) -> None:
    root = gateway_url.removesuffix("/graphql")
    assert httpx.get(root + "/health").json() == {"status": "ok"}
    gql('{ offender(identifier: "A0000AA") { id } }')
    ready = httpx.get(root + "/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True
    assert set(body["regions"]) >= {"prison-north", "probation-wales"}
    assert all(r["status"] == "UP" for r in body["regions"].values())


def test_an_oversized_body_is_refused_before_it_is_read(gateway_url: str) -> None:
    query = "{ regions { name } }" + " " * 300_000
    response = httpx.post(gateway_url, json={"query": query})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ offender(identifier: ", "GRAPHQL_PARSE_FAILED"),
        ('{ offender(identifier: "A1234AA") { nope } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ offender { id } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            '{ offenders(name: "Smith") { edges { node { records { region } '
            "custody { sentence { release } } } } } }",
            None,
        ),
        (
            '{ offenders(name: "Smith") { edges { node { id } } pageInfo { endCursor } '
            + "edges { node { id } } " * 2
            + "} }",
            None,
        ),
    ],
)
def test_malformed_queries_get_a_coded_error(
    gql: GraphQLCall, query: str, code: str | None
) -> None:
    status, body = gql(query)
    if code is None:  # well-formed: answered without errors
        assert "errors" not in body, body.get("errors")
        return
    assert status in (200, 400)
    assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    "query",
    [
        "{ "
        + " ".join(f'o{i}: offender(identifier: "A{i:04d}AA") {{ id }}' for i in range(31))
        + " }",
        "{ regions { " + "name " * 5001 + "} }",
    ],
    ids=["31 aliases", "5001 tokens"],
)
def test_a_query_that_would_fan_out_too_far_is_refused_before_any_region_is_asked(
    running_estate: RunningEstate, gql: GraphQLCall, query: str
) -> None:
    counters = running_estate.systems["prison-north"].url + "_sim/counters"
    httpx.delete(counters)
    status, body = gql(query)
    assert status in (200, 400)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert body.get("data") is None
    assert httpx.get(counters).json() == {}


def test_a_too_deep_query_is_refused(running_estate: RunningEstate) -> None:
    group, url = serve_gateway(running_estate, max_depth=3)
    try:
        deep = (
            '{ offenders(name: "Smith") { edges { node { custody { sentence { release } } } } } }'
        )
        body = httpx.post(url, json={"query": deep}).json()
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        assert "data" not in body or body["data"] is None
    finally:
        group.stop()


def test_introspection_can_be_switched_off(running_estate: RunningEstate) -> None:
    group, url = serve_gateway(running_estate, introspection=False, graphiql=False)
    try:
        body = httpx.post(url, json={"query": "{ __schema { types { name } } }"}).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        page = httpx.get(url, headers={"accept": "text/html"})
        assert page.status_code == 404
    finally:
        group.stop()


def test_a_body_that_is_not_json_is_a_client_error(gateway_url: str) -> None:
    response = httpx.post(
        gateway_url, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_the_graphiql_example_query_answers_a_real_person_whole(
    estate: Estate, running_estate: RunningEstate, gql: GraphQLCall
) -> None:
    person = example_people(estate)[0]
    status, body = gql(EXAMPLE_QUERY, identifier=person.noms)
    assert status == 200 and "errors" not in body, body.get("errors")
    offender = body["data"]["offender"]
    assert offender["identifiers"] == {
        "nomsNumber": person.noms,
        "crn": person.crn,
        "pncNumber": person.pnc,
    }
    assert sorted((r["region"], r["localId"]) for r in offender["records"]) == sorted(
        person.slices.items()
    )
    assert [s["region"] for s in offender["sources"]] == list(running_estate.systems)
    assert {s["outcome"] for s in offender["sources"]} == {"OK"}
    assert [r["name"] for r in body["data"]["regions"]] == list(running_estate.systems)
    assert {r["breaker"] for r in body["data"]["regions"]} == {"CLOSED"}
