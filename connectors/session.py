"""One region's HTTP client and the request every HTTP base makes: send, map the status, read.

:class:`HttpSession` builds the region's capped client (:func:`connectors.http.build_http_client`)
on first use with the connector's auth strategy, and closes it idempotently (a later call builds
a new one). :meth:`HttpSession.request` sends through :func:`connectors.http.send` (the HTTP
boundary) and turns a non-2xx status into its connector error; 404 is "not found" (the response is
returned) only when the caller says so. :meth:`HttpSession.json` reads the reply as JSON under the
payload boundary.

```python
session = HttpSession(config, transport=transport, auth=BasicAuth(user, password))
reply = await session.request("GET", "/people/42", not_found=True)
if reply.status_code == 404:
    return []
data = await session.json("POST", "/people/search", json={"surname": "SMITH"})
await session.aclose()
```
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import httpx

from connectors.boundaries import payload_boundary, status_error
from connectors.config import RegionConfig
from connectors.errors import UpstreamInvalid
from connectors.http import build_http_client, send

__all__ = ["HttpSession", "read_json"]


class HttpSession:
    """The region's httpx client, built on first use; requests with their status mapped."""

    def __init__(
        self,
        config: RegionConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.config, self.region = config, config.name
        self._transport, self._auth = transport, auth
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"HttpSession(region={self.region!r}, base_url={self.config.base_url!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        """The client (built now if need be)."""
        if self._client is None:
            self._client = build_http_client(
                self.config, transport=self._transport, auth=self._auth
            )
        return self._client

    async def aclose(self) -> None:
        """Close the client, if open. Idempotent; never raises for a client already broken."""
        client, self._client = self._client, None
        if client is not None:
            with suppress(httpx.HTTPError, OSError, RuntimeError):
                await client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: bool = False,
    ) -> httpx.Response:
        """The whole (capped) reply of a 2xx, or of a 404 when ``not_found``; any other status is
        its connector error (:func:`connectors.boundaries.status_error`)."""
        response = await send(
            self.client,
            self.region,
            method,
            url,
            params=params,
            json=json,
            content=content,
            headers=headers,
        )
        if not_found and response.status_code == 404:
            return response
        error = status_error(self.region, response.status_code)
        if error is not None:
            raise error
        return response

    async def json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        not_found: bool = False,
    ) -> Any:
        """The reply decoded from JSON; None for a 404 when ``not_found``."""
        response = await self.request(
            method, url, params=params, json=json, headers=headers, not_found=not_found
        )
        if response.status_code == 404:
            return None
        return read_json(self.region, response.content)


def read_json(region: str, content: bytes) -> Any:
    """``content`` decoded from JSON (UTF-8, -16 or -32); else :class:`UpstreamInvalid`."""
    try:
        with payload_boundary(region):
            return jsonlib.loads(content)
    except RecursionError as exc:  # nesting deeper than the interpreter's stack: hostile
        raise UpstreamInvalid(region, "region sent JSON nested too deeply") from exc
