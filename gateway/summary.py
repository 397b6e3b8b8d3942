"""Facts derived from every region's records at once: status, responsible officer, timeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from connectors.records import (
    CustodyEpisode,
    Movement,
    OffenderManager,
    SupervisionEpisode,
    SupervisionKind,
)

STATUS_BY_SUPERVISION = {
    SupervisionKind.LICENCE: "ON_LICENCE",
    SupervisionKind.POST_SENTENCE_SUPERVISION: "POST_SENTENCE_SUPERVISION",
    SupervisionKind.COMMUNITY_ORDER: "COMMUNITY_ORDER",
    SupervisionKind.SUSPENDED_SENTENCE_ORDER: "COMMUNITY_ORDER",
}


def derive_status(
    custody: Iterable[CustodyEpisode], supervision: Iterable[SupervisionEpisode], complete: bool
) -> str:
    """IN_CUSTODY beats supervision; with nothing active, UNKNOWN unless every region answered."""
    if any(c.active for c in custody):
        return "IN_CUSTODY"
    active = sorted((s for s in supervision if s.active), key=lambda s: s.start_date)
    if active:
        return STATUS_BY_SUPERVISION[active[-1].kind]
    return "NOT_SUPERVISED" if complete else "UNKNOWN"


def responsible_officer(managers: Iterable[OffenderManager]) -> OffenderManager | None:
    """The one manager flagged responsible; the latest allocation wins if regions disagree."""
    flagged = [m for m in managers if m.responsible_officer]
    return max(flagged, key=lambda m: m.allocated_on or date.min, default=None)


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
    """Every movement and every start and end of supervision, in time order (stable per day)."""
    entries = [
        TimelineEntry(m.occurred_on, m.movement_type, m.description, m.region, m.to_location)
        for m in movements
    ]
    for s in supervision:
        what = s.kind.value.replace("_", " ").lower()
        entries.append(
            TimelineEntry(
                s.start_date,
                "SUPERVISION_STARTED",
                f"{what} started",
                s.region,
                s.probation_region,
            )
        )
        if s.end_date:
            entries.append(
                TimelineEntry(
                    s.end_date, "SUPERVISION_ENDED", f"{what} ended", s.region, s.probation_region
                )
            )
    return sorted(entries, key=lambda e: e.on)
