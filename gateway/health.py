"""What the gateway last saw of each region: up, down, or not asked yet; and ``/ready``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from connectors.errors import ConnectorError, RegionUnavailable
from gateway.pipeline.breaker import CircuitBreakers


class RegionStatus(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"


@dataclass
class RegionState:
    status: RegionStatus = RegionStatus.UNKNOWN
    last_error: str | None = None
    last_error_code: str | None = None
    changed_at: float = 0.0
    last_seen_up: float | None = None  # when the region last answered (epoch seconds)


class RegionHealth:
    """Shared by every request of one app; updated by each upstream call's outcome."""

    def __init__(self, regions: list[str]) -> None:
        self._states = {region: RegionState() for region in regions}

    def record_success(self, region: str) -> None:
        self._set(region, RegionStatus.UP, None)

    def record_failure(self, region: str, error: ConnectorError) -> None:
        """Only unavailability marks a region down; a rejected or invalid reply means it is up."""
        status = RegionStatus.DOWN if isinstance(error, RegionUnavailable) else RegionStatus.UP
        self._set(region, status, error)

    def state(self, region: str) -> RegionState:
        return self._states[region]

    @property
    def regions(self) -> list[str]:
        return list(self._states)

    def _set(self, region: str, status: RegionStatus, error: ConnectorError | None) -> None:
        state = self._states[region]
        now = time.time()
        if state.status != status:
            state.changed_at = now
        state.status = status
        if status is RegionStatus.UP:
            state.last_seen_up = now
        if error is not None:
            state.last_error, state.last_error_code = error.public_message, error.code


def _iso(seconds: float | None) -> str | None:
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def ready_payload(health: RegionHealth, breakers: CircuitBreakers) -> tuple[dict[str, Any], int]:
    """``/ready``'s body and status: 503 when every region is DOWN (or none is configured).
    ``breaker`` is the state (CLOSED, OPEN, HALF_OPEN); ``retryAt`` when an open one lets a
    trial through."""
    regions: dict[str, Any] = {}
    for name in health.regions:
        state, breaker = health.state(name), breakers.snapshot(name)
        regions[name] = {
            "status": state.status.value,
            "lastError": state.last_error,
            "lastErrorCode": state.last_error_code,
            "breaker": breaker["state"],
            "consecutiveFailures": breaker["consecutive_failures"],
            "retryAt": _iso(breaker["retry_at"]),
            "lastSeenUp": _iso(state.last_seen_up),
            "changedAt": _iso(state.changed_at),
        }
    ready = any(r["status"] != RegionStatus.DOWN for r in regions.values())
    return {"ready": ready, "regions": regions}, 200 if ready else 503
