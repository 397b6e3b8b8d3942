"""Retry stage: idempotent reads are tried again on retryable failures, within the deadline.

Every operation of the connector contract is a read, so every call may be retried. Only
:attr:`~connectors.errors.ConnectorError.retryable` failures are (a region answering 5xx or 429,
a refused or dropped connection), never a timeout (the region already had its time), an open
breaker, a rejected request or refused credentials. A connection the server closed while idle
(:class:`~connectors.errors.ConnectionDropped`) is retried at once; the rest wait with exponential
backoff and jitter (tenacity). When some keys of a batch failed retryably, only those keys are
asked again. No retry starts when its wait would not fit in the request's deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from random import random

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.wait import wait_exponential, wait_random

from connectors.errors import ConnectorError, RegionTimeout
from gateway.pipeline.call import Handler, Outcome, RegionCall
from gateway.settings import ResilienceSettings


def retryable(error: BaseException) -> bool:
    """Whether trying the same read again may succeed."""
    return (
        isinstance(error, ConnectorError)
        and error.retryable
        and not isinstance(error, RegionTimeout)
    )


class _KeysFailed(Exception):
    """Some keys of a batch failed retryably: try those again."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(error.public_message)
        self.error = error


def _cause(state: RetryCallState) -> ConnectorError | None:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _KeysFailed):
        return exc.error
    return exc if isinstance(exc, ConnectorError) else None


class RetryStage:
    """Ask again for the keys that failed retryably, up to ``settings.retries`` more times."""

    def __init__(self, next: Handler, settings: ResilienceSettings) -> None:
        self.next = next
        self.settings = settings
        self._backoff = wait_exponential(
            multiplier=settings.backoff_initial, max=settings.backoff_max
        ) + wait_random(0, settings.backoff_initial)

    def _wait(self, state: RetryCallState) -> float:
        cause = _cause(state)
        return 0.0 if cause is not None and cause.retry_at_once else self._backoff(state)

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        # The first attempt runs bare: nearly every call succeeds, and building tenacity's
        # machinery for each one would cost more than the stage's whole work.
        try:
            first = await self.next(call)
        except ConnectorError as exc:
            if self.settings.retries == 0 or not retryable(exc):
                raise
            return await self._again(call, {}, list(call.keys), exc)
        failed = [k for k, o in zip(call.keys, first, strict=True) if _retryable_outcome(o)]
        if not failed or self.settings.retries == 0:
            return first
        results = dict(zip(call.keys, first, strict=True))
        error = results[failed[0]]
        assert isinstance(error, ConnectorError)
        return await self._again(call, results, failed, error)

    async def _again(
        self,
        call: RegionCall,
        results: dict[Hashable, Outcome],
        pending: list[Hashable],
        error: ConnectorError,
    ) -> list[Outcome]:
        """Up to ``retries`` more attempts for the ``pending`` keys, after backing off."""
        wait = 0.0 if error.retry_at_once else self.settings.backoff_initial * (1 + random())
        if call.deadline.remaining() <= wait:
            if not results:
                raise error
            return [results[key] for key in call.keys]
        await asyncio.sleep(wait)

        async def attempt() -> None:
            nonlocal pending
            outcomes = await self.next(call.with_keys(pending))
            results.update(zip(pending, outcomes, strict=True))
            failed = [k for k, o in zip(pending, outcomes, strict=True) if _retryable_outcome(o)]
            if failed:
                pending = failed
                cause = results[failed[0]]
                assert isinstance(cause, ConnectorError)
                raise _KeysFailed(cause)

        def stop(state: RetryCallState) -> bool:
            """After the last attempt, or when the next wait would not fit in the deadline."""
            out_of_attempts = state.attempt_number >= self.settings.retries
            return out_of_attempts or call.deadline.remaining() <= self._wait(state)

        retrying = AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _KeysFailed) or retryable(e)),
            reraise=True,
        )
        try:
            await retrying(attempt)
        except _KeysFailed:
            pass  # the last attempt's per-key errors stand
        except ConnectorError as exc:  # a later attempt failed whole: only the pending keys lose
            if not results:
                raise
            results.update(dict.fromkeys(pending, exc))
        return [results[key] for key in call.keys]


def _retryable_outcome(outcome: Outcome) -> bool:
    return isinstance(outcome, ConnectorError) and retryable(outcome)
