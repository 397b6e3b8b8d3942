"""gateway.request_guard.RequestGuard around a tiny Starlette echo app: in-process through
httpx.ASGITransport, and on a real uvicorn socket for slow senders."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.request_guard import RequestGuard
from simulators.server import ServerGroup, free_port

LIMIT = 8192
BODY_TIMEOUT = 0.5
JSON = {"content-type": "application/json"}
JSON_HEADERS = [(b"content-type", b"application/json")]


class Echo:
    """Routes that read the whole body and echo it with the method."""

    def __init__(self) -> None:
        self.calls = 0

    async def endpoint(self, request: Request) -> JSONResponse:
        self.calls += 1
        body = await request.body()
        return JSONResponse({"method": request.method, "body": body.decode("latin-1")})

    def app(self) -> Starlette:
        # Composed as gateway.app composes it: a Starlette middleware record.
        return Starlette(
            routes=[
                Route("/graphql", self.endpoint, methods=["GET", "POST", "PUT", "DELETE"]),
                Route("/other", self.endpoint, methods=["POST"]),
            ],
            middleware=[
                Middleware(RequestGuard, max_bytes=LIMIT, body_timeout=BODY_TIMEOUT),
            ],
        )


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
async def client(echo: Echo) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=echo.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


def refused(response: httpx.Response, status: int, code: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["errors"]
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code}
    assert fragment in error["message"]


async def post(client: httpx.AsyncClient, content: bytes, **headers: str) -> httpx.Response:
    return await client.post("/graphql", content=content, headers=headers or JSON)


# --- POST: what passes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"query": "{ __typename }"},
        {"query": "{ __typename }", "variables": None, "operationName": None},
        {"query": "query Q($a: Int) { x }", "variables": {"a": 1}, "operationName": "Q"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}},
        {"query": "{ x }", "extensions": None},
    ],
)
async def test_a_well_formed_request_reaches_the_app_with_its_body_unchanged(
    client: httpx.AsyncClient, echo: Echo, document: dict[str, Any]
) -> None:
    content = b"  \n" + json.dumps(document, indent=3).encode() + b"\n"
    response = await post(client, content)
    assert response.status_code == 200
    assert response.json() == {"method": "POST", "body": content.decode()}
    assert echo.calls == 1


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", 'Application/JSON; charset="UTF-8"']
)
async def test_json_with_a_utf8_charset_passes(
    client: httpx.AsyncClient, content_type: str
) -> None:
    content = '{"query": "{ offender(identifier: \\"Zoë\\") { id } }"}'.encode()
    response = await post(client, content, **{"content-type": content_type})
    assert response.json()["body"] == content.decode("latin-1")


async def test_a_chunked_body_within_the_limit_is_replayed_whole(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b'{"query":', b' "{ x }"', b"}"):
            yield part

    request = client.build_request("POST", "/graphql", content=chunks(), headers=JSON)
    assert "content-length" not in request.headers
    response = await client.send(request)
    assert response.json()["body"] == '{"query": "{ x }"}'


# --- POST: size -------------------------------------------------------------------------


async def test_a_declared_body_over_the_limit_is_413_before_the_app_runs(
    client: httpx.AsyncClient, echo: Echo
) -> None:
    content = json.dumps({"query": "{ x }" + " " * LIMIT}).encode()
    refused(await post(client, content), 413, "BAD_USER_INPUT", f"larger than {LIMIT} bytes")
    assert echo.calls == 0


async def test_a_chunked_body_over_the_limit_is_413_before_the_app_runs(
    client: httpx.AsyncClient, echo: Echo
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * (LIMIT // 2)

    request = client.build_request("POST", "/graphql", content=chunks(), headers=JSON)
    refused(await client.send(request), 413, "BAD_USER_INPUT", str(LIMIT))
    assert echo.calls == 0


async def test_a_body_of_exactly_the_limit_passes(client: httpx.AsyncClient) -> None:
    content = b'{"query": "{ x }"}'
    content += b" " * (LIMIT - len(content))
    response = await post(client, content)
    assert response.status_code == 200
    assert len(response.json()["body"]) == LIMIT


# --- POST: content type, encoding, JSON shape ----------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "text/plain"},
        {"content-type": "application/graphql"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "application/json; charset=latin-1"},
        {"content-type": "application/jsonx"},
    ],
)
async def test_a_body_that_is_not_utf8_json_by_content_type_is_415(
    client: httpx.AsyncClient, echo: Echo, headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", content=b'{"query": "{ x }"}', headers=headers)
    refused(response, 415, "BAD_REQUEST", "application/json")
    assert echo.calls == 0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"query": "{ x(a: \\"\xff\\") }"}', "not valid UTF-8"),
        ('{"query": "{ x }"}'.encode("utf-16"), "not valid UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"query": "{ x }"', "not valid JSON"),
        (b'\xef\xbb\xbf{"query": "{ x }"}', "not valid JSON"),  # a BOM
        (b"[" * 2000 + b"]" * 2000, "not valid JSON"),  # nested past the recursion limit
        (b"null", "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b'"x"', "must be a JSON object"),
        (b"true", "must be a JSON object"),
        (b"{}", "`query` must be a string"),
        (b'{"query": null}', "`query` must be a string"),
        (b'{"query": 42}', "`query` must be a string"),
        (b'{"query": ["{ x }"]}', "`query` must be a string"),
        (b'{"query": null, "extensions": {}}', "`query` must be a string"),
        (b'{"query": "{ x }", "extensions": "x"}', "`extensions` must be an object"),
        (b'{"query": "{ x }", "variables": []}', "`variables` must be an object or null"),
        (b'{"query": "{ x }", "variables": "{}"}', "`variables` must be an object or null"),
        (b'{"query": "{ x }", "operationName": 5}', "`operationName` must be a string or null"),
    ],
)
async def test_a_body_that_is_not_one_graphql_request_is_400(
    client: httpx.AsyncClient, echo: Echo, content: bytes, fragment: str
) -> None:
    refused(await post(client, content), 400, "BAD_REQUEST", fragment)
    assert echo.calls == 0


@pytest.mark.parametrize("content", [b"[]", b'[{"query": "{ x }"}, {"query": "{ y }"}]'])
async def test_a_batch_is_400_batching_not_supported(
    client: httpx.AsyncClient, echo: Echo, content: bytes
) -> None:
    refused(await post(client, content), 400, "BATCHING_NOT_SUPPORTED", "one operation per request")
    assert echo.calls == 0


async def test_a_content_length_that_is_not_a_number_is_400() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        raise AssertionError("nothing may be read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-length", b"-5"), (b"content-type", b"application/json")],
    }
    await RequestGuard(app, max_bytes=LIMIT, body_timeout=BODY_TIMEOUT)(scope, receive, send)
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_client_that_leaves_mid_body_gets_nothing_and_the_app_never_runs() -> None:
    sent: list[object] = []
    queue = [
        {"type": "http.request", "body": b'{"qu', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: object) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": list(JSON_HEADERS)}
    await RequestGuard(app, max_bytes=LIMIT, body_timeout=BODY_TIMEOUT)(scope, receive, send)
    assert sent == []
    assert queue == []


# --- GET and other methods -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},  # the GraphiQL page
        {"query": "{ __typename }"},
        {"query": "query Q { x }", "operationName": "Q"},
        {"query": "query A { x } mutation B { y }", "operationName": "A"},
        {"query": "mutation {"},  # does not parse: left to the GraphQL layer
    ],
)
async def test_a_read_only_get_passes(
    client: httpx.AsyncClient, echo: Echo, params: dict[str, str]
) -> None:
    response = await client.get("/graphql", params=params)
    assert response.status_code == 200
    assert response.json() == {"method": "GET", "body": ""}
    assert echo.calls == 1


@pytest.mark.parametrize(
    "params",
    [
        {"query": "mutation { x }"},
        {"query": "subscription S { x }"},
        {"query": "query A { x } mutation B { y }"},  # no name: the mutation could run
        {"query": "query A { x } mutation B { y }", "operationName": "B"},
    ],
)
async def test_a_mutation_or_subscription_over_get_is_405_allow_post(
    client: httpx.AsyncClient, echo: Echo, params: dict[str, str]
) -> None:
    response = await client.get("/graphql", params=params)
    refused(response, 405, "BAD_REQUEST", "use POST")
    assert response.headers["allow"] == "POST"
    assert echo.calls == 0


async def test_a_get_query_longer_than_the_limit_is_413(
    client: httpx.AsyncClient, echo: Echo
) -> None:
    response = await client.get("/graphql", params={"query": "{ x }" + " " * LIMIT})
    refused(response, 413, "BAD_USER_INPUT", str(LIMIT))
    assert echo.calls == 0


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_405_allow_get_post(
    client: httpx.AsyncClient, echo: Echo, method: str
) -> None:
    response = await client.request(method, "/graphql", content=b"{}", headers=JSON)
    refused(response, 405, "BAD_REQUEST", f"{method} is not supported")
    assert response.headers["allow"] == "GET, POST"
    assert echo.calls == 0


async def test_other_paths_are_not_guarded(client: httpx.AsyncClient) -> None:
    response = await client.post("/other", content=b"\xff[]", headers={"content-type": "x/y"})
    assert response.json() == {"method": "POST", "body": "\xff[]"}


async def test_non_http_scopes_pass_straight_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    async def receive() -> dict[str, object]:
        return {}

    async def send(message: object) -> None:
        raise AssertionError("nothing to send")

    guard = RequestGuard(app, max_bytes=LIMIT, body_timeout=BODY_TIMEOUT)  # type: ignore[arg-type]
    await guard({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]


# --- slow senders, on a real socket ---------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Echo, int]]:
    echo, port = Echo(), free_port()
    with ServerGroup([(echo.app(), port)]):
        yield echo, port


def raw_exchange(port: int, head: bytes, trickle: bytes = b"", every: float = 0.0) -> bytes:
    """Send ``head``, then ``trickle`` one byte per ``every`` seconds until the server answers;
    read until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_TIMEOUT + 3) as sock:
        sock.sendall(head)
        for byte in trickle:
            sock.settimeout(every)
            try:
                first = sock.recv(65536)
            except TimeoutError:
                sock.sendall(bytes([byte]))
                continue
            sock.settimeout(BODY_TIMEOUT + 3)
            return first + _read_to_close(sock)
        return _read_to_close(sock)


def _read_to_close(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def parse_response(raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, json.loads(body)


def request_head(length: int) -> bytes:
    return (
        b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % length
    )


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "one byte every 0.1 s"])
def test_a_slow_sender_gets_408_within_the_body_timeout(
    served: tuple[Echo, int], trickle: bool
) -> None:
    echo, port = served
    before = echo.calls
    started = time.monotonic()
    partial = b'{"query": "{ x }"'
    if trickle:
        raw = raw_exchange(port, request_head(200) + partial, b" " * 100, every=0.1)
    else:
        raw = raw_exchange(port, request_head(200) + partial)
    elapsed = time.monotonic() - started
    status, headers, body = parse_response(raw)
    assert status == 408
    assert headers["content-type"] == "application/json"
    assert body["errors"][0]["extensions"] == {"code": "REQUEST_TIMEOUT"}
    assert f"{BODY_TIMEOUT:g} seconds" in body["errors"][0]["message"]
    assert BODY_TIMEOUT - 0.05 < elapsed < BODY_TIMEOUT + 1.0  # and the connection was closed
    assert echo.calls == before


def test_a_prompt_sender_on_a_real_socket_is_answered(served: tuple[Echo, int]) -> None:
    _, port = served
    content = b'{"query": "{ x }"}'
    raw = raw_exchange(
        port,
        request_head(len(content)).replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n") + content,
    )
    status, _, body = parse_response(raw)
    assert (status, body) == (200, {"method": "POST", "body": content.decode()})
