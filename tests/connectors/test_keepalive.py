"""A region that closes a kept-alive connection as the gateway reuses it: ConnectionDropped (retry
at once, on a fresh connection), against a tiny HTTP/1.1 server on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from connectors.errors import ConnectionDropped, RegionUnavailable
from connectors.http import build_http_client, send
from connectors.rest_snake import SnakeProbationConnector
from tests.fixtures.rest.cases import snake_config

BODY = b'{"MANAGERS": []}'
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


@dataclass
class Server:
    """Answers ``answered`` requests per connection, then reads the next one and hangs up."""

    url: str = ""
    answered: int = 1
    connections: int = 0
    requests: list[int] = field(default_factory=list)  # connection number of each request

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            for served in range(self.answered + 1):
                await reader.readuntil(b"\r\n\r\n")
                self.requests.append(number)
                if served == self.answered:
                    break  # close without answering, as a server whose idle timeout just fired
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}/"
    async with listener:
        yield state


async def test_a_reused_connection_closed_by_the_server_is_connection_dropped(
    server: Server,
) -> None:
    cfg = snake_config(server.url)
    async with build_http_client(cfg) as http:
        first = await send(http, cfg.name, "GET", "/a")
        with pytest.raises(ConnectionDropped) as info:
            await send(http, cfg.name, "GET", "/b")
        again = await send(http, cfg.name, "GET", "/c")  # what the retry stage does at once
    assert first.content == again.content == BODY
    assert info.value.retry_at_once is True
    assert info.value.code == "REGION_UNAVAILABLE"
    assert info.value.public_message == "region closed a kept-alive connection"
    assert server.requests == [1, 1, 2]  # the second went out on the first, reused, connection


async def test_a_fresh_connection_closed_without_an_answer_is_region_unavailable(
    server: Server,
) -> None:
    server.answered = 0
    cfg = snake_config(server.url)
    async with build_http_client(cfg) as http:
        with pytest.raises(RegionUnavailable) as info:
            await send(http, cfg.name, "GET", "/a")
    assert type(info.value) is RegionUnavailable
    assert info.value.retry_at_once is False
    assert server.requests == [1]


async def test_the_connector_reports_it_and_does_not_retry_itself(server: Server) -> None:
    connector = SnakeProbationConnector(snake_config(server.url))
    try:
        assert await connector.managers_for(["1"]) == [[]]
        with pytest.raises(ConnectionDropped):
            await connector.managers_for(["2"])
        assert await connector.managers_for(["3"]) == [[]]
    finally:
        await connector.aclose()
    assert server.requests == [1, 1, 2]
