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


# The order of events on one day, cause before effect: a supervision ends (a licence before the
# recall it led to, a case before it moves region) before custody changes; a person leaves a
# prison (transfer out, release) before they are admitted (the admission a transfer caused, or a
# recall); admission before the day's other movements; supervision starts last (a licence after
# the release it follows). Events of one rank keep the order their system recorded them in.
EVENT_RANK: dict[str, int] = {
    "SUPERVISION_ENDED": 0,
    "TRANSFERRED": 1,
    "RELEASED": 1,
    "RELEASED_TO_HOSPITAL": 1,
    "ADMISSION": 2,
    "SUPERVISION_STARTED": 4,
}
OTHER_MOVEMENT_RANK = 3  # court, temporary absence and any other movement


def event_rank(event_type: str) -> int:
    """Where an event of ``event_type`` goes among the events of its day (:data:`EVENT_RANK`)."""
    return EVENT_RANK.get(event_type, OTHER_MOVEMENT_RANK)


def timeline(
    movements: Iterable[Movement], supervision: Iterable[SupervisionEpisode]
) -> list[TimelineEntry]:
    """Every movement and every start and end of supervision, in time order; the events of one
    day in causal order (:data:`EVENT_RANK`), then as their systems recorded them."""
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
    return sorted(entries, key=lambda e: (e.on, event_rank(e.type)))


# --- custody terms, where a person is now, and flags -------------------------------------


class TermEnding(StrEnum):
    """How a custody term ended."""

    IN_CUSTODY = "IN_CUSTODY"  # not ended: a booking of it is still open
    RELEASED = "RELEASED"  # released (the prison recorded a release)
    ENDED = "ENDED"  # closed without a recorded release (e.g. a transfer its movements lack)


@dataclass(frozen=True)
class CustodyTerm:
    """One continuous stay in custody: episodes (bookings) stitched across transfers between
    prison systems, oldest first, with the prisons it passed through in order."""

    episodes: tuple[CustodyEpisode, ...]
    prisons: tuple[str, ...]
    ending: TermEnding
    followed_by_recall: bool  # released, then recalled: the next term is a recall

    @property
    def start(self) -> date:
        return self.episodes[0].start_date

    @property
    def end(self) -> date | None:
        return None if self.ending is TermEnding.IN_CUSTODY else self.episodes[-1].end_date

    @property
    def recall(self) -> bool:
        """Whether the term is a recall to custody (its first booking's legal status)."""
        return self.episodes[0].legal_status == RECALL


RECALL = "RECALL"
TRANSFER_GAP_DAYS = 1  # an admission the day after the transfer out continues the same term
MovementsOf = dict[tuple[str, str], list[Movement]]


def custody_terms(
    episodes: Iterable[CustodyEpisode], movements: Iterable[Movement]
) -> list[CustodyTerm]:
    """Custody episodes stitched into terms, oldest first: an episode that ends in a transfer out
    and one that starts, the same or the next day, by an admission from that transfer are one
    term. Without an episode's movements (its region failed) it is not stitched."""
    by_record: MovementsOf = {}
    for m in movements:
        by_record.setdefault((m.region, m.local_id), []).append(m)
    groups: list[list[CustodyEpisode]] = []
    for episode in custody_order(episodes):
        if groups and _continues(groups[-1][-1], episode, by_record):
            groups[-1].append(episode)
        else:
            groups.append([episode])
    terms = [
        CustodyTerm(tuple(group), _prisons(group, by_record), _ending(group[-1], by_record), False)
        for group in groups
    ]
    return [
        CustodyTerm(
            t.episodes,
            t.prisons,
            t.ending,
            t.ending is TermEnding.RELEASED and i + 1 < len(terms) and terms[i + 1].recall,
        )
        for i, t in enumerate(terms)
    ]


def _of(episode: CustodyEpisode, by_record: MovementsOf, kind: str, on: date) -> list[Movement]:
    mine = by_record.get((episode.region, episode.local_id), [])
    return [m for m in mine if m.movement_type == kind and m.occurred_on == on]


def _continues(last: CustodyEpisode, nxt: CustodyEpisode, by_record: MovementsOf) -> bool:
    if last.active or last.end_date is None:
        return False
    if not 0 <= (nxt.start_date - last.end_date).days <= TRANSFER_GAP_DAYS:
        return False
    out = _of(last, by_record, "TRANSFERRED", last.end_date)
    admitted = _of(nxt, by_record, "ADMISSION", nxt.start_date)
    return any(
        a.from_location == t.from_location or a.to_location == t.to_location
        for t in out
        for a in admitted
    )


def _prisons(group: list[CustodyEpisode], by_record: MovementsOf) -> tuple[str, ...]:
    """The prisons of a term in order: each booking's admission, then its transfers (a transfer
    that closes a booking leads to the next booking's admission)."""
    prisons: list[str] = []
    for episode in group:
        stops = [
            m.to_location
            for m in by_record.get((episode.region, episode.local_id), [])
            if m.to_location
            and (
                (m.movement_type == "ADMISSION" and m.occurred_on == episode.start_date)
                or (
                    m.movement_type == "TRANSFERRED"
                    and episode.start_date <= m.occurred_on
                    and (episode.end_date is None or m.occurred_on < episode.end_date)
                )
            )
        ]
        for prison in stops or [episode.prison_id]:
            if not prisons or prisons[-1] != prison:
                prisons.append(prison)
    return tuple(prisons)


def _ending(last: CustodyEpisode, by_record: MovementsOf) -> TermEnding:
    if last.active or last.end_date is None:
        return TermEnding.IN_CUSTODY
    if last.sentence.release is not None or _of(last, by_record, "RELEASED", last.end_date):
        return TermEnding.RELEASED
    return TermEnding.ENDED


class LocationKind(StrEnum):
    """What kind of place a person is in now."""

    PRISON = "PRISON"
    PROBATION = "PROBATION"


@dataclass(frozen=True)
class Location:
    """Where a person is now: the prison of an open booking, or the probation region of the
    supervision that is running."""

    kind: LocationKind
    region: str  # the system (region name) that says so
    prison_id: str | None = None
    prison_name: str | None = None
    probation_region: str | None = None


def current_location(
    custody: Iterable[CustodyEpisode], supervision: Iterable[SupervisionEpisode], complete: bool
) -> Location | None:
    """The prison of the latest active booking (decisive, as for status); else, only when every
    region answered (``complete``), the probation region of the latest active supervision; else
    None (nowhere, or not known)."""
    held = [c for c in custody_order(custody) if c.active]
    if held:
        c = held[-1]
        return Location(LocationKind.PRISON, c.region, c.prison_id, c.prison_name)
    if not complete:
        return None
    running = [s for s in supervision_order(supervision) if s.active]
    if running:
        s = running[-1]
        return Location(LocationKind.PROBATION, s.region, probation_region=s.probation_region)
    return None


def recalled(custody: Iterable[CustodyEpisode], complete: bool) -> bool | None:
    """Whether the person is in custody now on recall: an open booking decides; without one,
    False only when every region answered (a failed one could hold a recall booking)."""
    held = [c for c in custody if c.active]
    if held:
        return any(c.legal_status == RECALL for c in held)
    return False if complete else None


# Movement types that leave a person unlawfully at large (the simulated estate writes ESCAPED:
# simulators/lives.py, LifeWriter.escape).
UAL_MOVEMENTS = frozenset(
    {"ESCAPE", "ESCAPED", "ABSCONDED", "UNLAWFULLY_AT_LARGE", "UAL", "FAILED_TO_RETURN"}
)


def unlawfully_at_large(
    custody: Iterable[CustodyEpisode], movements: Iterable[Movement], complete: bool
) -> bool | None:
    """Whether the person is unlawfully at large: an open booking whose latest movement is an
    escape, abscond or failure to return (:data:`UAL_MOVEMENTS`). True is decisive; False only
    when every region answered."""
    moves: MovementsOf = {}
    for m in movements:
        moves.setdefault((m.region, m.local_id), []).append(m)
    for booking in (c for c in custody if c.active):
        mine = moves.get((booking.region, booking.local_id), [])
        since = sorted(
            (m for m in mine if m.occurred_on >= booking.start_date), key=lambda m: m.occurred_on
        )
        if since and since[-1].movement_type in UAL_MOVEMENTS:
            return True
    return False if complete else None
