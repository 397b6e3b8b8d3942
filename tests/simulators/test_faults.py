"""simulators.faults.FaultInjection around a tiny Starlette app, over httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.faults import FaultInjection, Faults, SimState
from simulators.server import ServerGroup, free_port

DEFAULTS = {
    "latency_ms": 0.0,
    "jitter_ms": 0.0,
    "error_rate": 0.0,
    "outage": False,
    "malformed_rate": 0.0,
    "trickle_ms": 0.0,
    "reject_credentials": False,
}
PAYLOAD = {"people": [{"crn": "X100001", "surname": "Watts"}] * 5}


@pytest.fixture
def state() -> SimState:
    return SimState(seed=7)


@pytest.fixture
async def client(state: SimState) -> AsyncIterator[httpx.AsyncClient]:
    async def people(request: Request) -> JSONResponse:
        state.count("people")
        return JSONResponse(PAYLOAD)

    app = FaultInjection(Starlette(routes=[Route("/people", people)]), state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as c:
        yield c


# ---- control endpoints -------------------------------------------------------------------------
async def test_get_faults_shows_the_defaults(client: httpx.AsyncClient) -> None:
    response = await client.get("/_sim/faults")
    assert response.status_code == 200
    assert response.json() == DEFAULTS


async def test_put_faults_changes_them(client: httpx.AsyncClient, state: SimState) -> None:
    response = await client.put("/_sim/faults", json={"error_rate": 0.25, "latency_ms": 3})
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "error_rate": 0.25, "latency_ms": 3}
    assert state.faults == Faults(error_rate=0.25, latency_ms=3)
    assert (await client.get("/_sim/faults")).json() == response.json()


async def test_put_replaces_every_fault(client: httpx.AsyncClient, state: SimState) -> None:
    await client.put("/_sim/faults", json={"outage": True})
    await client.put("/_sim/faults", json={"latency_ms": 1})
    assert state.faults == Faults(latency_ms=1)


@pytest.mark.parametrize(
    "body",
    [
        b'{"bogus": 1}',
        b'{"error_rate": -0.5}',
        b'{"error_rate": 1.5}',
        b'{"malformed_rate": 2}',
        b'{"latency_ms": 1e12}',
        b'{"latency_ms": Infinity}',
        b'{"latency_ms": "fast"}',
        b'{"latency_ms": true}',
        b'{"outage": "yes"}',
        b'{"outage": 1}',
        b'{"trickle_ms": -1}',
        b'{"trickle_ms": 1e12}',
        b'{"trickle_ms": "slow"}',
        b'{"trickle_ms": false}',
        b'{"reject_credentials": "yes"}',
        b'{"reject_credentials": 1}',
        b"[1, 2]",
        b"null",
        b"not json",
    ],
)
async def test_bad_put_is_400_and_faults_are_unchanged(
    client: httpx.AsyncClient, state: SimState, body: bytes
) -> None:
    before = Faults(error_rate=0.5, jitter_ms=2)
    state.faults = before
    response = await client.put("/_sim/faults", content=body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert state.faults == before


async def test_unknown_control_endpoint_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sim/nothing")).status_code == 404
    assert (await client.post("/_sim/faults")).status_code == 404


async def test_counters_count_calls_but_not_control_calls(client: httpx.AsyncClient) -> None:
    await client.get("/people")
    await client.get("/people")
    await client.get("/_sim/faults")
    await client.put("/_sim/faults", json={})
    response = await client.get("/_sim/counters")
    assert response.json() == {"_requests": 2, "people": 2}
    assert (await client.get("/_sim/counters")).json() == {"_requests": 2, "people": 2}


async def test_delete_resets_the_counters(client: httpx.AsyncClient) -> None:
    await client.get("/people")
    assert (await client.delete("/_sim/counters")).status_code == 200
    assert (await client.get("/_sim/counters")).json() == {}


async def test_control_calls_are_never_faulted(client: httpx.AsyncClient, state: SimState) -> None:
    state.faults = Faults(outage=True, error_rate=1.0)
    response = await client.get("/_sim/faults")
    assert response.status_code == 200
    assert response.json()["outage"] is True


# ---- faults ------------------------------------------------------------------------------------
async def test_no_faults_passes_through(client: httpx.AsyncClient) -> None:
    response = await client.get("/people")
    assert response.status_code == 200
    assert response.json() == PAYLOAD


async def test_outage_answers_503_without_reaching_the_app(
    client: httpx.AsyncClient, state: SimState
) -> None:
    state.faults = Faults(outage=True)
    response = await client.get("/people")
    assert response.status_code == 503
    assert state.counters == {"_requests": 1}  # counted, but the app never ran


async def test_error_rate_one_answers_500(client: httpx.AsyncClient, state: SimState) -> None:
    state.faults = Faults(error_rate=1.0)
    statuses = {(await client.get("/people")).status_code for _ in range(5)}
    assert statuses == {500}
    assert state.counters["people"] == 0


async def test_error_rate_half_answers_some_500s(
    client: httpx.AsyncClient, state: SimState
) -> None:
    state.faults = Faults(error_rate=0.5)
    statuses = [(await client.get("/people")).status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    assert set(statuses) == {200, 500}


async def test_malformed_rate_one_cuts_the_body(client: httpx.AsyncClient) -> None:
    full = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    await client.put("/_sim/faults", json={"malformed_rate": 1})
    response = await client.get("/people")
    assert response.status_code == 200
    assert 0 < len(response.content) < len(full)
    assert full.startswith(response.content)
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)


async def test_latency_is_applied(client: httpx.AsyncClient, state: SimState) -> None:
    state.faults = Faults(latency_ms=120)
    started = time.monotonic()
    response = await client.get("/people")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 0.11 <= elapsed < 1.0


async def test_latency_is_not_applied_to_control_calls(
    client: httpx.AsyncClient, state: SimState
) -> None:
    state.faults = Faults(latency_ms=2000)
    started = time.monotonic()
    await client.get("/_sim/faults")
    assert time.monotonic() - started < 1.0


def test_delay_stays_within_jitter_and_never_negative() -> None:
    state = SimState(Faults(latency_ms=100, jitter_ms=20), seed=3)
    delays = [state.delay() for _ in range(500)]
    assert all(0.08 <= d <= 0.12 for d in delays)
    assert max(delays) - min(delays) > 0.02  # the jitter is really used
    state.faults = Faults(latency_ms=0, jitter_ms=50)
    assert all(state.delay() >= 0 for _ in range(500))


def test_from_mapping_merges_over_a_base() -> None:
    base = Faults(latency_ms=5, outage=True)
    assert Faults.from_mapping({"error_rate": 0.1}, base) == Faults(
        latency_ms=5, outage=True, error_rate=0.1
    )
    with pytest.raises(ValueError, match="bogus"):
        Faults.from_mapping({"bogus": 1})


def test_from_mapping_names_the_bad_boolean() -> None:
    with pytest.raises(ValueError, match="reject_credentials must be true or false"):
        Faults.from_mapping({"reject_credentials": "no"})
    with pytest.raises(ValueError, match="trickle_ms must be a number"):
        Faults.from_mapping({"trickle_ms": True})


# ---- refused credentials -----------------------------------------------------------------------
async def test_reject_credentials_answers_401_json_without_reaching_the_app(
    client: httpx.AsyncClient, state: SimState
) -> None:
    await client.put("/_sim/faults", json={"reject_credentials": True})
    response = await client.get("/people")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "credentials rejected (simulated)"}
    assert state.counters == {"_requests": 1}
    assert (await client.get("/_sim/faults")).json()["reject_credentials"] is True


async def test_outage_wins_over_rejected_credentials(
    client: httpx.AsyncClient, state: SimState
) -> None:
    state.faults = Faults(outage=True, reject_credentials=True)
    assert (await client.get("/people")).status_code == 503


# ---- trickled bodies, on a real socket ---------------------------------------------------------
TRICKLED = b"0123456789"


@pytest.fixture
def trickling() -> Iterator[tuple[str, SimState]]:
    state = SimState()

    async def body(request: Request) -> Response:
        return Response(TRICKLED, media_type="text/plain")

    app = FaultInjection(Starlette(routes=[Route("/body", body)]), state)
    group = ServerGroup([(app, free_port())])
    group.start()
    try:
        yield group.urls()[0], state
    finally:
        started = time.monotonic()
        group.stop()
        assert group.thread is not None and not group.thread.is_alive()
        assert time.monotonic() - started < 3.0  # no trickle left running


async def test_trickle_sends_one_byte_at_a_time(trickling: tuple[str, SimState]) -> None:
    url, state = trickling
    state.faults = Faults(trickle_ms=40)
    chunks: list[bytes] = []
    started = time.monotonic()
    async with (
        httpx.AsyncClient(base_url=url) as http,
        http.stream("GET", "/body") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(TRICKLED))
        chunks = [chunk async for chunk in response.aiter_raw()]
    elapsed = time.monotonic() - started
    assert b"".join(chunks) == TRICKLED
    assert max(len(c) for c in chunks) == 1
    assert elapsed >= 0.04 * (len(TRICKLED) - 1) * 0.9


async def test_trickle_off_sends_the_body_at_once(trickling: tuple[str, SimState]) -> None:
    url, _ = trickling
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/body")
    assert response.content == TRICKLED
    assert time.monotonic() - started < 0.3


async def test_trickle_applies_to_error_replies_too(trickling: tuple[str, SimState]) -> None:
    url, state = trickling
    state.faults = Faults(trickle_ms=5, reject_credentials=True)
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/body")
    assert response.status_code == 401
    assert response.json() == {"error": "credentials rejected (simulated)"}


async def test_a_caller_that_hangs_up_stops_the_trickle(trickling: tuple[str, SimState]) -> None:
    url, state = trickling
    state.faults = Faults(trickle_ms=500)  # ten bytes would take 4.5 s; the fixture allows 3
    async with (
        httpx.AsyncClient(base_url=url) as http,
        http.stream("GET", "/body") as response,
    ):
        first = await response.aiter_raw().__anext__()
    assert first == b"0"
    await asyncio.sleep(0.1)
