"""gateway.limits: the body read within a size and a time limit, and the JSON refusal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.limits import Disconnected, Refused, declared_length, read_body, send_refusal

LIMIT = 100
Receive = Callable[[], Awaitable[dict[str, Any]]]


def messages(*chunks: bytes, then: dict[str, Any] | None = None) -> Receive:
    """A receive() giving ``chunks`` as one body (the last without more_body), then ``then``."""
    queue: list[dict[str, Any]] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    if then is not None:
        queue[-1]["more_body"] = True
        queue.append(then)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    return receive


def stalled_after(chunk: bytes) -> Receive:
    """A receive() that gives part of a body, then waits forever (a slow sender)."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": chunk, "more_body": True}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


def test_a_declared_length_within_the_limit_is_returned() -> None:
    assert declared_length({"content-length": str(LIMIT)}, LIMIT) == LIMIT
    assert declared_length({}, LIMIT) is None


def test_a_declared_length_over_the_limit_is_413_naming_the_limit() -> None:
    with pytest.raises(Refused) as refused:
        declared_length({"content-length": str(LIMIT + 1)}, LIMIT)
    assert (refused.value.status, refused.value.code) == (413, "BAD_USER_INPUT")
    assert str(LIMIT) in refused.value.message
    assert refused.value.headers == {"connection": "close"}


@pytest.mark.parametrize("value", ["-5", "12x", "", "1e3", "²"])
def test_a_declared_length_that_is_not_a_number_is_400(value: str) -> None:
    with pytest.raises(Refused) as refused:
        declared_length({"content-length": value}, LIMIT)
    assert (refused.value.status, refused.value.code) == (400, "BAD_REQUEST")
    assert "Content-Length" in refused.value.message


async def test_a_chunked_body_within_the_limit_is_joined() -> None:
    body = await read_body(messages(b"a" * 50, b"b" * 50), max_bytes=LIMIT, within=1.0)
    assert body == b"a" * 50 + b"b" * 50


async def test_an_empty_body_is_read() -> None:
    assert await read_body(messages(b""), max_bytes=LIMIT, within=1.0) == b""


async def test_a_chunked_body_over_the_limit_is_413_as_soon_as_it_passes_it() -> None:
    with pytest.raises(Refused) as refused:
        # the third chunk would fail the test if it were read: the refusal comes first
        await read_body(
            messages(b"x" * 60, b"x" * 41, then={"type": "boom"}), max_bytes=LIMIT, within=1.0
        )
    assert (refused.value.status, refused.value.code) == (413, "BAD_USER_INPUT")
    assert str(LIMIT) in refused.value.message


async def test_a_slow_body_is_408_after_the_timeout_for_the_whole_body() -> None:
    started = time.monotonic()
    with pytest.raises(Refused) as refused:
        await read_body(stalled_after(b'{"query": '), max_bytes=LIMIT, within=0.2)
    assert 0.15 < time.monotonic() - started < 1.0
    assert (refused.value.status, refused.value.code) == (408, "REQUEST_TIMEOUT")
    assert "0.2 seconds" in refused.value.message


async def test_a_client_that_leaves_mid_body_is_disconnected() -> None:
    with pytest.raises(Disconnected):
        await read_body(
            messages(b"x", then={"type": "http.disconnect"}), max_bytes=LIMIT, within=1.0
        )


async def test_a_refusal_is_sent_as_a_coded_json_error() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await send_refusal(send, Refused(415, "BAD_REQUEST", "nope", {"allow": "POST"}))
    start, body = sent
    assert start["status"] == 415
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"allow"] == b"POST"
    assert int(headers[b"content-length"]) == len(body["body"])
    assert json.loads(body["body"]) == {
        "errors": [{"message": "nope", "extensions": {"code": "BAD_REQUEST"}}]
    }
