"""``/status``, ``/status.json``, ``/ready`` and ``/`` of a real gateway over the simulated estate,
through a region's outage and recovery (the simulators' fault injection), and the page's
escaping of what regions and config say."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.cli.estate import example_people
from gateway.observability.status_page import render_status, status_payload
from simulators.linkage import person_record
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import HEALTHY, NOBODY, serve_gateway, wait_until_ready
from tests.gateway.inprocess import FakeRegion, Gateway, person

REGION = "probation-wales"
_nobody = itertools.count(5000)


@pytest.fixture(scope="module")
def gateway(running_estate: RunningEstate) -> Iterator[str]:
    """A gateway of its own (its window sees only this module's calls): a breaker opens after
    two failed calls and lets a trial through after a second."""
    group, url = serve_gateway(
        running_estate,
        region_timeout=0.5,
        request_deadline=2.0,
        resilience={"failure_threshold": 2, "open_seconds": 1.0, "retries": 0},
        graphiql=True,  # the index links it (off by default, as in production)
    )
    yield url.removesuffix("/graphql")
    group.stop()


@pytest.fixture
def faults(running_estate: RunningEstate, gateway: str) -> Iterator[Callable[..., None]]:
    touched: list[str] = []

    def set_faults(system: str, **faults: Any) -> None:
        url = running_estate.systems[system].url + "_sim/faults"
        httpx.put(url, json=faults, timeout=5).raise_for_status()
        touched.append(url)

    yield set_faults
    for url in touched:
        httpx.put(url, json=HEALTHY, timeout=5)
    wait_until_ready(gateway + "/graphql")


def ask_nobody(root: str) -> None:
    nobody = f"Z{next(_nobody) % 10000:04d}ZZ"
    response = httpx.post(
        root + "/graphql", json={"query": NOBODY, "variables": {"id": nobody}}, timeout=10
    )
    assert response.status_code == 200


def status(root: str) -> dict[str, Any]:
    response = httpx.get(root + "/status.json", timeout=5)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def row(page: str, region: str) -> str:
    start = page.index(f'<tr data-region="{region}">')
    return page[start : page.index("</tr>", start)]


def test_the_index_links_every_page_and_each_answers(gateway: str) -> None:
    page = httpx.get(gateway + "/", timeout=5)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path in ["/graphql", "/status", "/status.json", "/ready", "/health"]:
        assert f'href="{path}"' in page.text
        headers = {"accept": "text/html"} if path == "/graphql" else {}
        assert httpx.get(gateway + path, headers=headers, timeout=10).status_code == 200, path
    assert "README.md" in page.text


def test_every_region_is_listed_with_its_title_kind_and_last_hour(
    gateway: str, running_estate: RunningEstate
) -> None:
    wait_until_ready(gateway + "/graphql")
    body = status(gateway)
    assert list(body["regions"]) == list(running_estate.systems)
    assert body["windowSeconds"] == 3600 and body["ready"] is True
    for name, region in body["regions"].items():
        table = running_estate.region_tables()[name]
        assert region["title"] == table["title"]
        assert region["kind"] == table["kind"]
        assert (region["status"], region["breaker"]) == ("UP", "CLOSED")
        hour = region["lastHour"]
        assert hour["calls"] >= 1 and hour["failedCalls"] == 0 and hour["errorRate"] == 0.0
        latency = hour["latencyMs"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] < 2000
    page = httpx.get(gateway + "/status", timeout=5)
    assert page.status_code == 200
    assert "7 of 7 regional systems are working" in page.text
    for name in running_estate.systems:
        assert "✔ Working" in row(page.text, name)


def test_data_quality_counts_the_person_records_returned(
    gateway: str, estate: Estate, running_estate: RunningEstate
) -> None:
    person = next(  # the harder estate has records without a PNC: one whose every record has
        p
        for p in example_people(estate, 20)[1:]
        if all(
            any(i.kind is IdentifierKind.PNC for i in person_record(system, record).identifiers)
            for system, record in estate.records_of(p.person_id)
        )
    )
    before = status(gateway)["regions"]
    query = "query($id: String!) { offender(identifier: $id) { records { region } } }"
    response = httpx.post(
        gateway + "/graphql", json={"query": query, "variables": {"id": person.noms}}, timeout=10
    )
    assert response.status_code == 200 and "errors" not in response.json()
    after = status(gateway)["regions"]
    for name in person.slices:
        gained = after[name]["lastHour"]["dataQuality"]["personRecords"]
        assert gained > before[name]["lastHour"]["dataQuality"]["personRecords"], name
        shares = after[name]["lastHour"]["dataQuality"]["identifierShare"]
        assert set(shares) == {"NOMS", "CRN", "PNC", "CRO"}
        assert all(0.0 <= share <= 1.0 for share in shares.values())
        kind = running_estate.region_tables()[name]["kind"]
        # Prisons hold every record under its NOMS number, probation under its CRN.
        assert shares["NOMS" if kind == "CUSTODY" else "CRN"] == 1.0, name
        assert shares["PNC"] > 0.0


def test_an_outage_shows_down_with_its_errors_and_breaker_then_recovers(
    gateway: str, faults: Callable[..., None]
) -> None:
    wait_until_ready(gateway + "/graphql")
    healthy = status(gateway)["regions"][REGION]
    seen_up = datetime.fromisoformat(healthy["lastSeenUp"])
    failed_before = healthy["lastHour"]["failedCalls"]

    faults(REGION, outage=True)
    for _ in range(3):  # two failed calls open the breaker; the third is failed fast
        ask_nobody(gateway)
    down = status(gateway)["regions"][REGION]
    assert (down["status"], down["breaker"]) == ("DOWN", "OPEN")
    assert down["lastErrorCode"] == "REGION_UNAVAILABLE"
    assert down["lastSeenUp"] == healthy["lastSeenUp"]
    hour = down["lastHour"]
    assert hour["failedCalls"] == failed_before + 3
    assert hour["errors"]["REGION_UNAVAILABLE"] >= 3
    assert hour["errorRate"] > 0.0
    assert down["retryAt"] is not None

    ready = httpx.get(gateway + "/ready", timeout=5)
    assert ready.status_code == 200  # the other regions answer
    assert ready.json()["regions"][REGION]["status"] == "DOWN"
    others = [r for n, r in status(gateway)["regions"].items() if n != REGION]
    assert {r["status"] for r in others} == {"UP"}

    page = httpx.get(gateway + "/status", timeout=5).text
    assert "6 of 7 regional systems are working" in page
    cells = row(page, REGION)
    assert "✖ Not responding" in cells
    assert "Paused after repeated failures" in cells
    assert "Next try at" in cells
    assert f"{hour['failedCalls']} of {hour['calls']} requests failed" in cells
    assert f"{hour['errors']['REGION_UNAVAILABLE']} unavailable (REGION_UNAVAILABLE)" in cells

    faults(REGION, **HEALTHY)
    time.sleep(0.01)  # lastSeenUp has millisecond resolution
    wait_until_ready(gateway + "/graphql")
    up = status(gateway)["regions"][REGION]
    assert (up["status"], up["breaker"]) == ("UP", "CLOSED")
    assert datetime.fromisoformat(up["lastSeenUp"]) > seen_up
    # The hour remembers the outage (and the calls failed fast while waiting for recovery).
    assert up["lastHour"]["failedCalls"] >= hour["failedCalls"]
    assert up["lastHour"]["calls"] > hour["calls"]
    ready = httpx.get(gateway + "/ready", timeout=5).json()["regions"][REGION]
    assert (ready["status"], ready["breaker"]) == ("UP", "CLOSED")
    cells = row(httpx.get(gateway + "/status", timeout=5).text, REGION)
    assert "✔ Working" in cells and "Normal" in cells


def test_replies_that_do_not_map_are_mapping_failures_of_a_region_still_up(
    gateway: str, faults: Callable[..., None]
) -> None:
    wait_until_ready(gateway + "/graphql")
    before = status(gateway)["regions"][REGION]["lastHour"]
    faults(REGION, malformed_rate=1.0)
    ask_nobody(gateway)
    region = status(gateway)["regions"][REGION]
    quality = region["lastHour"]["dataQuality"]
    assert quality["mappingFailures"] > before["dataQuality"]["mappingFailures"]
    assert region["lastHour"]["errors"]["UPSTREAM_INVALID"] == quality["mappingFailures"]
    assert region["status"] == "UP"  # it answered: what it said did not map
    assert "unreadable replies" in row(httpx.get(gateway + "/status", timeout=5).text, REGION)


def test_the_page_escapes_what_regions_and_config_say(gateway: str) -> None:
    payload = status(gateway)
    hostile = '<script>alert("x")</script>'
    region = copy.deepcopy(payload["regions"][REGION])
    region.update(
        title=f"Wales {hostile}",
        status="DOWN",
        lastError=f"503 <img src=x onerror=alert(1)> & {hostile}",
        lastErrorCode="<b>CODE</b>",
    )
    region["lastHour"]["errors"] = {"<i>E</i>": 2}
    payload["regions"] = {f'x"><{hostile}': region}
    page = render_status(payload)
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "<i>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp;" in page
    assert 'data-region="x&quot;&gt;&lt;&lt;script&gt;' in page


async def test_regions_not_yet_asked_are_unknown_then_counted_exactly_in_process() -> None:
    noms = Identifier(IdentifierKind.NOMS, "A1234BC")
    crn = Identifier(IdentifierKind.CRN, "X123456")
    prison = FakeRegion("prison-a", SystemKind.CUSTODY, [person("prison-a", "P1", noms)])
    probation = FakeRegion(
        "probation-b", SystemKind.PROBATION, [person("probation-b", "C1", noms, crn)]
    )
    gateway = Gateway([prison, probation])
    runtime = gateway.runtime

    def payload() -> dict[str, Any]:
        parts = (runtime.directory, runtime.health, runtime.breakers, runtime.stats)
        return status_payload(*parts)

    before = payload()
    assert {r["status"] for r in before["regions"].values()} == {"UNKNOWN"}
    page = render_status(before)
    assert "0 of 2 regional systems are working" in page
    for name in ("prison-a", "probation-b"):
        cells = row(page, name)
        assert "? Not checked yet" in cells
        assert "Never, since the gateway started" in cells
        assert "No requests in the last hour" in cells and "No answers" in cells
        assert "No person records returned" in cells

    data, errors = await gateway.execute(
        "query($id: String!) { offender(identifier: $id) { records { region } } }",
        id="A1234BC",
    )
    assert errors == [] and len(data["offender"]["records"]) == 2
    after = payload()["regions"]
    assert after["prison-a"]["status"] == "UP"
    quality = after["probation-b"]["lastHour"]["dataQuality"]
    assert quality["personRecords"] == 1  # found by NOMS; its CRN is its own: not asked again
    assert after["prison-a"]["lastHour"]["dataQuality"]["personRecords"] == 1
    assert quality["identifierShare"] == {"NOMS": 1.0, "CRN": 1.0, "PNC": 0.0, "CRO": 0.0}
    shares = after["prison-a"]["lastHour"]["dataQuality"]["identifierShare"]
    assert shares == {"NOMS": 1.0, "CRN": 0.0, "PNC": 0.0, "CRO": 0.0}
    assert after["prison-a"]["lastHour"]["failedCalls"] == 0
    assert "✔ Working" in row(render_status(payload()), "prison-a")
