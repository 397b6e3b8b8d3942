"""gateway.limits.BodySizeLimit on a tiny Starlette app, in-process through httpx.ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.limits import BodySizeLimit

LIMIT = 100


class Echo:
    """A route that reads the whole body and says how long it was."""

    def __init__(self) -> None:
        self.calls = 0

    async def endpoint(self, request: Request) -> JSONResponse:
        self.calls += 1
        body = await request.body()
        return JSONResponse({"size": len(body)})


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
async def client(echo: Echo) -> AsyncIterator[httpx.AsyncClient]:
    # Composed as gateway.app composes it: a Starlette middleware record.
    app = Starlette(
        routes=[Route("/graphql", echo.endpoint, methods=["GET", "POST"])],
        middleware=[Middleware(BodySizeLimit, max_bytes=LIMIT)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


async def chunks(size: int, count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(LIMIT) in error["message"]


async def test_small_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{}" * 10)
    assert response.status_code == 200
    assert response.json() == {"size": 20}


async def test_body_of_exactly_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"x" * LIMIT)
    assert response.json() == {"size": LIMIT}


async def test_get_without_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.json() == {"size": 0}


async def test_declared_too_large_is_refused_before_the_app_runs(
    client: httpx.AsyncClient, echo: Echo
) -> None:
    response = await client.post("/graphql", content=b"x" * (LIMIT + 1))
    assert_refused(response)
    assert echo.calls == 0


async def test_chunked_body_exceeding_the_limit_is_refused(
    client: httpx.AsyncClient, echo: Echo
) -> None:
    request = client.build_request("POST", "/graphql", content=chunks(40, 3))
    assert "content-length" not in request.headers  # nothing declared: it must be counted
    response = await client.send(request)
    assert_refused(response)
    assert echo.calls == 1  # cut off while the app was reading


async def test_chunked_body_within_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=chunks(25, 4))
    assert response.status_code == 200
    assert response.json() == {"size": 100}


async def test_non_numeric_content_length_is_refused() -> None:
    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"-5")]}
    await BodySizeLimit(app, max_bytes=LIMIT)(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_non_http_scopes_pass_straight_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    async def receive() -> dict[str, object]:
        return {}

    async def send(message: object) -> None:
        raise AssertionError("nothing to send")

    await BodySizeLimit(app, max_bytes=LIMIT)({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    assert seen == ["lifespan"]
