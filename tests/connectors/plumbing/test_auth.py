"""The auth strategies: none, API key, Basic, OAuth2 client credentials, WS-Security."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path

import httpx
import pytest
import zeep
from lxml import etree

from connectors.auth import (
    ApiKeyAuth,
    BasicAuth,
    NoAuth,
    OAuth2ClientCredentials,
    auth_for,
    username_token,
)
from connectors.config import AuthConfig, RegionConfig
from connectors.errors import ConnectorError, UpstreamAuthFailed, UpstreamInvalid
from connectors.records import SystemKind

SECRET = "s3cr3t-VALUE"
TOKEN_URL = "http://region.test/oauth/token"
WSDL = Path(__file__).parents[3] / "simulators" / "wsdl" / "prison.wsdl"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def client(handler: httpx.MockTransport, auth: httpx.Auth) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url="http://region.test/", transport=handler, auth=auth)


def echo() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return seen, httpx.MockTransport(handle)


async def test_no_auth_sends_the_request_untouched() -> None:
    seen, transport = echo()
    async with client(transport, NoAuth()) as http:
        await http.get("/x")
    assert "authorization" not in seen[0].headers
    assert seen[0].url.query == b""


async def test_api_key_in_a_header_or_the_query() -> None:
    seen, transport = echo()
    async with client(transport, ApiKeyAuth("X-Api-Key", SECRET)) as http:
        await http.get("/x")
    async with client(transport, ApiKeyAuth("apikey", SECRET, where="query")) as http:
        await http.get("/x", params={"q": "1"})
    assert seen[0].headers["X-Api-Key"] == SECRET
    assert seen[1].url.params == httpx.QueryParams({"q": "1", "apikey": SECRET})
    assert "X-Api-Key" not in seen[1].headers


async def test_basic_auth_in_utf8_or_latin1() -> None:
    seen, transport = echo()
    async with client(transport, BasicAuth("gateway", "pässword")) as http:
        await http.get("/x")
    async with client(transport, BasicAuth("gateway", "pässword", encoding="iso-8859-1")) as http:
        await http.get("/x")
    decoded = [base64.b64decode(r.headers["Authorization"].removeprefix("Basic ")) for r in seen]
    assert decoded == ["gateway:pässword".encode(), "gateway:pässword".encode("iso-8859-1")]


class TokenServer:
    """A token endpoint and an API that accepts only the latest token."""

    def __init__(self, expires_in: float = 300, delay: float = 0.0) -> None:
        self.expires_in, self.delay = expires_in, delay
        self.issued = 0
        self.valid: str | None = None
        self.forms: list[bytes] = []
        self.api_calls: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            await asyncio.sleep(self.delay)
            self.forms.append(request.content)
            assert (
                request.headers["Authorization"]
                == "Basic " + base64.b64encode(f"gw:{SECRET}".encode()).decode()
            )
            self.issued += 1
            self.valid = f"token-{self.issued}"
            body = {"access_token": self.valid, "token_type": "Bearer"}
            return httpx.Response(200, json={**body, "expires_in": self.expires_in})
        bearer = request.headers.get("Authorization", "")
        self.api_calls.append(bearer)
        return httpx.Response(200 if bearer == f"Bearer {self.valid}" else 401)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oauth(clock: Clock | None = None) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        "north", TOKEN_URL, "gw", SECRET, scope="read", clock=clock or Clock()
    )


async def test_oauth2_caches_the_token_until_shortly_before_expiry() -> None:
    server, clock = TokenServer(expires_in=300), Clock()
    async with client(httpx.MockTransport(server), oauth(clock)) as http:
        assert (await http.get("/a")).status_code == 200
        clock.now += 269  # the margin is 30 s: still fresh
        assert (await http.get("/a")).status_code == 200
        assert server.issued == 1
        clock.now += 2  # within the margin: refreshed before use
        assert (await http.get("/a")).status_code == 200
    assert server.issued == 2
    assert server.api_calls == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert server.forms[0] == b"grant_type=client_credentials&scope=read"


async def test_oauth2_retries_once_on_a_401_with_a_fresh_token() -> None:
    server = TokenServer()
    async with client(httpx.MockTransport(server), oauth()) as http:
        await http.get("/a")
        server.valid = "revoked-elsewhere"
        assert (await http.get("/a")).status_code == 200
    assert server.issued == 2
    assert server.api_calls == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


async def test_oauth2_a_second_401_is_returned_not_retried_again() -> None:
    fetched = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal fetched
        if request.url.path == "/oauth/token":
            fetched += 1
            return httpx.Response(200, json={"access_token": f"t{fetched}"})
        return httpx.Response(401)

    async with client(httpx.MockTransport(handle), oauth()) as http:
        assert (await http.get("/a")).status_code == 401
    assert fetched == 2


async def test_oauth2_concurrent_requests_share_one_token_fetch() -> None:
    server = TokenServer(delay=0.02)
    async with client(httpx.MockTransport(server), oauth()) as http:
        replies = await asyncio.gather(*(http.get("/a") for _ in range(10)))
    assert [r.status_code for r in replies] == [200] * 10
    assert server.issued == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.Response(401), UpstreamAuthFailed),
        (httpx.Response(400, json={"error": "invalid_client"}), UpstreamAuthFailed),
        (httpx.Response(200, content=b"<html>"), UpstreamInvalid),
        (httpx.Response(200, json={"access_token": "t", "token_type": "mac"}), UpstreamInvalid),
        (httpx.Response(200, json={"access_token": "t", "expires_in": 0}), UpstreamInvalid),
        (httpx.Response(200, json=["t"]), UpstreamInvalid),
    ],
)
async def test_oauth2_token_endpoint_failures_are_connector_errors(
    reply: httpx.Response, error: type[ConnectorError]
) -> None:
    transport = httpx.MockTransport(lambda request: reply)
    async with client(transport, oauth()) as http:
        with pytest.raises(error) as caught:
            await http.get("/a")
    assert SECRET not in str(caught.value) and SECRET not in caught.value.public_message


def test_no_secret_in_any_repr() -> None:
    strategies: list[object] = [
        ApiKeyAuth("X-Api-Key", SECRET),
        BasicAuth("gateway", SECRET),
        oauth(),
        username_token("gateway", SECRET),
        username_token("gateway", SECRET, digest=True),
    ]
    for strategy in strategies:
        assert SECRET not in repr(strategy)
        assert SECRET not in str(strategy)
    encoded = base64.b64encode(f"gateway:{SECRET}".encode()).decode()
    assert encoded not in repr(BasicAuth("gateway", SECRET))


def region(auth: AuthConfig) -> RegionConfig:
    return RegionConfig("north", "x", SystemKind.CUSTODY, "http://region.test/api/", auth=auth)


def test_auth_for_builds_the_configured_strategy() -> None:
    assert isinstance(auth_for(region(AuthConfig())), NoAuth)
    key = auth_for(region(AuthConfig(type="api_key", header="X-Key", api_key=SECRET)))
    assert isinstance(key, ApiKeyAuth) and key.name == "X-Key"
    token = auth_for(
        region(AuthConfig(type="oauth2", token_url="/token", client_id="gw", client_secret=SECRET))
    )
    assert isinstance(token, OAuth2ClientCredentials)
    assert token.token_url == "http://region.test/token"


def envelope(wsse: object) -> etree._Element:
    soap = zeep.Client(str(WSDL), wsse=wsse)  # type: ignore[no-untyped-call]
    message: etree._Element = soap.create_message(  # type: ignore[no-untyped-call]
        soap.service, "FindOffender", identifierType="NOMS", value="A1234BC"
    )
    return message


def test_ws_security_username_token_with_password_text() -> None:
    root = envelope(username_token("gateway", SECRET))
    token = root.find(f".//{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    assert token is not None
    assert token.findtext(f"{{{WSSE}}}Username") == "gateway"
    password = token.find(f"{{{WSSE}}}Password")
    assert password is not None and password.text == SECRET
    assert password.get("Type", "").endswith("#PasswordText")


def test_ws_security_username_token_with_password_digest() -> None:
    root = envelope(username_token("gateway", SECRET, digest=True))
    token = root.find(f".//{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    assert token is not None
    password = token.find(f"{{{WSSE}}}Password")
    assert password is not None and password.get("Type", "").endswith("#PasswordDigest")
    assert password.text and SECRET not in password.text
    assert token.find(f"{{{WSSE}}}Nonce") is not None
    assert SECRET.encode() not in etree.tostring(root)
    assert len(base64.b64decode(password.text)) == 20  # a SHA-1 digest


async def test_no_secret_in_any_log_line(caplog: pytest.LogCaptureFixture) -> None:
    server = TokenServer()
    refusing = httpx.MockTransport(lambda request: httpx.Response(401))
    caplog.set_level(logging.DEBUG)
    async with client(httpx.MockTransport(server), oauth()) as http:
        await http.get("/a")
    async with client(refusing, oauth()) as http:
        with pytest.raises(UpstreamAuthFailed):
            await http.get("/a")
    for strategy in (ApiKeyAuth("X-Api-Key", SECRET), BasicAuth("gw", SECRET)):
        async with client(refusing, strategy) as http:
            await http.get("/a")
    assert caplog.records  # httpx logged every request
    encoded = base64.b64encode(f"gw:{SECRET}".encode()).decode()
    for record in caplog.records:
        line = record.getMessage()
        assert SECRET not in line and encoded not in line
