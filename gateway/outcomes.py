"""What happened when a request asked each region: failures with their stage, and per-region
outcomes (OK, STALE, FAILED, SKIPPED) for a person, so an answer can say what it is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from connectors.errors import ConnectorError
from gateway.pipeline.call import Fetched


class Stage(StrEnum):
    """Where a region failed: finding the person, fetching their details, or a name search."""

    IDENTITY = "IDENTITY"
    DETAILS = "DETAILS"
    SEARCH = "SEARCH"


IDENTITY_CONFLICT = "IDENTITY_CONFLICT"


@dataclass(frozen=True, slots=True)
class RegionFailure:
    """A region's failure that touched an answer; safe to show a client."""

    region: str
    code: str
    message: str
    stage: Stage
    breaker_open: bool = False

    @classmethod
    def of(cls, error: ConnectorError, stage: Stage) -> RegionFailure:
        return cls(
            error.region,
            error.code,
            error.public_message,
            stage,
            breaker_open=getattr(error, "breaker", None) == "open",
        )


class Outcome(StrEnum):
    OK = "OK"
    STALE = "STALE"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class RegionOutcome:
    """How one region did for one person in this request."""

    region: str
    outcome: Outcome
    fetched_at: datetime | None = None  # OK and STALE: when the region gave the answer used
    failure: RegionFailure | None = None  # FAILED
    reason: str | None = None  # SKIPPED: why the region was not asked


class Ledger:
    """Every answer and failure of every region for one person in one request."""

    def __init__(self) -> None:
        self._fetched: dict[str, list[Fetched[Any]]] = {}
        self._failures: dict[str, list[RegionFailure]] = {}

    def answered(self, region: str, fetched: Fetched[Any]) -> None:
        self._fetched.setdefault(region, []).append(fetched)

    def failed(self, failure: RegionFailure) -> None:
        known = self._failures.setdefault(failure.region, [])
        if failure not in known:
            known.append(failure)

    def absorb(self, other: Ledger) -> None:
        for region, fetched in other._fetched.items():
            self._fetched.setdefault(region, []).extend(fetched)
        for failures in other._failures.values():
            for failure in failures:
                self.failed(failure)

    def first_fetched(self, region: str) -> float | None:
        """When ``region`` gave its oldest answer used for this person (None if none)."""
        fetched = self._fetched.get(region)
        return min(f.fetched_at for f in fetched) if fetched else None

    @property
    def failures(self) -> list[RegionFailure]:
        return [f for failures in self._failures.values() for f in failures]

    def outcome(self, region: str, skipped_because: str) -> RegionOutcome:
        """FAILED beats STALE beats OK; a region never asked is SKIPPED with the reason."""
        failures = self._failures.get(region)
        if failures:
            return RegionOutcome(region, Outcome.FAILED, failure=failures[0])
        fetched = self._fetched.get(region)
        if not fetched:
            return RegionOutcome(region, Outcome.SKIPPED, reason=skipped_because)
        stale = [f for f in fetched if f.stale]
        if stale:
            oldest = min(f.fetched_at for f in stale)
            return RegionOutcome(region, Outcome.STALE, fetched_at=_utc(oldest))
        return RegionOutcome(
            region, Outcome.OK, fetched_at=_utc(min(f.fetched_at for f in fetched))
        )


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
