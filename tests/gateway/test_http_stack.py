"""CORS (an allow-list, off by default) and gzip compression of large answers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.app import create_app
from tests.gateway.inprocess import FakeRegion, app_client, person, settings

ALLOWED = "https://frontend.example.gov.uk"
QUERY = {"query": "{ regions { name kind dialect status breaker capabilities lastError } }"}


def regions() -> dict[str, FakeRegion]:
    return {
        f"prison-{n}": FakeRegion(
            f"prison-{n}",
            SystemKind.CUSTODY,
            [person(f"prison-{n}", "P1", Identifier(IdentifierKind.NOMS, "A1234BC"))],
        )
        for n in range(8)
    }


@contextlib.asynccontextmanager
async def client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app over fake regions, its lifespan running, and a client speaking to it."""
    async with app_client(settings(**overrides), regions()) as http:
        yield http


async def preflight(http: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )


async def test_cors_is_off_by_default() -> None:
    async with client() as http:
        answer = await http.post("/graphql", json=QUERY, headers={"origin": ALLOWED})
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers
        assert "access-control-allow-origin" not in (await preflight(http, ALLOWED)).headers


async def test_cors_allows_exactly_the_listed_origins() -> None:
    async with client(cors_origins=f"{ALLOWED}, http://127.0.0.1:5173") as http:
        allowed = await preflight(http, ALLOWED)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in allowed.headers["access-control-allow-methods"]
        refused = await preflight(http, "https://evil.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answer = await http.post(
            "/graphql", json=QUERY, headers={"origin": "http://127.0.0.1:5173"}
        )
        assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
        other = await http.post("/graphql", json=QUERY, headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("origins", ["*", "frontend.example", "https://a.example/path"])
def test_a_wildcard_or_malformed_origin_is_refused_at_start_up(origins: str) -> None:
    with pytest.raises(ConfigurationError, match="cors_origins: origin 1 is not"):
        create_app(settings(cors_origins=origins), connectors=regions())


async def test_large_answers_are_gzipped_when_accepted_and_equal_the_plain_one() -> None:
    async with client() as http:
        plain = await http.post("/graphql", json=QUERY, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert len(plain.content) >= 1024
        packed = await http.post("/graphql", json=QUERY, headers={"accept-encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
        assert packed.json() == plain.json()  # httpx decoded the gzip body
        assert packed.json()["data"]["regions"][0]["name"] == "prison-0"
        small = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"accept-encoding": "gzip"}
        )
        assert "content-encoding" not in small.headers
        assert small.json() == {"data": {"__typename": "Query"}}


async def test_the_compression_threshold_is_a_setting() -> None:
    async with client(compress_min_bytes=10) as http:
        small = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"accept-encoding": "gzip"}
        )
        assert small.headers["content-encoding"] == "gzip"
        assert small.json() == {"data": {"__typename": "Query"}}
