"""What the gateway last saw of each region: up, down, or not asked yet."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from connectors.errors import ConnectorError, RegionUnavailable


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

    def _set(self, region: str, status: RegionStatus, error: ConnectorError | None) -> None:
        state = self._states[region]
        if state.status != status:
            state.changed_at = time.time()
        state.status = status
        if error is not None:
            state.last_error, state.last_error_code = error.public_message, error.code
