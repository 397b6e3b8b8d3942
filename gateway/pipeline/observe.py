"""Observe stage: every call's real outcome, timed, goes to each observer once.

Observers are what the operations side hangs on the pipeline: the region health behind
``/ready``, metrics, the status page's rolling window, the log of upstream failures. Each gets one
:class:`Observation` per call that reached this stage (a cache hit never does) and must be cheap
and never raise: it runs on the request's path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from connectors.errors import ConnectorError
from gateway.health import RegionHealth
from gateway.pipeline.call import Handler, Outcome, RegionCall

log = logging.getLogger("offender_graph.pipeline")


@dataclass(frozen=True, slots=True)
class Observation:
    """One call's outcome: ``outcomes`` per key when it answered, ``error`` when the whole call
    failed or every key did (then it is the first key's error)."""

    call: RegionCall
    seconds: float
    outcomes: tuple[Outcome, ...]
    error: ConnectorError | None

    @property
    def ok(self) -> bool:
        return self.error is None


class CallObserver(Protocol):
    """Anything told of every observed call."""

    def observe(self, observation: Observation) -> None: ...


class HealthObserver:
    """A call that answered marks its region up; one that failed as a whole records why."""

    def __init__(self, health: RegionHealth) -> None:
        self.health = health

    def observe(self, observation: Observation) -> None:
        region = observation.call.region
        if observation.error is None:
            self.health.record_success(region)
        else:
            self.health.record_failure(region, observation.error)


class ObserveStage:
    """Time the rest of the chain and tell every observer what happened."""

    def __init__(self, next: Handler, observers: Sequence[CallObserver]) -> None:
        self.next = next
        self.observers = tuple(observers)

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        started = time.perf_counter()
        try:
            outcomes = await self.next(call)
        except ConnectorError as exc:
            self._tell(Observation(call, time.perf_counter() - started, (), exc))
            raise
        errors = [o for o in outcomes if isinstance(o, ConnectorError)]
        failed = errors[0] if outcomes and len(errors) == len(outcomes) else None
        self._tell(Observation(call, time.perf_counter() - started, tuple(outcomes), failed))
        return outcomes

    def _tell(self, observation: Observation) -> None:
        for observer in self.observers:
            try:
                observer.observe(observation)
            except Exception:  # an observer's bug must never cost the request its answer
                log.exception("observer %s failed", type(observer).__name__)
