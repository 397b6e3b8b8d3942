"""Shared fixtures: the simulated estate and a gateway, both on real sockets on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import parse_settings
from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.server import ServerGroup, free_port
from simulators.truth import Estate

GraphQLCall = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture(scope="session")
def estate() -> Estate:
    """The default population (5,000 people, default seed)."""
    return generate_estate()


@pytest.fixture(scope="session")
def running_estate(estate: Estate) -> Iterator[RunningEstate]:
    """Every simulated system served over HTTP on its own port."""
    with RunningEstate(estate) as running:
        yield running


def serve_gateway(
    running: RunningEstate, region_timeout: float | None = None, **gateway: Any
) -> tuple[ServerGroup, str]:
    """Start a gateway for the estate on a free port; returns (servers, /graphql URL)."""
    regions = running.region_tables()
    for table in regions.values():
        table["timeout"] = region_timeout or table["timeout"]
    settings = parse_settings({"regions": regions, "gateway": gateway})
    port = free_port()
    group = ServerGroup([(create_app(settings), port)])
    group.start()
    return group, f"http://127.0.0.1:{port}/graphql"


@pytest.fixture(scope="session")
def gateway_url(running_estate: RunningEstate) -> Iterator[str]:
    group, url = serve_gateway(running_estate, request_deadline=4.0)
    yield url
    group.stop()


def graphql_caller(url: str) -> GraphQLCall:
    def call(query: str, timeout: float = 15.0, **variables: Any) -> tuple[int, dict[str, Any]]:
        response = httpx.post(url, json={"query": query, "variables": variables}, timeout=timeout)
        return response.status_code, response.json()

    return call


@pytest.fixture
def gql(gateway_url: str) -> GraphQLCall:
    """POST a query to the shared gateway; returns (HTTP status, JSON body)."""
    return graphql_caller(gateway_url)


@pytest.fixture
def set_faults(running_estate: RunningEstate) -> Iterator[Callable[..., None]]:
    """Set faults on a simulated system over its control API; all are cleared afterwards."""
    touched: list[str] = []

    def set_faults(system: str, **faults: Any) -> None:
        url = running_estate.systems[system].url + "_sim/faults"
        httpx.put(url, json=faults, timeout=5).raise_for_status()
        touched.append(url)

    yield set_faults
    for url in touched:
        httpx.put(
            url,
            json={
                "outage": False,
                "latency_ms": 0,
                "jitter_ms": 0,
                "error_rate": 0,
                "malformed_rate": 0,
            },
            timeout=5,
        )
