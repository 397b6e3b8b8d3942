"""Shared fixtures: the simulated estate and a gateway, both on real sockets on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import time
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

# Every gateway a test starts from a config keeps its person index in memory (not under var/,
# where it would outlive the test); the environment wins over a config file's [index].
os.environ.setdefault("OFFENDER_GRAPH_INDEX__URL", ":memory:")


@pytest.fixture(scope="session")
def estate() -> Estate:
    """The default population (5,000 people, default seed)."""
    return generate_estate()


@pytest.fixture(scope="session")
def running_estate(estate: Estate) -> Iterator[RunningEstate]:
    """Every simulated system served over HTTP on its own port."""
    with RunningEstate(estate) as running:
        yield running


# Tests see fresh answers unless they ask for a cache. The background probe is off (its calls
# would show in the simulators' counters); breakers recover at the first call after 0.2 s.
TEST_CACHE = {"enabled": False}
TEST_RESILIENCE = {
    "probe_interval": 3600.0,
    "open_seconds": 0.2,
    "auth_open_seconds": 0.2,
    "backoff_initial": 0.01,
}
AUTH_OFF: dict[str, Any] = {"mode": "off"}  # tests not about security act for the dev principal
AUDIT_OFF: dict[str, Any] = {"enabled": False}  # nor write an audit log (under var/) unless asked
NOBODY = "query($id: String!) { offender(identifier: $id) { id } }"  # nobody holds Z....ZZ
_nobody = itertools.count(1000)
HEALTHY: dict[str, Any] = {}  # a PUT replaces every fault: an empty one clears them all


def serve_gateway(
    running: RunningEstate,
    region_timeout: float | None = None,
    cache: dict[str, Any] | None = None,
    resilience: dict[str, Any] | None = None,
    region_options: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    audit: dict[str, Any] | None = None,
    **gateway: Any,
) -> tuple[ServerGroup, str]:
    """Start a gateway for the estate on a free port; returns (servers, /graphql URL).
    ``region_options`` are set on every region's table (e.g. ``cache_ttl``); ``auth`` is the
    ``[auth]`` table (default: authentication off), ``audit`` the ``[audit]`` table (default: no
    audit log)."""
    regions = running.region_tables()
    for table in regions.values():
        table["timeout"] = region_timeout or table["timeout"]
        table.update(region_options or {})
    settings = parse_settings(
        {
            "regions": regions,
            "gateway": gateway,
            "cache": TEST_CACHE if cache is None else cache,
            "resilience": {**TEST_RESILIENCE, **(resilience or {})},
            "auth": AUTH_OFF if auth is None else auth,
            "audit": AUDIT_OFF if audit is None else audit,
        }
    )
    port = free_port()
    group = ServerGroup([(create_app(settings), port)])
    group.start()
    return group, f"http://127.0.0.1:{port}/graphql"


@pytest.fixture(scope="session")
def gateway_url(running_estate: RunningEstate) -> Iterator[str]:
    group, url = serve_gateway(running_estate, request_deadline=4.0)
    yield url
    group.stop()


def wait_until_ready(url: str, timeout: float = 10.0) -> None:
    """Ask every region (a lookup of nobody) until the gateway's /ready says each is UP with its
    breaker closed: the calls are the breakers' trials."""
    ready = url.removesuffix("/graphql") + "/ready"
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        nobody = f"Z{next(_nobody) % 10000:04d}ZZ"  # a new one each time: never a cache hit
        httpx.post(url, json={"query": NOBODY, "variables": {"id": nobody}}, timeout=10)
        body = httpx.get(ready, timeout=5).json()
        regions = body["regions"].values()
        if all(r["status"] == "UP" and r["breaker"] == "CLOSED" for r in regions):
            return
        time.sleep(0.05)
    raise AssertionError(f"gateway did not recover: {body}")


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
def set_faults(running_estate: RunningEstate, gateway_url: str) -> Iterator[Callable[..., None]]:
    """Set faults on a simulated system over its control API; all are cleared afterwards, and
    the shared gateway is given the time to see every region healthy again."""
    touched: list[str] = []

    def set_faults(system: str, **faults: Any) -> None:
        url = running_estate.systems[system].url + "_sim/faults"
        httpx.put(url, json=faults, timeout=5).raise_for_status()
        touched.append(url)

    yield set_faults
    for url in touched:
        httpx.put(url, json=HEALTHY, timeout=5)
    if touched:
        wait_until_ready(gateway_url)
