"""Split stage: a call with more keys than the region's connector takes becomes several calls.

A connector declares the most keys one batch call may take (``Connector.max_batch``, or a
region's ``options.max_batch``: :attr:`~connectors.base.Connector.batch_limit`). A larger call is
cut, in order, into calls of at most that many keys; they run concurrently (the concurrency
stage, inside this one, keeps each to a slot) and their outcomes are joined in key order, per-key
errors kept. A part that raises fails only its own keys, unless every part raised: then the
region could not answer the call, and the first part's error is raised for the whole call (the
per-key rule of :mod:`connectors.base`). A search (one query per key) is never split.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from connectors.base import Capability
from connectors.errors import ConnectorError
from gateway.pipeline.call import Handler, Outcome, RegionCall


class SplitStage:
    """Cut calls to at most ``limits[region]`` keys (regions without a limit pass through)."""

    def __init__(self, next: Handler, limits: Mapping[str, int | None]) -> None:
        self.next = next
        self.limits = limits

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        limit = self.limits.get(call.region)
        if limit is None or len(call.keys) <= limit or call.operation is Capability.SEARCH_PEOPLE:
            return await self.next(call)
        parts = [call.keys[i : i + limit] for i in range(0, len(call.keys), limit)]
        answers = await asyncio.gather(
            *(self.next(call.with_keys(part)) for part in parts), return_exceptions=True
        )
        errors = [a for a in answers if isinstance(a, BaseException)]
        if len(errors) == len(answers):
            raise errors[0]
        for answer in answers:  # a bug or a cancellation is never turned into a key's error
            if isinstance(answer, BaseException) and not isinstance(answer, ConnectorError):
                raise answer
        outcomes: list[Outcome] = []
        for part, answer in zip(parts, answers, strict=True):
            if isinstance(answer, ConnectorError):
                outcomes.extend([answer] * len(part))
            else:
                assert not isinstance(answer, BaseException)
                outcomes.extend(answer)
        return outcomes
