"""simulators.server.TraceLog: the trace context every served app received, at /_sim/traces."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from simulators.server import ServerGroup, TraceLog, free_port

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def echo_app() -> Starlette:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.headers.get("traceparent", "none"))

    return Starlette(routes=[Route("/people", echo, methods=["GET", "POST"])])


def client(app: TraceLog) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


async def test_requests_with_a_traceparent_are_listed_oldest_first() -> None:
    log = TraceLog(echo_app())
    async with client(log) as http:
        answer = await http.get("/people", headers={"traceparent": PARENT, "tracestate": "a=1"})
        assert answer.text == PARENT  # the app itself still sees the header
        await http.get("/people")  # no trace context: nothing recorded
        other = PARENT.replace("00f067aa0ba902b7", "00f067aa0ba902b8")
        await http.post("/people", headers={"traceparent": other})
        listed = await http.get("/_sim/traces")
    assert listed.status_code == 200
    assert listed.json() == [
        {"traceparent": PARENT, "tracestate": "a=1", "method": "GET", "path": "/people"},
        {"traceparent": other, "method": "POST", "path": "/people"},
    ]


async def test_the_record_is_bounded_and_can_be_cleared() -> None:
    log = TraceLog(echo_app(), size=3)
    async with client(log) as http:
        for i in range(5):
            await http.get("/people", headers={"traceparent": PARENT[:-2] + f"0{i}"})
        kept = (await http.get("/_sim/traces")).json()
        assert [t["traceparent"][-2:] for t in kept] == ["02", "03", "04"]
        assert (await http.delete("/_sim/traces")).json() == []
        assert (await http.get("/_sim/traces")).json() == []
        assert (await http.put("/_sim/traces")).status_code == 405


def test_every_app_a_server_group_serves_keeps_its_trace_log() -> None:
    port = free_port()
    with ServerGroup([(echo_app(), port)]):
        base = f"http://127.0.0.1:{port}"
        httpx.get(base + "/people", headers={"traceparent": PARENT}, timeout=5)
        listed = httpx.get(base + "/_sim/traces", timeout=5).json()
    assert listed == [{"traceparent": PARENT, "method": "GET", "path": "/people"}]
