"""The REST dialects' auth (connectors.auth, chosen by auth_for), in-process through
httpx.MockTransport: the token flow as the camel region sees it, and what the connectors raise."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.auth import ApiKeyAuth, NoAuth, OAuth2ClientCredentials, auth_for
from connectors.base import PersonSearch
from connectors.config import AuthConfig, RegionConfig
from connectors.errors import RegionUnavailable, UpstreamAuthFailed, UpstreamInvalid
from connectors.rest_camel import CamelProbationConnector
from tests.fixtures.rest.cases import camel_config, snake_config

TOKEN_URL = "http://camel.test/oauth/token"
SECRET = "very-secret-value"


class FakeRegion:
    """A token endpoint and an API in one MockTransport handler, counting what it sees."""

    def __init__(self, *, expires_in: object = 100, token_delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.issued = 0
        self.valid: set[str] = set()
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.token_reply: Callable[[], httpx.Response] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(request)
            await asyncio.sleep(self.token_delay)
            if self.token_reply is not None:
                return self.token_reply()
            self.issued += 1
            token = f"token-{self.issued}"
            self.valid.add(token)
            return httpx.Response(
                200,
                json={"access_token": token, "token_type": "bearer", "expires_in": self.expires_in},
            )
        self.api_requests.append(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid:
            return httpx.Response(401, json={"status": 401, "userMessage": "bad token"})
        return httpx.Response(200, json={"ok": True})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(region: FakeRegion, auth: httpx.Auth) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="http://camel.test/", transport=httpx.MockTransport(region), auth=auth
    )


def oauth(clock: Callable[[], float] | None = None) -> OAuth2ClientCredentials:
    if clock is None:
        return OAuth2ClientCredentials("camel", TOKEN_URL, "gateway", SECRET)
    return OAuth2ClientCredentials("camel", TOKEN_URL, "gateway", SECRET, clock=clock)


async def test_token_request_uses_client_credentials_grant_with_basic_auth() -> None:
    region = FakeRegion()
    async with client_for(region, oauth()) as http:
        reply = await http.get("/api/v1/offenders", timeout=1.5)
    assert reply.json() == {"ok": True}
    [token_request] = region.token_requests
    assert token_request.method == "POST" and str(token_request.url) == TOKEN_URL
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    scheme, encoded = token_request.headers["authorization"].split()
    assert (scheme, base64.b64decode(encoded).decode()) == ("Basic", f"gateway:{SECRET}")
    assert token_request.extensions["timeout"]["read"] == 1.5  # the caller's timeout applies
    assert region.api_requests[0].headers["authorization"] == "Bearer token-1"


async def test_concurrent_calls_share_one_token_request() -> None:
    region = FakeRegion(token_delay=0.05)
    async with client_for(region, oauth()) as http:
        replies = await asyncio.gather(*(http.get("/api/x") for _ in range(25)))
        await http.get("/api/y")
    assert all(r.status_code == 200 for r in replies)
    assert len(region.token_requests) == 1 and len(region.api_requests) == 26


async def test_token_is_refreshed_shortly_before_it_expires() -> None:
    clock, region = Clock(), FakeRegion(expires_in=100)  # refreshed 10 s early (a tenth)
    async with client_for(region, oauth(clock)) as http:
        await http.get("/api/x")
        clock.now += 89
        await http.get("/api/x")
        assert len(region.token_requests) == 1
        clock.now += 2
        await http.get("/api/x")
        assert len(region.token_requests) == 2
    assert region.api_requests[-1].headers["authorization"] == "Bearer token-2"


async def test_a_401_drops_the_token_and_retries_once() -> None:
    region = FakeRegion()
    async with client_for(region, oauth()) as http:
        await http.get("/api/x")
        region.valid.clear()  # the region forgot its tokens
        reply = await http.get("/api/x")
        assert reply.status_code == 200 and len(region.token_requests) == 2
        region.valid.clear()
        region.token_reply = lambda: httpx.Response(
            200, json={"access_token": "never-valid", "token_type": "bearer", "expires_in": 100}
        )
        reply = await http.get("/api/x")
    assert reply.status_code == 401  # one retry, then the 401 is the answer
    assert len(region.api_requests) == 5 and len(region.token_requests) == 3


def reply(status: int, **kwargs: object) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(status, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (reply(401, json={"error": "invalid_client"}), UpstreamAuthFailed),
        (reply(400, json={"error": "invalid_grant"}), UpstreamAuthFailed),
        (reply(503, text="down"), RegionUnavailable),
        (reply(200, text="<html>login page</html>"), UpstreamInvalid),
        (reply(200, json={"token_type": "bearer"}), UpstreamInvalid),
        (reply(200, json={"access_token": "t", "token_type": "mac"}), UpstreamInvalid),
        (reply(200, json={"access_token": "t", "expires_in": "soon"}), UpstreamInvalid),
        (reply(200, json={"access_token": "t", "expires_in": -5}), UpstreamInvalid),
        (reply(200, json=["access_token"]), UpstreamInvalid),
    ],
)
async def test_token_endpoint_failures_map_to_the_taxonomy(
    reply: Callable[[], httpx.Response], error: type[Exception]
) -> None:
    region = FakeRegion()
    region.token_reply = reply
    async with client_for(region, oauth()) as http:
        with pytest.raises(error) as caught:
            await http.get("/api/x")
    assert SECRET not in str(caught.value)
    assert region.api_requests == []


async def test_a_failed_token_request_does_not_hold_the_lock() -> None:
    region, failures = FakeRegion(), [httpx.ConnectError("refused")]

    async def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop()
        return await region(request)

    auth = oauth()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("http://camel.test/api/x")
        reply = await asyncio.wait_for(http.get("http://camel.test/api/x"), timeout=1)
    assert reply.status_code == 200


async def test_connector_maps_a_persistent_401_to_upstream_auth_failed() -> None:
    region = FakeRegion()
    region.token_reply = lambda: httpx.Response(200, json={"access_token": "stale"})
    config = camel_config("http://camel.test/", secret=SECRET)
    connector = CamelProbationConnector(config, transport=httpx.MockTransport(region))
    with pytest.raises(UpstreamAuthFailed) as caught:
        await connector.search_people(PersonSearch(surname="Smith"))
    assert SECRET not in str(caught.value) and SECRET not in repr(connector)
    assert len(region.api_requests) == 2
    await connector.aclose()


async def test_api_key_auth_sets_its_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = ApiKeyAuth("X-Vendor-Key", SECRET)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as http:
        await http.get("http://snake.test/probation/offenders")
    assert seen[0].headers["X-Vendor-Key"] == SECRET


def test_auth_for_picks_from_config() -> None:
    api_key = auth_for(snake_config("http://snake.test/", api_key=SECRET))
    assert isinstance(api_key, ApiKeyAuth) and api_key.name == "X-API-Key"
    none = replace(snake_config("http://snake.test/"), auth=AuthConfig())
    assert isinstance(auth_for(none), NoAuth)
    camel = camel_config("http://camel.test/base/", secret=SECRET)
    relative = auth_for(camel)
    assert isinstance(relative, OAuth2ClientCredentials)
    assert relative.token_url == "http://camel.test/base/oauth/token"
    absolute = auth_for(_with_token_url(camel, "https://login.test/token"))
    assert isinstance(absolute, OAuth2ClientCredentials)
    assert absolute.token_url == "https://login.test/token"


def _with_token_url(config: RegionConfig, url: str) -> RegionConfig:
    return replace(config, auth=replace(config.auth, token_url=url))


def test_secrets_stay_out_of_reprs() -> None:
    camel = camel_config("http://camel.test/", secret=SECRET)
    things: list[object] = [
        ApiKeyAuth("X-API-Key", SECRET),
        auth_for(camel),
        camel.auth,
        snake_config("http://s.test/", api_key=SECRET),
        CamelProbationConnector(camel),
    ]
    assert all(SECRET not in repr(thing) for thing in things)


def test_oauth_refuses_sync_clients() -> None:
    with (
        httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200)), auth=oauth()
        ) as http,
        pytest.raises(RuntimeError),
    ):
        http.get("http://camel.test/api/x")
