"""Domain policy over every region's records at once: status, the responsible officer, the
timeline, and the order of every list. Each rule knows which failures could have changed it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from connectors.records import (
    Alert,
    CustodyEpisode,
    Movement,
    OffenderManager,
    SupervisionEpisode,
    SupervisionKind,
)


class Status(StrEnum):
    """Where a person is in the justice system now, across all regions."""

    IN_CUSTODY = "IN_CUSTODY"
    ON_LICENCE = "ON_LICENCE"
    POST_SENTENCE_SUPERVISION = "POST_SENTENCE_SUPERVISION"
    COMMUNITY_ORDER = "COMMUNITY_ORDER"
    NOT_SUPERVISED = "NOT_SUPERVISED"
    UNKNOWN = "UNKNOWN"


STATUS_BY_SUPERVISION = {
    SupervisionKind.LICENCE: Status.ON_LICENCE,
    SupervisionKind.POST_SENTENCE_SUPERVISION: Status.POST_SENTENCE_SUPERVISION,
    SupervisionKind.COMMUNITY_ORDER: Status.COMMUNITY_ORDER,
    SupervisionKind.SUSPENDED_SENTENCE_ORDER: Status.COMMUNITY_ORDER,
}


def derive_status(
    custody: Iterable[CustodyEpisode], supervision: Iterable[SupervisionEpisode], complete: bool
) -> Status:
    """IN_CUSTODY beats everything, so an active booking is decisive even when other regions
    failed. Otherwise a failed region could hold a booking or a later supervision: UNKNOWN unless
    every region that could know answered (``complete``)."""
    if any(c.active for c in custody):
        return Status.IN_CUSTODY
    if not complete:
        return Status.UNKNOWN
    active = sorted((s for s in supervision if s.active), key=lambda s: s.start_date)
    if active:
        return STATUS_BY_SUPERVISION[active[-1].kind]
    return Status.NOT_SUPERVISED


def responsible_officer(managers: Iterable[OffenderManager]) -> OffenderManager | None:
    """The one manager flagged responsible; the latest allocation wins if regions disagree."""
    flagged = [m for m in managers if m.responsible_officer]
    return max(flagged, key=lambda m: (m.allocated_on or date.min, m.region), default=None)


def custody_order(episodes: Iterable[CustodyEpisode]) -> list[CustodyEpisode]:
    """Oldest first; same-day terms by region and booking, so the order never depends on timing."""
    return sorted(episodes, key=lambda c: (c.start_date, c.region, c.booking_id))


def supervision_order(episodes: Iterable[SupervisionEpisode]) -> list[SupervisionEpisode]:
    """Oldest first, then by region and episode id."""
    return sorted(episodes, key=lambda s: (s.start_date, s.region, s.episode_id))


def alert_order(alerts: Iterable[Alert]) -> list[Alert]:
    """Active first, then by region, type and code."""
    return sorted(alerts, key=lambda a: (not a.active, a.region, a.type, a.code))


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a person's time line, from any system."""

    on: date
    type: str
    description: str
    region: str
    location: str | None


def timeline(
    movements: Iterable[Movement], supervision: Iterable[SupervisionEpisode]
) -> list[TimelineEntry]:
    """Every movement and every start and end of supervision, in time order (stable per day:
    movements in the order their system recorded them, then supervision changes)."""
    entries = [
        TimelineEntry(m.occurred_on, m.movement_type, m.description, m.region, m.to_location)
        for m in movements
    ]
    for s in supervision_order(supervision):
        what = s.kind.value.replace("_", " ").lower()
        entries.append(
            TimelineEntry(
                s.start_date, "SUPERVISION_STARTED", f"{what} started", s.region, s.probation_region
            )
        )
        if s.end_date:
            entries.append(
                TimelineEntry(
                    s.end_date, "SUPERVISION_ENDED", f"{what} ended", s.region, s.probation_region
                )
            )
    return sorted(entries, key=lambda e: e.on)
