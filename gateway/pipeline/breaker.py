"""Circuit breaker stage: a region that keeps failing is failed fast until a trial call succeeds.

Policy, per region: unavailability (down, timed out, dropped) and invalid replies count as
failures; ``failure_threshold`` in a row open the breaker for ``open_seconds``. Refused
credentials open it at once for ``auth_open_seconds`` (logged once per opening): a real system
would lock the gateway's account if we kept trying. A rejected request (other 4xx) was our fault,
so it counts as a success. Once the open time has passed, exactly one trial call goes through
(half-open) while the others still fail fast; its success closes the breaker, its failure reopens
it. Openings are shared through a :class:`~gateway.pipeline.breaker_store.BreakerStore`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.errors import ConnectorError, RegionUnavailable, UpstreamAuthFailed, UpstreamInvalid
from gateway.pipeline.breaker_store import BreakerStore, BreakerStoreUnavailable
from gateway.pipeline.call import Handler, Outcome, RegionCall
from gateway.settings import ResilienceSettings

log = logging.getLogger(__name__)

SYNC_INTERVAL = 0.25  # seconds between reads of a region's shared state
STALE_TRIAL = 60.0  # seconds after which a trial that never reported lets another through


class CircuitOpen(RegionUnavailable):
    """The region's breaker is open: the call was failed fast, the region was not asked."""

    breaker = "open"
    retryable = False  # retrying an open breaker is pointless

    def __init__(self, region: str, retry_in: float, *, credentials: bool = False) -> None:
        reason = "it refused the gateway's credentials" if credentials else "repeated failures"
        seconds = max(1, math.ceil(retry_in))
        super().__init__(
            region,
            f"region's circuit breaker is open after {reason}; retrying after {seconds} s",
        )


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


def counts(error: ConnectorError) -> bool:
    """Whether an error counts against the region (a rejected request does not)."""
    if isinstance(error, CircuitOpen):
        return False
    return isinstance(error, RegionUnavailable | UpstreamInvalid | UpstreamAuthFailed)


@dataclass
class _Region:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0  # consecutive
    opened_at: float | None = None
    open_until: float = 0.0
    credentials: bool = False  # opened because the region refused our credentials
    shared: bool = False  # this opening is in the shared store
    trial_at: float = 0.0  # when the half-open trial started
    version: int = 0  # bumped by every opening and closing here
    next_sync: float = 0.0
    syncing: bool = False


class CircuitBreakers:
    """Every region's breaker; one per app, shared by every request."""

    def __init__(
        self,
        regions: Sequence[str],
        settings: ResilienceSettings,
        store: BreakerStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._regions = {region: _Region() for region in regions}

    def _get(self, region: str) -> _Region:
        return self._regions.setdefault(region, _Region())

    def state(self, region: str) -> BreakerState:
        return self._get(region).state

    def snapshot(self, region: str) -> dict[str, Any]:
        """For ``/ready``: state, consecutive failures, opened at and retry at (epoch seconds)."""
        r = self._get(region)
        closed = r.state is BreakerState.CLOSED
        return {
            "state": r.state.value,
            "consecutive_failures": r.failures,
            "opened_at": None if closed else r.opened_at,
            "retry_at": None if closed else r.open_until,
        }

    async def before(self, region: str) -> None:
        """Raise :class:`CircuitOpen` unless a call may go to the region now."""
        r = self._get(region)
        await self._sync(region, r)
        now = self.clock()
        if r.state is BreakerState.CLOSED:
            return
        due = r.state is BreakerState.OPEN and now >= r.open_until
        if due or (r.state is BreakerState.HALF_OPEN and now - r.trial_at > STALE_TRIAL):
            r.state, r.trial_at = BreakerState.HALF_OPEN, now  # this caller is the trial
            return
        raise CircuitOpen(region, r.open_until - now, credentials=r.credentials)

    def abandon(self, region: str) -> None:
        """A call let through ended without an outcome (cancelled): let the next caller try."""
        r = self._get(region)
        if r.state is BreakerState.HALF_OPEN:
            r.state = BreakerState.OPEN

    async def record(self, region: str, error: ConnectorError | None) -> None:
        """The outcome of a call that ``before`` let through; None is a success."""
        r = self._get(region)
        if r.state is BreakerState.OPEN:
            return  # a call from before the opening: the trial decides
        if error is None or not counts(error):
            r.failures = 0
            if r.state is BreakerState.HALF_OPEN:
                self._set(r, BreakerState.CLOSED, 0.0, credentials=False)
                log.info("region %s: circuit breaker closed", region)
                await self._share(region, r, None)
            return
        r.failures += 1
        auth = isinstance(error, UpstreamAuthFailed)
        trial = r.state is BreakerState.HALF_OPEN
        if not (auth or trial or r.failures >= self.settings.failure_threshold):
            return
        seconds = self.settings.auth_open_seconds if auth else self.settings.open_seconds
        self._set(r, BreakerState.OPEN, self.clock() + seconds, credentials=auth)
        if auth:
            log.warning(
                "region %s refused the gateway's credentials (%s): breaker open for %.0f s",
                region,
                error.code,
                seconds,
            )
        else:
            log.info("region %s: circuit breaker open for %.0f s (%s)", region, seconds, error.code)
        await self._share(region, r, r.open_until)

    def _set(self, r: _Region, state: BreakerState, until: float, *, credentials: bool) -> None:
        r.state, r.open_until, r.credentials, r.version = state, until, credentials, r.version + 1
        r.opened_at = self.clock() if state is BreakerState.OPEN else None
        r.shared = False

    async def _share(self, region: str, r: _Region, until: float | None) -> None:
        """Write an opening (or clear a closing) to the shared store; an outage is not fatal."""
        version = r.version
        try:
            if until is None:
                await self.store.clear(region)
            else:
                await self.store.set_open_until(region, until)
        except BreakerStoreUnavailable:
            return
        if r.version == version:
            r.shared = until is not None
            r.next_sync = self.clock() + SYNC_INTERVAL

    async def _sync(self, region: str, r: _Region) -> None:
        """Adopt another replica's opening, or its closing of an opening we had from the store,
        reading the store at most every 0.25 s (one read at a time)."""
        now = self.clock()
        if r.syncing or now < r.next_sync:
            return
        r.syncing, r.next_sync, version = True, now + SYNC_INTERVAL, r.version
        try:
            until = await self.store.get_open_until(region)
        except BreakerStoreUnavailable:
            return
        finally:
            r.syncing = False
        if r.version != version:
            return  # opened or closed here meanwhile: the read is out of date
        if until is not None and until > self.clock():
            if r.state is BreakerState.CLOSED or (
                r.state is BreakerState.OPEN and until > r.open_until
            ):
                self._set(r, BreakerState.OPEN, until, credentials=r.credentials)
                r.shared = True
        elif until is None and r.state is BreakerState.OPEN and r.shared:
            self._set(r, BreakerState.CLOSED, 0.0, credentials=False)  # closed elsewhere
            r.failures = 0

    async def aclose(self) -> None:
        await self.store.aclose()


class BreakerStage:
    """Ask the breaker before the inner call; tell it how the call went."""

    def __init__(self, next: Handler, breakers: CircuitBreakers) -> None:
        self.next = next
        self.breakers = breakers

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        region = call.region
        await self.breakers.before(region)
        try:
            outcomes = await self.next(call)
        except ConnectorError as exc:
            await self.breakers.record(region, exc)
            raise
        except BaseException:
            self.breakers.abandon(region)
            raise
        await self.breakers.record(region, whole_failure(outcomes))
        return outcomes


def whole_failure(outcomes: Sequence[Outcome]) -> ConnectorError | None:
    """The counted error when every key failed with one (refused credentials first), else None."""
    errors = [o for o in outcomes if isinstance(o, ConnectorError) and counts(o)]
    if not outcomes or len(errors) < len(outcomes):
        return None
    return next((e for e in errors if isinstance(e, UpstreamAuthFailed)), errors[0])
