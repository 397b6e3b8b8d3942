"""Batch calls in chunks, with the one rule for per-key versus whole-call failure.

:func:`call_in_chunks` splits the keys into chunks of at most ``size``, calls each chunk (at most
``limit`` at once) and joins the answers back in key order, one per key. The rule (the contract's
per-key versus whole-call rule, :mod:`connectors.base`):

- a chunk call that raises a :class:`ConnectorError` fails only its own keys (each gets the error)
  while another chunk answered; a chunk call may also fail single keys by returning an error in
  that key's place;
- but when *no* chunk answered and every one raised the same kind of error (one chunk: the call
  was not split), or every key of every chunk failed with :class:`RegionUnavailable` (a timeout
  included), the region could not answer the call: that error is raised for the whole call. So a
  region that is down, or answers garbage to every call, is seen as failing, not as UP.

```python
async def fetch(chunk: Sequence[str]) -> Sequence[list[Alert] | ConnectorError]:
    reply = await session.json("POST", "/alerts", json={"ids": [*chunk]})
    ...  # one list per id of the chunk, in order

alerts = await call_in_chunks(region, ids, fetch, size=options.max_batch, limit=config.concurrency)
```
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from connectors.errors import ConnectorError, RegionUnavailable, UpstreamInvalid

__all__ = ["ChunkCall", "call_in_chunks", "chunks", "raise_if_all_unavailable"]

K = TypeVar("K")
T = TypeVar("T")

ChunkCall = Callable[[Sequence[K]], Awaitable[Sequence[T | ConnectorError]]]
"""Call one chunk of keys: one result (or error) per key, in the chunk's order."""


def chunks(keys: Sequence[K], size: int) -> list[Sequence[K]]:
    """``keys`` cut into consecutive chunks of at most ``size`` (at least 1) keys each."""
    if size < 1:
        raise ValueError("a chunk holds at least one key")
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def raise_if_all_unavailable(results: Sequence[T | ConnectorError]) -> list[T | ConnectorError]:
    """``results``, unless every one is a :class:`RegionUnavailable`: then raise the first."""
    first = results[0] if results else None
    if isinstance(first, RegionUnavailable) and all(
        isinstance(result, RegionUnavailable) for result in results
    ):
        raise first
    return list(results)


async def call_in_chunks(
    region: str,
    keys: Sequence[K],
    call: ChunkCall[K, T],
    *,
    size: int,
    limit: int,
) -> list[T | ConnectorError]:
    """One result per key, in order, from ``call`` on chunks of at most ``size`` keys.

    At most ``limit`` chunk calls run at once. A chunk answering a different number of results
    than it has keys raised :class:`UpstreamInvalid`, for the rule. No keys: no call.
    """
    parts = chunks(keys, size)
    semaphore = asyncio.Semaphore(max(1, limit))

    async def one(part: Sequence[K]) -> Sequence[T | ConnectorError] | ConnectorError:
        """The chunk's results, or the error its call raised."""
        async with semaphore:
            try:
                answers = await call(part)
            except ConnectorError as exc:
                return exc
        if len(answers) != len(part):
            return UpstreamInvalid(
                region, f"batch reply has {len(answers)} results for {len(part)} keys"
            )
        return answers

    answered = await asyncio.gather(*(one(part) for part in parts))
    raised = [outcome for outcome in answered if isinstance(outcome, ConnectorError)]
    if raised and len(raised) == len(parts) and len({type(error) for error in raised}) == 1:
        raise raised[0]
    return raise_if_all_unavailable(
        [
            result
            for part, outcome in zip(parts, answered, strict=True)
            for result in (
                [outcome] * len(part) if isinstance(outcome, ConnectorError) else outcome
            )
        ]
    )
