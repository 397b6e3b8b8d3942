"""GraphQL object types that mirror domain records one to one (no resolvers here)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from enum import Enum

import strawberry

from connectors import records
from gateway import outcomes, summary

OffenderStatus = strawberry.enum(
    summary.Status,
    name="OffenderStatus",
    description="Where a person is in the justice system now, across all regions. UNKNOWN when "
    "a region that could change it failed (see `sources`), unless a booking is active.",
)
SourceOutcome = strawberry.enum(
    outcomes.Outcome,
    name="SourceOutcome",
    description="How a region did for this person: OK (answered), STALE (a cached answer stood "
    "in for a failure), FAILED, or SKIPPED (not asked; `reason` says why).",
)
FailureStage = strawberry.enum(
    outcomes.Stage,
    name="FailureStage",
    description="Where a region failed: finding the person, fetching details, or a name search.",
)

SystemKind = strawberry.enum(records.SystemKind, description="What a regional system holds.")
SupervisionKind = strawberry.enum(
    records.SupervisionKind, description="Why a person is supervised."
)
AlertSource = strawberry.enum(records.AlertSource, description="Prison alert or probation flag.")


@strawberry.enum(description="Kinds of event on a person's timeline.")
class TimelineEventType(Enum):
    ADMISSION = "ADMISSION"
    TRANSFERRED = "TRANSFERRED"
    RELEASED = "RELEASED"
    SENT_TO_COURT = "SENT_TO_COURT"
    RETURN_FROM_COURT = "RETURN_FROM_COURT"
    TEMPORARY_ABSENCE_RELEASE = "TEMPORARY_ABSENCE_RELEASE"
    TEMPORARY_ABSENCE_RETURN = "TEMPORARY_ABSENCE_RETURN"
    RELEASED_TO_HOSPITAL = "RELEASED_TO_HOSPITAL"
    SUPERVISION_STARTED = "SUPERVISION_STARTED"
    SUPERVISION_ENDED = "SUPERVISION_ENDED"
    OTHER = "OTHER"


@strawberry.type(description="Strong identifiers; null where no region holds one.")
class Identifiers:
    noms_number: str | None = strawberry.field(description="Prison number, e.g. A1234AA.")
    crn: str | None = strawberry.field(description="Probation case reference, e.g. X123456.")
    pnc_number: str | None = strawberry.field(description="PNC number, long form YYYY/NNNNNNNC.")
    cro_number: str | None = strawberry.field(description="CRO number, NNNNNN/YYC.")


@strawberry.type
class PersonName:
    forename: str
    middle_names: str | None
    surname: str


@strawberry.type(description="Key dates of a custodial sentence.")
class SentenceDates:
    sentence_start: date | None
    sentence_expiry: date | None
    conditional_release: date | None
    licence_expiry: date | None
    release: date | None


@strawberry.type(description="One custody term (booking) in one prison system.")
class CustodyEpisode:
    region: str
    booking_id: str
    book_number: str
    prison_id: str
    prison_name: str
    active: bool
    in_out_status: str = strawberry.field(description="IN, OUT or TRN.")
    legal_status: str = strawberry.field(description="e.g. SENTENCED, REMAND, RECALL.")
    start_date: date
    end_date: date | None
    security_category: str | None
    cell_location: str | None
    sentence: SentenceDates


@strawberry.type(description="One period of supervision held by one probation system.")
class SupervisionEpisode:
    region: str
    episode_id: str
    kind: SupervisionKind  # type: ignore[valid-type]
    probation_region: str = strawberry.field(description="Probation region code, e.g. N07.")
    start_date: date
    end_date: date | None
    active: bool
    licence_type: str | None
    tier: str | None


@strawberry.type(description="The officer responsible for a person, end to end.")
class OffenderManager:
    region: str
    staff_code: str
    forename: str | None
    surname: str | None
    role: str = strawberry.field(description="POM (prison) or COM (community).")
    team: str | None
    probation_delivery_unit: str | None
    probation_region: str | None
    responsible_officer: bool
    allocated: bool = strawberry.field(description="False while the case awaits allocation.")
    allocated_on: date | None


@strawberry.type(description="A prison alert or a probation registration (MAPPA, RoSH, ...).")
class Alert:
    region: str
    source: AlertSource  # type: ignore[valid-type]
    type: str
    code: str
    description: str
    active: bool
    start_date: date | None
    level: str | None
    category: str | None


@strawberry.type(description="One event from any system, on one time-ordered line.")
class TimelineEvent:
    date: dt.date
    type: TimelineEventType
    description: str
    region: str
    location: str | None


@strawberry.type(description="Provenance: one regional record merged into this offender.")
class SourceRecord:
    region: str
    system_kind: SystemKind  # type: ignore[valid-type]
    local_id: str
    matched_by: list[str] = strawberry.field(
        description="Identifier kinds this record shares with the others (NOMS, CRN, PNC, CRO)."
    )
    fetched_at: datetime | None


@strawberry.type(description="How one region did for one person in this request.")
class RegionOutcome:
    region: str
    outcome: SourceOutcome  # type: ignore[valid-type]
    fetched_at: datetime | None = strawberry.field(
        description="OK and STALE: when the region gave the answer used."
    )
    code: str | None = strawberry.field(description="FAILED: the error code.")
    stage: FailureStage | None = strawberry.field(  # type: ignore[valid-type]
        description="FAILED: where it failed."
    )
    message: str | None = strawberry.field(description="FAILED: what went wrong.")
    reason: str | None = strawberry.field(description="SKIPPED: why the region was not asked.")


@strawberry.type(description="A configured regional system.")
class Region:
    name: str
    title: str
    kind: SystemKind  # type: ignore[valid-type]
    dialect: str
    status: str = strawberry.field(description="UP, DOWN or UNKNOWN (not asked yet).")
    breaker: str = strawberry.field(description="The circuit breaker: CLOSED, OPEN or HALF_OPEN.")
    capabilities: list[str]
    last_error: str | None
