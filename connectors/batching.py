"""One call per key, for systems without batch calls, with the contract's per-key rule.

:func:`fan_out` is :func:`connectors.chunking.call_in_chunks` with chunks of one key: at most
``limit`` calls at once, one result per key in order; a key whose call raised a
:class:`ConnectorError` fails alone while another key was answered, but when every key failed
the same way (or every one was unavailable) the error is raised for the whole call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from connectors.chunking import call_in_chunks
from connectors.errors import ConnectorError

__all__ = ["fan_out"]

K = TypeVar("K")
T = TypeVar("T")


async def fan_out(
    region: str, keys: Sequence[K], call: Callable[[K], Awaitable[T]], *, limit: int
) -> list[T | ConnectorError]:
    """``call(key)`` for every key, at most ``limit`` at once: one result per key, in order."""

    async def one(chunk: Sequence[K]) -> list[T | ConnectorError]:
        return [await call(chunk[0])]

    return await call_in_chunks(region, keys, one, size=1, limit=limit)
