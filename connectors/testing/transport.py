"""An httpx transport for the contract kit: records every upstream call and injects faults.

It wraps the transport a connector would use (``Connector(config, transport=...)``): the network,
a recorded-fixtures ``httpx.MockTransport``, or anything else. With no fault it passes calls
through, counting them and the most in flight at once. A :class:`Fault` rewrites every reply
(status, body, foreign host), stalls until the request's own read timeout, or sends the request to
a closed port, so any dialect can be checked the same way.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import httpx

_DROPPED = ("content-length", "content-encoding", "transfer-encoding")
FOREIGN_HOST = "foreign.invalid"
STALL_CAP = 30.0  # seconds a stall waits when the request carries no read timeout
HOSTILE_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">'
    b'<!ENTITY x "&e;&e;&e;">]>\n<r>&x;</r>'
)
GARBAGE = b"\x00\x9f<<not {json nor xml]]\xff"


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to every call: ``status`` with a short body; ``body`` in place of the real
    reply's (its content type kept); ``foreign_links`` to point the reply's own URLs at another
    host; ``stall`` until the read timeout; ``refuse`` as a closed port would."""

    status: int | None = None
    body: bytes | None = None
    foreign_links: bool = False
    stall: bool = False
    refuse: bool = False


@dataclass(frozen=True, slots=True)
class Exchange:
    """One upstream call as sent: method, URL and body."""

    method: str
    url: httpx.URL
    body: bytes

    def mentions(self, text: str) -> bool:
        """Whether the request carries ``text`` (in its decoded URL or its body)."""
        return text in unquote_plus(str(self.url)) or text.encode() in self.body


@dataclass
class FaultTransport(httpx.AsyncBaseTransport):
    """Records calls and applies :attr:`fault`; ``delay`` holds each call that long (seconds)."""

    inner: httpx.AsyncBaseTransport | None = None
    fault: Fault | None = None
    delay: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._owned = self.inner is None
        self._inner = self.inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.exchanges.append(Exchange(request.method, request.url, body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(request, body)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: httpx.Request, body: bytes) -> httpx.Response:
        fault = self.fault
        if fault is None:
            return await self._inner.handle_async_request(request)
        if fault.stall:
            timeout = request.extensions.get("timeout", {}).get("read")
            await asyncio.sleep(STALL_CAP if timeout is None else timeout)
            raise httpx.ReadTimeout("stalled by the contract kit", request=request)
        if fault.refuse:
            return await _to_closed_port(request, body)
        if fault.status is not None:
            injected = {"content-type": "application/json", "retry-after": "1"}
            return httpx.Response(fault.status, headers=injected, content=b'{"error": "injected"}')
        reply = await self._inner.handle_async_request(request)
        content = await reply.aread()
        await reply.aclose()
        if fault.body is not None:
            content = fault.body
        if fault.foreign_links:
            content = _foreign(request.url, content)
        headers = [(k, v) for k, v in reply.headers.multi_items() if k.lower() not in _DROPPED]
        return httpx.Response(reply.status_code, headers=headers, content=content)

    def hosts(self) -> set[str]:
        """Every host a call was sent to."""
        return {exchange.url.host for exchange in self.exchanges}

    def reset(self) -> None:
        """Forget the calls recorded so far."""
        self.exchanges.clear()
        self.max_in_flight = 0

    async def aclose(self) -> None:
        if self._owned:
            await self._inner.aclose()


def _foreign(url: httpx.URL, content: bytes) -> bytes:
    """The reply with its links (absolute, or relative under the request's first path segment,
    in a JSON string or an XML text) pointing at another host."""
    foreign = f"{url.scheme}://{FOREIGN_HOST}".encode()
    content = content.replace(f"{url.scheme}://{url.netloc.decode()}".encode(), foreign)
    segment = url.path.strip("/").split("/")[0]
    if segment:
        for before in (b'"', b">"):
            relative = before + f"/{segment}".encode()
            content = content.replace(relative, before + foreign + f"/{segment}".encode())
    return content


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _to_closed_port(request: httpx.Request, body: bytes) -> httpx.Response:
    """Send the request, for real, to a port nothing listens on (raises httpx.ConnectError)."""
    url = request.url.copy_with(scheme="http", host="127.0.0.1", port=closed_port())
    moved = httpx.Request(
        request.method, url, headers=request.headers, content=body, extensions=request.extensions
    )
    async with httpx.AsyncHTTPTransport() as network:
        return await network.handle_async_request(moved)
