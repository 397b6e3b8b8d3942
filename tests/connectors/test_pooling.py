"""One pooled keep-alive client per region: calls reuse its connections, never more than the
region's ``concurrency`` at once; counted as connections a real server on 127.0.0.1 accepts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from connectors.http import KEEPALIVE_SECONDS, build_http_client
from connectors.rest_snake import SnakeProbationConnector
from tests.fixtures.rest.cases import snake_config

BODY = b'{"MANAGERS": []}'
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


@dataclass
class Server:
    """Answers every request on a connection until the client closes it; counts connections
    accepted and the most open at once. ``delay``: seconds before each answer."""

    url: str = ""
    delay: float = 0.0
    accepted: int = 0
    open: int = 0
    most_open: int = 0
    requests: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                await asyncio.sleep(self.delay)
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/"
    async with listener:
        yield state


async def test_calls_of_a_connector_reuse_one_kept_alive_connection(server: Server) -> None:
    connector = SnakeProbationConnector(snake_config(server.url))
    await connector.start()
    try:
        first = await connector.managers_for(["1"])
        second = await connector.managers_for(["2"])
        third = await connector.managers_for(["3"])
    finally:
        await connector.aclose()
    assert first == second == third == [[]]
    assert (server.requests, server.accepted) == (3, 1)


async def test_concurrent_calls_open_at_most_the_regions_concurrency(server: Server) -> None:
    server.delay = 0.05  # every call is in flight at once
    config = replace(snake_config(server.url), concurrency=2)
    async with build_http_client(config) as http:
        replies = await asyncio.gather(*(http.get(f"/{n}") for n in range(6)))
        again = await http.get("/again")  # the pool's connections are still open: reused
    assert [r.status_code for r in (*replies, again)] == [200] * 7
    assert (server.requests, server.accepted, server.most_open) == (7, 2, 2)


def test_an_idle_connection_is_closed_before_a_servers_common_idle_timeout() -> None:
    config = snake_config("http://snake.test/")
    client = build_http_client(config)
    pool = client._transport.inner._pool  # type: ignore[attr-defined]
    assert pool._keepalive_expiry == KEEPALIVE_SECONDS < 5.0
    assert pool._max_connections == pool._max_keepalive_connections == config.concurrency
