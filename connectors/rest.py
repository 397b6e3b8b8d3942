"""What the REST dialects share: httpx auth, the JSON error boundary and the client lifecycle.

Auth is chosen from ``config.auth``: ``oauth2`` (client credentials, token cached and refreshed
before expiry, one retry on 401), ``api_key`` (a static header) or ``none``. Secrets appear in no
``repr`` and no error message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from connectors.base import Capability, Connector
from connectors.config import RegionConfig
from connectors.errors import ConnectorError, UpstreamAuthFailed, UpstreamInvalid
from connectors.http import build_http_client, error_for_status, send
from connectors.identifiers import IdentifierKind
from connectors.payload import PayloadError
from connectors.records import SystemKind

log = logging.getLogger(__name__)

DEFAULT_EXPIRES_IN = 60.0  # seconds, when a token endpoint leaves ``expires_in`` out


class ApiKeyAuth(httpx.Auth):
    """A static API key sent in a header on every request."""

    def __init__(self, header: str, api_key: str) -> None:
        self.header = header
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"ApiKeyAuth(header={self.header!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self._api_key
        yield request


class OAuth2ClientCredentials(httpx.Auth):
    """OAuth2 client credentials (RFC 6749 4.4) with a cached bearer token.

    The token is refreshed ``refresh_margin`` seconds (at most a tenth of its lifetime) before it
    expires; a 401 with a token that looked valid drops it and retries once with a new one. An
    :class:`asyncio.Lock` makes concurrent calls share one token request. Async clients only.
    """

    def __init__(
        self,
        region: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.token_url = token_url
        self.client_id = client_id
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
            rejected = token
            if self._token == token:
                self._token = None

    def _usable(self, rejected: str | None) -> str | None:
        if self._token is None or self._token == rejected or self._clock() >= self._refresh_at:
            return None
        return self._token

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        basic = base64.b64encode(f"{self.client_id}:{self._client_secret}".encode()).decode()
        timeout = request.extensions.get("timeout")
        return httpx.Request(
            "POST",
            self.token_url,
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            content=urlencode({"grant_type": "client_credentials"}).encode(),
            extensions={"timeout": timeout} if timeout else {},
        )

    def _accept(self, reply: httpx.Response) -> str:
        if reply.status_code in (400, 401, 403):
            raise UpstreamAuthFailed(self.region, "region refused the gateway's client credentials")
        error = error_for_status(self.region, reply)
        if error is not None:
            raise error
        try:
            data = json.loads(reply.content)
        except Exception as exc:  # as in RestProbationConnector._call
            raise UpstreamInvalid(
                self.region, "token endpoint sent a reply that is not JSON"
            ) from exc
        token = data.get("access_token") if isinstance(data, dict) else None
        token_type = data.get("token_type", "bearer") if isinstance(data, dict) else None
        expires_in = data.get("expires_in", DEFAULT_EXPIRES_IN) if isinstance(data, dict) else None
        if (
            not isinstance(token, str)
            or not token
            or not isinstance(token_type, str)
            or token_type.lower() != "bearer"
            or isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or expires_in <= 0
        ):
            raise UpstreamInvalid(self.region, "token endpoint sent a reply that does not map")
        self._token = token
        self._refresh_at = self._clock() + expires_in - min(self.refresh_margin, expires_in / 10)
        return token


def auth_for(config: RegionConfig) -> httpx.Auth | None:
    """The httpx auth that ``config.auth`` asks for (the token URL resolved on ``base_url``)."""
    auth = config.auth
    if auth.type == "api_key":
        return ApiKeyAuth(auth.header, auth.api_key)
    if auth.type == "oauth2":
        token_url = str(httpx.URL(config.base_url).join(auth.token_url))
        return OAuth2ClientCredentials(config.name, token_url, auth.client_id, auth.client_secret)
    return None


@contextmanager
def mapped_payload_errors(region: str) -> Iterator[None]:
    """Translate a payload that does not map (or any foreign failure) into UpstreamInvalid."""
    try:
        yield
    except ConnectorError:
        raise
    except ValueError as exc:  # PayloadError, and enum or date conversions
        detail = str(exc) if isinstance(exc, PayloadError) else "a value is out of range"
        raise UpstreamInvalid(region, f"region sent data that does not map: {detail}") from exc
    except Exception as exc:  # a mapping bug must not leave the connector as a foreign error
        log.exception("region %s: unexpected failure mapping a reply", region)
        raise UpstreamInvalid(region, "region sent data the gateway cannot read") from exc


class RestProbationConnector(Connector):
    """The client lifecycle and JSON calls that both probation dialects share."""

    kinds: ClassVar[frozenset[SystemKind]] = frozenset({SystemKind.PROBATION})
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FIND_BY_IDENTIFIERS,
            Capability.SEARCH_PEOPLE,
            Capability.SUPERVISION_FOR,
            Capability.MANAGERS_FOR,
            Capability.ALERTS_FOR,
        }
    )
    identifier_kinds: ClassVar[frozenset[IdentifierKind]] = frozenset(
        {IdentifierKind.CRN, IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO}
    )

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config, transport=transport)
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, base_url={self.config.base_url!r})"

    async def start(self) -> None:
        self._http()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(httpx.HTTPError, OSError, RuntimeError):
                await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = build_http_client(
                self.config, transport=self._transport, auth=auth_for(self.config)
            )
        return self._client

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """One JSON call through :func:`connectors.http.send`; statuses and bad JSON mapped too."""
        response = await send(self._http(), self.region, method, url, params=params, json=body)
        error = error_for_status(self.region, response)
        if error is not None:
            raise error
        try:
            return json.loads(response.content)
        except Exception as exc:  # JSONDecodeError, UnicodeDecodeError, RecursionError, ...
            raise UpstreamInvalid(self.region, "region sent a reply that is not JSON") from exc
