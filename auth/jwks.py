"""The issuer's signing keys: a JWKS fetched asynchronously with httpx, cached, refetched once for
an unknown ``kid`` (key rotation) but never more often than the rate limit allows."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

logger = logging.getLogger(__name__)

Jwk = Mapping[str, Any]


class KeySetUnavailable(Exception):
    """The key set could not be fetched and no usable keys are cached."""


class UnknownKey(Exception):
    """No key of the set has the token's ``kid``, even after a refetch."""


class KeySource(Protocol):
    async def key(self, kid: str | None) -> Jwk:
        """The JWK that signed a token with this ``kid``; :class:`UnknownKey` or
        :class:`KeySetUnavailable` otherwise."""
        ...


def _indexed(document: object) -> dict[str | None, Jwk]:
    """The set's signing keys by ``kid``; a set of one key also answers a token without one."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK set")
    keys = [
        k
        for k in document["keys"]
        if isinstance(k, Mapping) and k.get("use", "sig") == "sig" and isinstance(k.get("kty"), str)
    ]
    indexed: dict[str | None, Jwk] = {k["kid"]: k for k in keys if isinstance(k.get("kid"), str)}
    if len(keys) == 1:
        indexed[None] = keys[0]
    return indexed


class StaticKeys:
    """A key set known in advance (the development issuer's own)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._keys = _indexed(document)

    async def key(self, kid: str | None) -> Jwk:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKey(kid) from None


class RemoteKeySet:
    """The JWKS at ``url``: fetched on first use and again once ``cache_seconds`` old; an unknown
    ``kid`` refetches at most once per ``refetch_seconds`` (a flood of made-up kids costs the
    issuer one request per interval). When a fetch fails, the keys already fetched stay in use
    (an issuer outage locks nobody out); with none, :class:`KeySetUnavailable`."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 300.0,
        refetch_seconds: float = 30.0,
        timeout: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.refetch_seconds = refetch_seconds
        self.timeout = timeout
        self.transport = transport
        self.clock = clock
        self.fetches = 0  # attempts made, for tests and the log
        self._keys: dict[str | None, Jwk] = {}
        self._fetched_at: float | None = None  # when the cached keys were fetched
        self._attempted_at: float | None = None  # when the last attempt (good or bad) started
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> Jwk:
        if self._fetched_at is None or self.clock() - self._fetched_at >= self.cache_seconds:
            await self._refresh(lambda: self._stale(), wait=self.refetch_seconds)
        if kid not in self._keys:
            await self._refresh(lambda: kid not in self._keys, wait=self.refetch_seconds)
        if kid in self._keys:
            return self._keys[kid]
        if self._fetched_at is None:
            raise KeySetUnavailable(self.url)
        raise UnknownKey(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= self.cache_seconds

    async def _refresh(self, needed: Callable[[], bool], wait: float) -> None:
        """Fetch the set, unless another task just did or the last attempt is under ``wait``
        seconds old."""
        async with self._lock:
            if not needed():
                return  # fetched while this task waited for the lock
            now = self.clock()
            if self._attempted_at is not None and now - self._attempted_at < wait:
                return
            self._attempted_at = now
            self.fetches += 1
            try:
                self._keys = _indexed(await self._fetch())
                self._fetched_at = now
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning(
                    "the JWKS %s could not be fetched (%s); %s",
                    self.url,
                    type(exc).__name__,
                    "keeping the cached keys" if self._keys else "no keys to validate tokens",
                )

    async def _fetch(self) -> object:
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            response = await client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            return response.json()
