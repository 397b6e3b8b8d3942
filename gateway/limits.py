"""Reading a request body within limits: a hostile or careless client can make the gateway buffer
neither megabytes (``max_bytes``) nor a worker forever (``timeout``, for the whole body).

A request that breaks a limit is a :class:`Refused`; :func:`send_refusal` answers it with a
GraphQL-shaped JSON error carrying ``extensions.code``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from starlette.types import Receive, Send


class Refused(Exception):
    """A request answered with an error instead of being passed on."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class Disconnected(Exception):
    """The client went away before it finished sending its body."""


def too_large(max_bytes: int) -> Refused:
    return Refused(
        413,
        "BAD_USER_INPUT",
        f"request body larger than {max_bytes} bytes",
        {"connection": "close"},
    )


def declared_length(headers: Mapping[str, str], max_bytes: int) -> int | None:
    """The Content-Length a request declares (None if none), checked before anything is read."""
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not declared.isascii() or not declared.isdigit():
        raise Refused(400, "BAD_REQUEST", "Content-Length must be a whole number of bytes")
    if int(declared) > max_bytes:
        raise too_large(max_bytes)
    return int(declared)


async def read_body(receive: Receive, *, max_bytes: int, within: float) -> bytes:
    """The whole body, refused past ``max_bytes`` (413) or when it takes longer than
    ``within`` seconds in all (408); :class:`Disconnected` if the client left."""
    chunks: list[bytes] = []
    received = 0
    try:
        async with asyncio.timeout(within):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Disconnected
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > max_bytes:
                    raise too_large(max_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise Refused(
            408,
            "REQUEST_TIMEOUT",
            f"request body not received within {within:g} seconds",
            {"connection": "close"},
        ) from None


def error_body(code: str, message: str) -> bytes:
    """``{"errors": [{"message": ..., "extensions": {"code": ...}}]}`` as bytes."""
    error = {"message": message, "extensions": {"code": code}}
    return json.dumps({"errors": [error]}).encode()


async def send_refusal(send: Send, refused: Refused) -> None:
    """Answer ``refused`` as JSON with its status, code and headers."""
    body = error_body(refused.code, refused.message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode("latin-1"), v.encode("latin-1")) for k, v in refused.headers.items()),
    ]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
