"""Two real gateway processes behind one Redis: a hit one of them cached serves the other, and a
region one of them found dead is failed fast by the other without being asked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulators.processes import GatewayProcess
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import HEALTHY
from tests.gateway.test_end_to_end import spanning_people
from tests.services import require_redis

QUERY = """
query($id: String!) {
  offender(identifier: $id) { status custody { bookingId } supervision { episodeId }
    sources { region outcome code } }
}
"""


@pytest.fixture
def replicas(running_estate: RunningEstate, tmp_path: Path) -> Iterator[tuple[str, str]]:
    redis_url = require_redis()
    config = tmp_path / "estate.toml"
    config.write_text(
        running_estate.config_toml(
            {"request_deadline": 3.0},
            cache={
                "url": redis_url,
                "namespace": f"test-{uuid.uuid4().hex[:8]}",
                "default_ttl": 60,
            },
            resilience={"probe_interval": 30.0, "open_seconds": 30.0},
        ),
        encoding="utf-8",
    )
    a, b = GatewayProcess(config), GatewayProcess(config)
    try:
        yield a.url, b.url
    finally:
        a.stop()
        b.stop()


def calls(running: RunningEstate) -> dict[str, int]:
    return {
        name: httpx.get(system.url + "_sim/counters").json().get("_requests", 0)
        for name, system in running.systems.items()
    }


def reset(running: RunningEstate) -> None:
    for system in running.systems.values():
        httpx.delete(system.url + "_sim/counters")


def ask(url: str, identifier: str) -> dict[str, Any]:
    response = httpx.post(url, json={"query": QUERY, "variables": {"id": identifier}}, timeout=15)
    assert response.status_code == 200
    return response.json()


def test_two_gateways_share_cache_hits_through_redis(
    estate: Estate, running_estate: RunningEstate, replicas: tuple[str, str]
) -> None:
    url_a, url_b = replicas
    person = spanning_people(estate, 300)[-1]
    reset(running_estate)
    first = ask(url_a, person.noms)
    assert sum(calls(running_estate).values()) > 0
    reset(running_estate)
    second = ask(url_b, person.noms)
    assert calls(running_estate) == dict.fromkeys(running_estate.systems, 0)
    assert second["data"]["offender"] == first["data"]["offender"]


def test_a_breaker_one_gateway_opened_fails_fast_in_the_other(
    estate: Estate, running_estate: RunningEstate, replicas: tuple[str, str]
) -> None:
    url_a, url_b = replicas
    system = "probation-london"
    faults = running_estate.systems[system].url + "_sim/faults"
    people = [p for p in spanning_people(estate, 300) if system in p.slices]
    httpx.put(faults, json={"reject_credentials": True}).raise_for_status()
    try:
        ask(url_a, people[0].noms)  # refused credentials open the breaker at once
        reset(running_estate)
        body = ask(url_b, people[1].noms)
        assert calls(running_estate)[system] == 0
        [source] = [s for s in body["data"]["offender"]["sources"] if s["region"] == system]
        assert (source["outcome"], source["code"]) == ("FAILED", "REGION_UNAVAILABLE")
        assert any(e["extensions"].get("breaker") == "open" for e in body["errors"])
    finally:
        httpx.put(faults, json=HEALTHY)
