"""Our gateway as an Apollo Federation v2 subgraph, composed with another team's subgraph (written
with Apollo's @apollo/subgraph) by The Guild's composition library and served by a real router
(Hive Gateway), with queries spanning both subgraphs in each direction."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulators.runner import RunningEstate
from simulators.truth import Estate, TruePerson
from tests.conftest import serve_gateway, wait_until_ready
from tests.gateway.test_end_to_end import spanning_people
from tests.gateway.truth import expected
from tests.services import require_node_tools


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the process exited with {process.returncode}")
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def post(url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(url, json={"query": query, "variables": variables}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def people(estate: Estate) -> list[TruePerson]:
    return [p for p in spanning_people(estate, 200) if p.noms][:2]


@pytest.fixture(scope="module")
def router(
    running_estate: RunningEstate,
    people: list[TruePerson],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    tools = require_node_tools()
    ours, ours_url = serve_gateway(running_estate, request_deadline=8.0)
    wait_until_ready(ours_url)
    enrolments = [
        {"noms": people[0].noms, "name": "Thinking Skills"},
        {"noms": people[0].noms, "name": "Resolve"},
        {"noms": people[1].noms, "name": "Building Better Relationships"},
    ]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        theirs_port = free_port()
        theirs = subprocess.Popen(
            ["node", "programmes-subgraph.mjs", str(theirs_port), json.dumps(enrolments)],
            cwd=tools,
            stdout=subprocess.DEVNULL,
        )
        processes.append(theirs)
        theirs_url = f"http://127.0.0.1:{theirs_port}/graphql"
        wait_for(theirs_url, theirs)
        supergraph = tmp_path_factory.mktemp("supergraph") / "supergraph.graphql"
        composed = subprocess.run(
            [
                "node",
                "compose.mjs",
                str(supergraph),
                f"offenders={ours_url}",
                f"programmes={theirs_url}",
            ],
            cwd=tools,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert composed.returncode == 0, composed.stderr
        port = free_port()
        gateway = subprocess.Popen(
            [
                str(tools / "node_modules" / ".bin" / "hive-gateway"),
                "supergraph",
                str(supergraph),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--polling",
                "1h",
            ],
            cwd=tools,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(gateway)
        url = f"http://127.0.0.1:{port}/graphql"
        wait_for(url, gateway)
        yield url
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        ours.stop()


def test_the_supergraph_composes_and_our_subgraph_sdl_is_federation_2_9(
    running_estate: RunningEstate,
) -> None:
    group, url = serve_gateway(running_estate)
    try:
        sdl = post(url, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    finally:
        group.stop()
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    assert '@key(fields: "id")' in sdl
    assert '@key(fields: "identifiers { nomsNumber }")' in sdl


def test_a_query_rooted_in_our_subgraph_reaches_theirs(
    router: str, estate: Estate, people: list[TruePerson]
) -> None:
    person = people[0]
    truth = expected(estate, person)
    body = post(
        router,
        """query($id: String!) { offender(identifier: $id) {
             identifiers { nomsNumber crn } name { surname } status programmes { name } } }""",
        id=person.noms,
    )
    assert "errors" not in body, body
    assert body["data"]["offender"] == {
        "identifiers": {"nomsNumber": person.noms, "crn": person.crn},
        "name": {"surname": person.surname},
        "status": truth["status"],
        "programmes": [{"name": "Thinking Skills"}, {"name": "Resolve"}],
    }


def test_a_query_rooted_in_theirs_resolves_our_entities(
    router: str, estate: Estate, people: list[TruePerson]
) -> None:
    body = post(
        router,
        "{ programmes { name offender { identifiers { nomsNumber crn } name { surname } "
        "status } } }",
    )
    assert "errors" not in body, body
    want = []
    for name, person in (
        ("Thinking Skills", people[0]),
        ("Resolve", people[0]),
        ("Building Better Relationships", people[1]),
    ):
        truth = expected(estate, person)
        want.append(
            {
                "name": name,
                "offender": {
                    "identifiers": {"nomsNumber": person.noms, "crn": person.crn},
                    "name": {"surname": person.surname},
                    "status": truth["status"],
                },
            }
        )
    assert body["data"]["programmes"] == want


def test_an_entity_by_id_goes_through_the_same_lookup(
    running_estate: RunningEstate, people: list[TruePerson]
) -> None:
    group, url = serve_gateway(running_estate)
    try:
        person = people[1]
        offender_id = post(
            url, "query($id: String!) { offender(identifier: $id) { id } }", id=person.noms
        )["data"]["offender"]["id"]
        body = post(
            url,
            """query($r: [_Any!]!) { _entities(representations: $r) {
                 ... on Offender { id identifiers { nomsNumber } } } }""",
            r=[
                {"__typename": "Offender", "id": offender_id},
                {"__typename": "Offender", "identifiers": {"crn": person.crn}},
                {"__typename": "Offender", "identifiers": {"nomsNumber": "not a noms"}},
            ],
        )
    finally:
        group.stop()
    entities = body["data"]["_entities"]
    assert entities[0] == {"id": offender_id, "identifiers": {"nomsNumber": person.noms}}
    assert entities[1] == entities[0]
    assert entities[2] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["_entities", 2], "BAD_IDENTIFIER")
    ]
