"""Fault injection and request counters, shared by every simulated system.

Each simulator app is wrapped in :class:`FaultInjection`. Faults are set at start and changed at run
time over HTTP (``GET``/``PUT /_sim/faults``); counters by operation are read with
``GET /_sim/counters`` and reset with ``DELETE /_sim/counters``. Control calls are never faulted
or counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sim/"
MAX_LATENCY_MS = 600_000.0  # ten minutes: enough for any test, and no infinities


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and how often. Rates are 0..1; times in milliseconds."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0  # answer 500
    outage: bool = False  # answer every call 503
    malformed_rate: float = 0.0  # answer 200 with a truncated, unparseable body
    trickle_ms: float = 0.0  # send the body one byte at a time, this long between bytes (0: off)
    reject_credentials: bool = False  # answer every call 401, as if the gateway's key were revoked

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base: Faults | None = None) -> Faults:
        """Merge known keys over ``base``; unknown keys or bad values raise ValueError."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if known[key] == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            elif key.endswith("_rate") and not 0 <= value <= 1:
                raise ValueError(f"{key} must be between 0 and 1")
            elif not 0 <= value <= MAX_LATENCY_MS:
                raise ValueError(f"{key} must be between 0 and {MAX_LATENCY_MS} ms")
            values[key] = value
        return replace(base or cls(), **values)


class SimState:
    """Live faults and request counters of one simulated system."""

    def __init__(self, faults: Faults | None = None, seed: int = 0) -> None:
        self.faults = faults or Faults()
        self.counters: Counter[str] = Counter()
        self.random = random.Random(seed)

    def count(self, operation: str, n: int = 1) -> None:
        """Record one call of an operation (called by the app once it knows the operation)."""
        self.counters[operation] += n

    def delay(self) -> float:
        """Seconds to wait before answering, latency plus uniform jitter."""
        f = self.faults
        return max(0.0, f.latency_ms + self.random.uniform(-f.jitter_ms, f.jitter_ms)) / 1000


class FaultInjection:
    """ASGI middleware: control endpoints, latency, outage, refused credentials, errors, malformed
    and trickled bodies."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._control(scope, receive, send, path[len(CONTROL_PREFIX) :])
            return
        faults = self.state.faults
        self.state.count("_requests")
        delay = self.state.delay()
        if delay:
            await asyncio.sleep(delay)
        if faults.trickle_ms:
            send = _trickling(send, receive, faults.trickle_ms / 1000)
        if faults.outage:
            await _reply(send, 503, {"error": "service unavailable (simulated outage)"})
            return
        if faults.reject_credentials:
            await _reply(send, 401, {"error": "credentials rejected (simulated)"})
            return
        if faults.error_rate and self.state.random.random() < faults.error_rate:
            await _reply(send, 500, {"error": "internal error (simulated)"})
            return
        if faults.malformed_rate and self.state.random.random() < faults.malformed_rate:
            send = _truncating(send)
        with contextlib.suppress(ClientDisconnect):  # the caller gave up: not a server error
            await self.app(scope, receive, send)

    async def _control(self, scope: Scope, receive: Receive, send: Send, action: str) -> None:
        method = scope["method"]
        if action == "counters" and method == "GET":
            await _reply(send, 200, dict(self.state.counters))
        elif action == "counters" and method == "DELETE":
            self.state.counters.clear()
            await _reply(send, 200, {})
        elif action == "faults" and method == "GET":
            await _reply(send, 200, asdict(self.state.faults))
        elif action == "faults" and method == "PUT":
            try:
                data = json.loads(await _body(receive) or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("expected a JSON object")
                self.state.faults = Faults.from_mapping(data)
            except ValueError as exc:
                await _reply(send, 400, {"error": str(exc)})
                return
            await _reply(send, 200, asdict(self.state.faults))
        else:
            await _reply(send, 404, {"error": f"no control endpoint {method} {action}"})


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _reply(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _truncating(send: Send) -> Send:
    """Wrap ``send`` so the body is cut in half: invalid XML or JSON with a 200 status."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        cut = body[: max(1, len(body) // 2)]
        assert start is not None
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": cut})

    return wrapped


def _trickling(send: Send, receive: Receive, pause: float) -> Send:
    """Wrap ``send`` so each body is sent one byte at a time, ``pause`` seconds apart; a caller
    that hangs up stops the trickle (the server's task ends, so it can shut down)."""

    async def wrapped(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            for i in range(len(body)):
                await send(
                    {"type": "http.response.body", "body": body[i : i + 1], "more_body": True}
                )
                if i + 1 < len(body):
                    await asyncio.wait([gone], timeout=pause)
                if gone.done():
                    return
            await send({"type": "http.response.body", "more_body": message.get("more_body", False)})
        finally:
            gone.cancel()

    return wrapped


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
