"""The one boundary where httpx meets our error taxonomy, and how connectors build their clients.

Every request a connector makes goes through :func:`send`, on a client from
:func:`build_http_client`. That client's transport (:class:`CappedTransport`) holds every reply
body, token and WSDL replies included, to the region's ``max_reply_bytes``: a Content-Length over
it is refused before reading, and the body is counted as it streams in, on the wire and as
decoded (gzip and deflate are inflated here, in bounded steps, so a compression bomb never
inflates past the cap). Environment proxies are not used: regions are reached directly. The same
transport adds the W3C trace context (``traceparent``, ``tracestate``) of the current span to
every request, when the gateway traces (OpenTelemetry's API alone: a no-op without its SDK).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Protocol

import httpx
from opentelemetry.propagate import inject

from connectors.boundaries import http_boundary, status_error
from connectors.config import RegionConfig
from connectors.errors import ConnectorError, RegionUnavailable, UpstreamInvalid

ACCEPT_ENCODING = "gzip, deflate"  # the only encodings the capped reader inflates
INFLATE_STEP = 64 * 1024  # bytes inflated at most per step
KEEPALIVE_SECONDS = 4.0  # an idle pooled connection is closed before common servers' 5 s do it
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class HasStatus(Protocol):
    @property
    def status_code(self) -> int: ...


def too_large(region: str, max_bytes: int) -> UpstreamInvalid:
    return UpstreamInvalid(region, f"region sent a reply larger than {max_bytes} bytes")


class _Inflater:
    """Decode one content coding, never producing more than ``INFLATE_STEP`` bytes at a time."""

    def __init__(self, region: str, coding: str) -> None:
        self.region = region
        self._zlib = zlib.decompressobj(_WBITS[coding]) if coding in _WBITS else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        try:
            while data and not self._zlib.eof:
                yield self._zlib.decompress(data, INFLATE_STEP)
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise UpstreamInvalid(
                self.region, "region sent a body that could not be decoded"
            ) from exc


class CappedStream(httpx.AsyncByteStream):
    """A reply body, decoded, that stops with :class:`UpstreamInvalid` past ``max_bytes``."""

    def __init__(
        self, inner: httpx.AsyncByteStream, inflater: _Inflater, region: str, max_bytes: int
    ) -> None:
        self._inner, self._inflater = inner, inflater
        self.region, self.max_bytes = region, max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        wire = decoded = 0
        async for chunk in self._inner:
            wire += len(chunk)
            if wire > self.max_bytes:
                raise too_large(self.region, self.max_bytes)
            for piece in self._inflater.feed(chunk):
                decoded += len(piece)
                if decoded > self.max_bytes:
                    raise too_large(self.region, self.max_bytes)
                yield piece

    async def aclose(self) -> None:
        await self._inner.aclose()


class CappedTransport(httpx.AsyncBaseTransport):
    """Wrap a transport so every reply body is capped and handed on already decoded."""

    def __init__(self, inner: httpx.AsyncBaseTransport, region: str, max_bytes: int) -> None:
        self.inner, self.region, self.max_bytes = inner, region, max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inject(request.headers)  # W3C trace context of the current span; none: a no-op
        response = await self.inner.handle_async_request(request)
        try:
            inflater = self._inflater(response.headers)
        except BaseException:
            await response.aclose()
            raise
        headers = [
            (key, value)
            for key, value in response.headers.raw
            if key.lower() not in (b"content-encoding", b"content-length")
        ]
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=CappedStream(stream, inflater, self.region, self.max_bytes),
            extensions=response.extensions,
        )

    def _inflater(self, headers: httpx.Headers) -> _Inflater:
        for length in headers.get_list("content-length", split_commas=True):
            if length.strip().isdigit() and int(length) > self.max_bytes:
                raise too_large(self.region, self.max_bytes)
        codings = [
            c.strip().lower()
            for c in headers.get_list("content-encoding", split_commas=True)
            if c.strip().lower() not in ("", "identity")
        ]
        if len(codings) > 1 or (codings and codings[0] not in _WBITS):
            raise UpstreamInvalid(
                self.region, "region sent a body in an encoding it was not asked for"
            )
        return _Inflater(self.region, codings[0] if codings else "identity")

    async def aclose(self) -> None:
        await self.inner.aclose()


def build_http_client(
    config: RegionConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.AsyncClient:
    """An httpx client for one region: its base URL, timeout, connection limits and reply cap.

    The connector keeps it for the life of the process (:class:`connectors.session.HttpSession`):
    one pool per region, at most ``concurrency`` connections, each kept alive and reused across
    calls and requests until idle for :data:`KEEPALIVE_SECONDS`."""
    limits = httpx.Limits(
        max_connections=config.concurrency,
        max_keepalive_connections=config.concurrency,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    inner = transport or httpx.AsyncHTTPTransport(limits=limits)
    return httpx.AsyncClient(
        base_url=config.base_url,
        timeout=httpx.Timeout(config.timeout),
        transport=CappedTransport(inner, config.name, config.max_reply_bytes),
        auth=auth,
        follow_redirects=False,
        headers={"Accept-Encoding": ACCEPT_ENCODING},
    )


def error_for_status(region: str, response: HasStatus) -> ConnectorError | None:
    """The connector error an HTTP status means, or None for a success (2xx)."""
    return status_error(region, response.status_code)


class Exchange:
    """httpcore's trace of one request: whether it went out on a reused keep-alive connection."""

    def __init__(self) -> None:
        self.connected = False
        self.sent = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.startswith("connection.connect_"):
            self.connected = True
        elif event.endswith(".send_request_headers.started"):
            self.sent = True

    def reused(self) -> bool:
        return self.sent and not self.connected


mapped_http_errors = http_boundary  # the one mapping, in connectors.boundaries


async def send(
    client: httpx.AsyncClient,
    region: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Send one request and read its whole (capped) reply. httpx and socket failures are
    connector errors (:func:`connectors.boundaries.http_boundary`); anything else is a bug and
    propagates as itself."""
    exchange = Exchange()
    try:
        with http_boundary(region, exchange.reused):
            request = client.build_request(
                method,
                url,
                params=params,
                json=json,
                content=content,
                headers=headers,
                extensions={"trace": exchange},
            )
            return await client.send(request)
    except OSError as exc:  # a socket error a transport let through unwrapped
        raise RegionUnavailable(region, "region could not be reached") from exc
