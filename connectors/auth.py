"""Auth strategies: how a connector proves who it is, as ``httpx.Auth`` objects.

Every base (JSON REST, XML over HTTP, SOAP through zeep's httpx transport) hands one to
:func:`connectors.http.build_http_client`; the client applies it to every request, token requests
included in its reply cap. Secrets arrive resolved (the config reads ``{ env = ... }`` references)
and appear in no ``repr``, log line or error message.

```python
auth = BasicAuth(options.username, options.password)            # or
auth = ApiKeyAuth("apikey", key, where="query")                 # or
auth = OAuth2ClientCredentials(region, token_url, client_id, client_secret)
client = build_http_client(config, auth=auth)
```

SOAP's WS-Security header is not HTTP auth: :func:`username_token` gives zeep's ``wsse`` object.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from zeep.wsse.username import UsernameToken

from connectors.boundaries import payload_boundary, status_error
from connectors.config import RegionConfig
from connectors.errors import ConfigurationError, UpstreamAuthFailed
from connectors.payload import PayloadError

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "ApiKeyAuth",
    "BasicAuth",
    "NoAuth",
    "OAuth2ClientCredentials",
    "SafeUsernameToken",
    "auth_for",
    "username_token",
]

DEFAULT_EXPIRES_IN = 60.0  # seconds, when a token endpoint leaves ``expires_in`` out


class NoAuth(httpx.Auth):
    """Requests go out as they are."""

    def __repr__(self) -> str:
        return "NoAuth()"


class ApiKeyAuth(httpx.Auth):
    """A static API key, in a header (the default) or a query parameter named ``name``.

    Prefer the header: a key in the query string is part of the URL, which proxies may log.
    """

    def __init__(
        self, name: str, api_key: str, *, where: Literal["header", "query"] = "header"
    ) -> None:
        self.name, self.where = name, where
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"ApiKeyAuth(name={self.name!r}, where={self.where!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.where == "query":
            request.url = request.url.copy_merge_params({self.name: self._api_key})
        else:
            request.headers[self.name] = self._api_key
        yield request


class BasicAuth(httpx.Auth):
    """HTTP Basic (RFC 7617); ``encoding`` for legacy systems that expect ISO-8859-1."""

    def __init__(self, username: str, password: str, *, encoding: str = "utf-8") -> None:
        self.username = username
        token = base64.b64encode(f"{username}:{password}".encode(encoding)).decode("ascii")
        self._header = f"Basic {token}"

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class OAuth2ClientCredentials(httpx.Auth):
    """OAuth2 client credentials (RFC 6749 4.4) with a cached bearer token. Async clients only.

    The token is fetched through the same client (so under its timeout and reply cap), cached, and
    refreshed ``refresh_margin`` seconds (at most a tenth of its lifetime) before it expires. A 401
    with a token that looked valid drops it and retries once with a fresh one. Concurrent requests
    share one token fetch (an :class:`asyncio.Lock`). A token endpoint refusing the credentials is
    :class:`UpstreamAuthFailed`; a reply that does not map is ``UpstreamInvalid``.
    """

    def __init__(
        self,
        region: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region, self.token_url, self.client_id, self.scope = (
            region,
            token_url,
            client_id,
            scope,
        )
        self._client_secret = client_secret
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(region={self.region!r}, token_url={self.token_url!r}, "
            f"client_id={self.client_id!r})"
        )

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2ClientCredentials works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        rejected: str | None = None
        for attempt in (1, 2):
            token = self._usable(rejected)
            if token is None:
                async with self._lock:
                    token = self._usable(rejected)
                    if token is None:
                        reply = yield self._token_request(request)
                        await reply.aread()
                        token = self._accept(reply)
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            if response.status_code != 401 or attempt == 2:
                return
            await response.aread()  # release the connection before the retry
            rejected = token
            if self._token == token:
                self._token = None

    def _usable(self, rejected: str | None) -> str | None:
        if self._token is None or self._token == rejected or self._clock() >= self._refresh_at:
            return None
        return self._token

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        basic = base64.b64encode(f"{self.client_id}:{self._client_secret}".encode()).decode()
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        timeout = request.extensions.get("timeout")
        return httpx.Request(
            "POST",
            self.token_url,
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            content=urlencode(form).encode(),
            extensions={"timeout": timeout} if timeout else {},
        )

    def _accept(self, reply: httpx.Response) -> str:
        if reply.status_code in (400, 401, 403):
            raise UpstreamAuthFailed(self.region, "region refused the gateway's client credentials")
        error = status_error(self.region, reply.status_code)
        if error is not None:
            raise error
        with payload_boundary(self.region):
            token, expires_in = _token_of(json.loads(reply.content))
        self._token = token
        self._refresh_at = self._clock() + expires_in - min(self.refresh_margin, expires_in / 10)
        return token


def _token_of(data: Any) -> tuple[str, float]:
    """The bearer token and its lifetime in a token endpoint's reply."""
    if not isinstance(data, dict):
        raise PayloadError("token reply is not an object")
    token = data.get("access_token")
    token_type = data.get("token_type", "bearer")
    expires_in = data.get("expires_in", DEFAULT_EXPIRES_IN)
    if not isinstance(token, str) or not token:
        raise PayloadError("field 'access_token' is missing or not a string")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise PayloadError("field 'token_type' is not bearer")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        raise PayloadError("field 'expires_in' is not a positive number")
    return token, float(expires_in)


class SafeUsernameToken(UsernameToken):
    """zeep's WS-Security UsernameToken, whose ``repr`` leaves the password out."""

    def __repr__(self) -> str:
        return f"UsernameToken(username={self.username!r}, digest={bool(self.use_digest)})"


def username_token(username: str, password: str, *, digest: bool = False) -> SafeUsernameToken:
    """A WS-Security UsernameToken for zeep's ``wsse=``: ``PasswordText``, or with ``digest``
    ``PasswordDigest`` (with a fresh nonce and creation time on every message)."""
    return SafeUsernameToken(username, password, use_digest=digest)  # type: ignore[no-untyped-call]


def auth_for(config: RegionConfig) -> httpx.Auth:
    """The strategy ``config.auth`` names: ``none``, ``api_key`` (a header) or ``oauth2``
    (its ``token_url`` relative to ``base_url``). Other strategies come from a dialect's options."""
    auth = config.auth
    if auth.type == "none":
        return NoAuth()
    if auth.type == "api_key":
        return ApiKeyAuth(auth.header, auth.api_key)
    if auth.type == "oauth2":
        token_url = str(httpx.URL(config.base_url).join(auth.token_url))
        return OAuth2ClientCredentials(config.name, token_url, auth.client_id, auth.client_secret)
    raise ConfigurationError(f"regions.{config.name}.auth.type: unknown type {auth.type!r}")
