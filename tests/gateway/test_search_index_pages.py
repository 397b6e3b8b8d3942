"""Completing a search page through the person index: once a page's people are known freshly,
the same page is confirmed in one round (each record asked once) instead of walked, with the
same answer and fewer identity calls in every region."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from simulators.runner import RunningEstate
from tests.conftest import GraphQLCall, graphql_caller, serve_gateway

IDENTITY_OPS = {"FindOffenders", "FindOffender", "findByIdentifiers", "findByIdentifier"}
PAGE = """
query($name: String!, $sources: Boolean!) {
  offenders(name: $name, first: 20) {
    totalCount
    edges {
      cursor match { kind }
      node {
        id name { surname } records { region localId fetchedAt }
        sources @include(if: $sources) { region outcome }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def fresh_gql(running_estate: RunningEstate) -> Iterator[GraphQLCall]:
    """A gateway of its own, with a person index that starts empty."""
    group, url = serve_gateway(running_estate, region_timeout=5.0, request_deadline=15.0)
    yield graphql_caller(url)
    group.stop()


def identity_calls(running: RunningEstate) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name, system in running.systems.items():
        counts = httpx.get(system.url + "_sim/counters", timeout=5).json()
        calls[name] = sum(n for op, n in counts.items() if op in IDENTITY_OPS)
    return calls


def reset(running: RunningEstate) -> None:
    for system in running.systems.values():
        httpx.delete(system.url + "_sim/counters", timeout=5).raise_for_status()


def test_a_page_the_index_knows_is_confirmed_with_fewer_calls_and_the_same_answer(
    running_estate: RunningEstate, fresh_gql: GraphQLCall
) -> None:
    reset(running_estate)
    status, cold = fresh_gql(PAGE, name="Jones", sources=False)
    assert status == 200 and "errors" not in cold, cold
    walked = identity_calls(running_estate)
    reset(running_estate)
    status, warm = fresh_gql(PAGE, name="Jones", sources=False)
    assert status == 200 and "errors" not in warm, warm
    located = identity_calls(running_estate)
    assert _without_times(warm) == _without_times(cold)  # same people, ids, records, order
    assert len(cold["data"]["offenders"]["edges"]) == 20
    assert all(located[r] <= walked[r] for r in walked), (walked, located)
    assert sum(located.values()) < sum(walked.values()), (walked, located)


def test_every_region_holding_a_record_of_a_located_hit_answered(
    fresh_gql: GraphQLCall,
) -> None:
    for _ in range(2):  # walked, then through the index
        status, body = fresh_gql(PAGE, name="Jones", sources=True)
        assert status == 200 and "errors" not in body, body
        for edge in body["data"]["offenders"]["edges"]:
            node = edge["node"]
            outcomes = {s["region"]: s["outcome"] for s in node["sources"]}
            for record in node["records"]:
                assert outcomes[record["region"]] == "OK", node
                assert record["fetchedAt"], node


def _without_times(body: dict) -> dict:
    edges = body["data"]["offenders"]["edges"]
    for edge in edges:
        for record in edge["node"]["records"]:
            record.pop("fetchedAt")
    return body
