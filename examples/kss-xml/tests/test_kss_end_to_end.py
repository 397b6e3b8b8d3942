"""End to end: the default estate plus CaseLink (``--extra-system probation-kss``), a gateway over
both, and people whose records include the KSS region answered as the ground truth says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import GraphQLCall, graphql_caller, serve_gateway
from tests.gateway.test_end_to_end import OFFENDER
from tests.gateway.truth import actual, expected, strongly_linked

KSS = "probation-kss"


@pytest.fixture(scope="module")
def estate() -> Estate:
    return generate_estate(extra_systems=[KSS])


@pytest.fixture(scope="module")
def running(estate: Estate) -> Iterator[RunningEstate]:
    with RunningEstate(estate) as running:
        yield running


@pytest.fixture(scope="module")
def gql(running: RunningEstate) -> Iterator[GraphQLCall]:
    group, url = serve_gateway(running, request_deadline=4.0)
    yield graphql_caller(url)
    group.stop()


def test_the_kss_system_joins_the_estate_with_a_password_by_reference(
    estate: Estate, running: RunningEstate
) -> None:
    assert list(estate.systems)[-1] == KSS  # appended: the default systems keep their ports
    assert estate.systems[KSS].records and all(
        local_id.startswith("KSS") for local_id in estate.systems[KSS].records
    )
    table: dict[str, Any] = running.region_tables()[KSS]
    assert table["dialect"] == "kss-xml" and set(table["options"]["password"]) == {"file"}
    assert "clé" not in running.config_toml()  # the password itself is in no config


def test_people_with_kss_records_equal_the_ground_truth(
    estate: Estate, running: RunningEstate, gql: GraphQLCall
) -> None:
    people = [
        p
        for p in estate.people.values()
        if KSS in p.slices and len(p.slices) >= 2 and p.crn and strongly_linked(estate, p)
    ][:15]
    assert len(people) == 15
    for person in people:
        status, body = gql(OFFENDER, id=person.crn)
        assert status == 200 and "errors" not in body, body
        offender = body["data"]["offender"]
        assert actual(offender) == expected(estate, person), person
        sources = {s["region"]: s for s in offender["sources"]}
        assert list(sources) == list(running.systems)
        assert all(s["outcome"] == "OK" and s["code"] is None for s in sources.values())
        assert (KSS, person.slices[KSS]) in {
            (r["region"], r["localId"]) for r in offender["records"]
        }
    kss_only = next(p for p in estate.people.values() if set(p.slices) == {KSS})
    status, body = gql(OFFENDER, id=kss_only.crn)
    assert status == 200 and actual(body["data"]["offender"]) == expected(estate, kss_only)
