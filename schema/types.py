"""GraphQL object types that mirror domain records one to one (no resolvers here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry

from connectors import records
from connectors.base import Capability as DomainCapability
from connectors.identifiers import IdentifierKind as DomainIdentifierKind
from gateway import directory, health, outcomes, summary
from gateway.identity import disagreements, name_match

E = TypeVar("E", bound=type[Enum])


def described(cls: E, *, description: str, values: Mapping[str, str], name: str | None = None) -> E:
    """A domain enum as a GraphQL enum, with a description for each value (strawberry takes
    value descriptions only from ``enum_value`` in a class body; domain enums stay plain)."""
    wrapped = strawberry.enum(cls, name=name, description=description)
    definition = wrapped.__strawberry_definition__  # type: ignore[attr-defined]
    missing = {v.name for v in definition.values} ^ set(values)
    if missing:
        raise ValueError(f"{definition.name}: describe exactly its values ({sorted(missing)})")
    for value in definition.values:
        value.description = values[value.name]
    return wrapped


OffenderStatus = described(
    summary.Status,
    name="OffenderStatus",
    description="Where a person is in the justice system now, across all regions. UNKNOWN when "
    "a region that could change it failed (see `sources`), unless a booking is active.",
    values={
        "IN_CUSTODY": "A booking is active in a prison system (decisive even if others failed).",
        "ON_LICENCE": "The latest active supervision is a licence.",
        "POST_SENTENCE_SUPERVISION": "The latest active supervision is post-sentence.",
        "COMMUNITY_ORDER": "The latest active supervision is a community or suspended order.",
        "NOT_SUPERVISED": "Every region answered: no active booking and no active supervision.",
        "UNKNOWN": "A region that could change the answer failed: see `sources` and the errors.",
    },
)
SourceOutcome = described(
    outcomes.Outcome,
    name="SourceOutcome",
    description="How a region did for this person in this answer.",
    values={
        "OK": "The region answered.",
        "STALE": "A cached answer stood in for a failure (`fetchedAt` says from when).",
        "FAILED": "The region failed: `code`, `stage` and `message` say how.",
        "SKIPPED": "The region was not asked: `reason` says why.",
    },
)
FailureStage = described(
    outcomes.Stage,
    name="FailureStage",
    description="Where a region failed.",
    values={
        "IDENTITY": "While finding the person's records (the region may hold more).",
        "DETAILS": "While fetching details of records already found.",
        "SEARCH": "While searching by name.",
    },
)

SystemKind = described(
    records.SystemKind,
    description="What a regional system holds.",
    values={
        "CUSTODY": "A prison group's system: bookings, movements, alerts.",
        "PROBATION": "A probation region's system: cases, supervision, managers, registrations.",
    },
)
SupervisionKind = described(
    records.SupervisionKind,
    description="Why a person is supervised in the community.",
    values={
        "LICENCE": "Released from custody on licence.",
        "POST_SENTENCE_SUPERVISION": "Supervision after the licence of a short sentence ended.",
        "COMMUNITY_ORDER": "A community sentence served without custody.",
        "SUSPENDED_SENTENCE_ORDER": "A custodial sentence suspended, served in the community.",
    },
)
AlertSource = described(
    records.AlertSource,
    description="Where an alert comes from.",
    values={
        "PRISON_ALERT": "An alert a prison system holds.",
        "PROBATION_REGISTRATION": "A registration (flag) a probation system holds.",
    },
)
InOutStatus = described(
    records.InOutStatus,
    description="Where a person with a booking is now, as the prison system records it.",
    values={
        "IN": "Inside the establishment.",
        "OUT": "Released, or out (court, hospital, temporary absence).",
        "TRN": "In transfer between establishments.",
    },
)
ManagerRole = described(
    records.ManagerRole,
    description="Which kind of offender manager.",
    values={
        "POM": "Prison offender manager, while the person is in custody.",
        "COM": "Community offender manager, in the probation region.",
    },
)
IdentifierKind = described(
    DomainIdentifierKind,
    description="The strong identifiers records are linked by.",
    values={
        "NOMS": "Prison number (NOMS), e.g. A1234AA.",
        "CRN": "Probation case reference number, e.g. X123456.",
        "PNC": "Police National Computer number, YYYY/NNNNNNNC.",
        "CRO": "Criminal Records Office number, NNNNNN/YYC.",
    },
)
Gender = described(
    disagreements.Gender,
    description="A person's gender, whatever code a region writes (M, MALE, F, FEMALE...).",
    values={
        "MALE": "Male (M, MALE).",
        "FEMALE": "Female (F, FEMALE).",
        "OTHER": "A code that is neither male nor female nor a not-known code.",
        "UNKNOWN": "No value, or a not-known code (U, NK, NS...).",
    },
)
Capability = described(
    DomainCapability,
    description="What a regional system can be asked.",
    values={
        "FIND_BY_IDENTIFIERS": "Find people by strong identifiers.",
        "SEARCH_PEOPLE": "Search people by name and date of birth.",
        "CUSTODY_FOR": "Custody episodes (bookings) of a person.",
        "MOVEMENTS_FOR": "Movements of a person between establishments.",
        "SUPERVISION_FOR": "Supervision episodes of a person.",
        "MANAGERS_FOR": "Offender managers allocated to a person.",
        "ALERTS_FOR": "Alerts and registrations of a person.",
        "LIST_PEOPLE": "List the people of a prison, a probation region or a caseload.",
    },
)
RegionStatus = described(
    health.RegionStatus,
    description="What the gateway last saw of a region.",
    values={
        "UP": "The region answered its last call or probe.",
        "DOWN": "The region could not be reached or did not answer in time.",
        "UNKNOWN": "Not asked yet since the gateway started.",
    },
)
BreakerState = described(
    directory.BreakerState,
    description="A region's circuit breaker.",
    values={
        "CLOSED": "Calls go to the region.",
        "OPEN": "The region kept failing: calls fail at once until a trial call.",
        "HALF_OPEN": "One trial call is testing whether the region is back.",
    },
)


@strawberry.enum(description="Kinds of event on a person's timeline.")
class TimelineEventType(Enum):
    ADMISSION = strawberry.enum_value("ADMISSION", description="Admitted to a prison.")
    TRANSFERRED = strawberry.enum_value("TRANSFERRED", description="Moved to another prison.")
    RELEASED = strawberry.enum_value("RELEASED", description="Released from custody.")
    SENT_TO_COURT = strawberry.enum_value("SENT_TO_COURT", description="Taken out to court.")
    RETURN_FROM_COURT = strawberry.enum_value("RETURN_FROM_COURT", description="Back from court.")
    TEMPORARY_ABSENCE_RELEASE = strawberry.enum_value(
        "TEMPORARY_ABSENCE_RELEASE", description="Out on temporary licence."
    )
    TEMPORARY_ABSENCE_RETURN = strawberry.enum_value(
        "TEMPORARY_ABSENCE_RETURN", description="Back from temporary licence."
    )
    RELEASED_TO_HOSPITAL = strawberry.enum_value(
        "RELEASED_TO_HOSPITAL", description="Moved from custody to hospital."
    )
    ESCAPED = strawberry.enum_value(
        "ESCAPED", description="Escaped or absconded from custody: unlawfully at large."
    )
    SUPERVISION_STARTED = strawberry.enum_value(
        "SUPERVISION_STARTED", description="A period of supervision began."
    )
    SUPERVISION_ENDED = strawberry.enum_value(
        "SUPERVISION_ENDED", description="A period of supervision ended."
    )
    OTHER = strawberry.enum_value("OTHER", description="Any other movement a prison recorded.")


@strawberry.type(description="Strong identifiers; null where no region holds one.")
class Identifiers:
    noms_number: str | None = strawberry.field(description="Prison number, e.g. A1234AA.")
    crn: str | None = strawberry.field(description="Probation case reference, e.g. X123456.")
    pnc_number: str | None = strawberry.field(description="PNC number, long form YYYY/NNNNNNNC.")
    cro_number: str | None = strawberry.field(description="CRO number, NNNNNN/YYC.")


@strawberry.type(description="A person's name as one or more regions spell it.")
class PersonName:
    forename: str = strawberry.field(description="First given name.")
    middle_names: str | None = strawberry.field(description="Other given names, if any.")
    surname: str = strawberry.field(description="Family name.")


@strawberry.type(description="Key dates of a custodial sentence; null where not (yet) set.")
class SentenceDates:
    sentence_start: date | None = strawberry.field(description="When the sentence began.")
    sentence_expiry: date | None = strawberry.field(description="When the sentence ends.")
    conditional_release: date | None = strawberry.field(
        description="Conditional release date (release on licence)."
    )
    licence_expiry: date | None = strawberry.field(description="When the licence ends.")
    release: date | None = strawberry.field(description="Actual or planned release date.")


@strawberry.type(description="One custody term (booking) in one prison system.")
class CustodyEpisode:
    region: str = strawberry.field(description="The prison system (region name) holding it.")
    booking_id: str = strawberry.field(description="The booking's id in that system.")
    book_number: str = strawberry.field(description="The booking number printed on papers.")
    prison_id: str = strawberry.field(description="Establishment code, e.g. MDI.")
    prison_name: str = strawberry.field(description="Establishment name.")
    active: bool = strawberry.field(
        description="True while this booking is open (the person is held under it)."
    )
    in_out_status: InOutStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the person is now under this booking."
    )
    legal_status: str = strawberry.field(
        description="Legal status as the prison records it, e.g. SENTENCED, REMAND, RECALL."
    )
    start_date: date = strawberry.field(description="When the booking began.")
    end_date: date | None = strawberry.field(description="When it ended; null while active.")
    security_category: str | None = strawberry.field(description="Security category, e.g. C.")
    cell_location: str | None = strawberry.field(description="Cell, while held.")
    sentence: SentenceDates = strawberry.field(description="The sentence's key dates.")


@strawberry.type(description="One period of supervision held by one probation system.")
class SupervisionEpisode:
    region: str = strawberry.field(description="The probation system (region name) holding it.")
    episode_id: str = strawberry.field(description="The episode's id in that system.")
    kind: SupervisionKind = strawberry.field(  # type: ignore[valid-type]
        description="Why the person is supervised."
    )
    probation_region: str = strawberry.field(description="Probation region code, e.g. N07.")
    start_date: date = strawberry.field(description="When supervision began.")
    end_date: date | None = strawberry.field(description="When it ended or ends, if known.")
    active: bool = strawberry.field(description="True while the supervision is running.")
    licence_type: str | None = strawberry.field(description="For licences: AP, PSS or AP_PSS.")
    tier: str | None = strawberry.field(description="Case tier (resourcing), e.g. B2.")


@strawberry.type(description="The officer responsible for a person, end to end.")
class OffenderManager:
    region: str = strawberry.field(description="The probation system that allocated them.")
    staff_code: str = strawberry.field(description="Staff code; ends in U while unallocated.")
    forename: str | None = strawberry.field(description="Forename; null while unallocated.")
    surname: str | None = strawberry.field(description="Surname; null while unallocated.")
    role: ManagerRole = strawberry.field(  # type: ignore[valid-type]
        description="Prison (POM) or community (COM) offender manager."
    )
    team: str | None = strawberry.field(description="The team the manager works in.")
    probation_delivery_unit: str | None = strawberry.field(
        description="The probation delivery unit (PDU) of the team."
    )
    probation_region: str | None = strawberry.field(description="Probation region code.")
    responsible_officer: bool = strawberry.field(
        description="True for the one manager responsible for the case end to end."
    )
    allocated: bool = strawberry.field(description="False while the case awaits allocation.")
    allocated_on: date | None = strawberry.field(description="When the manager was allocated.")


@strawberry.type(description="A prison alert or a probation registration (MAPPA, RoSH, ...).")
class Alert:
    region: str = strawberry.field(description="The system (region name) holding it.")
    source: AlertSource = strawberry.field(  # type: ignore[valid-type]
        description="Prison alert or probation registration."
    )
    type: str = strawberry.field(description="Alert type code, e.g. X (security) or RSK.")
    code: str = strawberry.field(description="Alert code within its type, e.g. XEL or MAPP.")
    description: str = strawberry.field(description="What the code means, as the system says.")
    active: bool = strawberry.field(description="True while the alert applies.")
    start_date: date | None = strawberry.field(description="When it was raised.")
    level: str | None = strawberry.field(description="Registrations: level, e.g. MAPPA level 2.")
    category: str | None = strawberry.field(description="Registrations: category, e.g. M1.")


@strawberry.type(description="One event from any system, on one time-ordered line.")
class TimelineEvent:
    date: dt.date = strawberry.field(description="When it happened.")
    type: TimelineEventType = strawberry.field(description="What happened.")
    description: str = strawberry.field(description="The event as the system describes it.")
    region: str = strawberry.field(description="The system (region name) that recorded it.")
    location: str | None = strawberry.field(description="Establishment or region, where known.")


@strawberry.type(description="Provenance: one regional record merged into this offender.")
class SourceRecord:
    region: str = strawberry.field(description="The system (region name) holding the record.")
    system_kind: SystemKind = strawberry.field(  # type: ignore[valid-type]
        description="Whether that system is a prison or a probation system."
    )
    local_id: str = strawberry.field(description="The record's own id in that system.")
    matched_by: list[IdentifierKind] = strawberry.field(  # type: ignore[valid-type]
        description="Identifier kinds this record shares with the others it was merged with."
    )
    fetched_at: datetime | None = strawberry.field(
        description="When the region gave the record used (a cached answer keeps its time)."
    )
    name: PersonName = strawberry.field(description="The name as this record spells it.")
    aliases: list[PersonName] = strawberry.field(description="This record's other names.")
    date_of_birth: date | None = strawberry.field(
        description="This record's date of birth; null when it holds none."
    )
    gender: Gender = strawberry.field(  # type: ignore[valid-type]
        description="This record's gender, normalised (UNKNOWN when it holds none)."
    )
    gender_code: str | None = strawberry.field(
        description="This record's gender as the region writes it, e.g. M or FEMALE."
    )
    identifiers: Identifiers = strawberry.field(
        description="The strong identifiers this record itself holds."
    )
    disagreements: list[str] = strawberry.field(
        description="The fields (name, dateOfBirth, gender) in which this record holds a value "
        "other than the offender's merged one; a field it holds no value of never disagrees."
    )


@strawberry.type(description="How one region did for one person in this request.")
class RegionOutcome:
    region: str = strawberry.field(description="The region's name.")
    outcome: SourceOutcome = strawberry.field(  # type: ignore[valid-type]
        description="OK, STALE, FAILED or SKIPPED."
    )
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
    name: str = strawberry.field(description="The region's name, as errors and records name it.")
    title: str = strawberry.field(description="A readable title.")
    kind: SystemKind = strawberry.field(  # type: ignore[valid-type]
        description="Prison or probation system."
    )
    dialect: str = strawberry.field(description="The connector dialect that speaks to it.")
    status: RegionStatus = strawberry.field(  # type: ignore[valid-type]
        description="What the gateway last saw of it."
    )
    breaker: BreakerState = strawberry.field(  # type: ignore[valid-type]
        description="Its circuit breaker."
    )
    capabilities: list[Capability] = strawberry.field(  # type: ignore[valid-type]
        description="What it can be asked."
    )
    last_error: str | None = strawberry.field(description="The last error it gave, if any.")


# --- disagreements, custody terms and where a person is now --------------------------------

TermEnding = described(
    summary.TermEnding,
    name="CustodyTermEnding",
    description="How a custody term ended.",
    values={
        "IN_CUSTODY": "It has not: a booking of the term is still open.",
        "RELEASED": "The person was released.",
        "ENDED": "Its last booking closed without a recorded release.",
    },
)
LocationKind = described(
    summary.LocationKind,
    description="What kind of place a person is in now.",
    values={
        "PRISON": "A prison, under an open booking.",
        "PROBATION": "In the community, supervised in a probation region.",
    },
)


@strawberry.type(description="A regional record, named by where it is held.")
class RecordRef:
    region: str = strawberry.field(description="The system (region name) holding the record.")
    local_id: str = strawberry.field(description="The record's own id in that system.")


@strawberry.type(description="One value records disagree on, and the records that hold it.")
class HeldValue:
    value: str = strawberry.field(
        description="The value: a name spelled out, an ISO date, a gender or an identifier."
    )
    merged: bool = strawberry.field(description="True for the value the offender is shown with.")
    records: list[RecordRef] = strawberry.field(description="The records holding this value.")


@strawberry.type(
    description="Records that share a strong identifier with this offender yet hold another "
    "value of one identifier kind (same NOMS number, another PNC). They were not merged: each "
    "value is listed with the records holding it, the offender's own first."
)
class IdentityConflict:
    kind: IdentifierKind = strawberry.field(  # type: ignore[valid-type]
        description="The identifier kind whose values disagree."
    )
    shared: list[IdentifierKind] = strawberry.field(  # type: ignore[valid-type]
        description="The kinds the conflicting records share with the offender."
    )
    values: list[HeldValue] = strawberry.field(description="Every value, with its records.")


@strawberry.type(
    description="A field the merged records give different values of; the merged value (the "
    "majority, ties to the first record in region order) first."
)
class FieldDisagreement:
    field: str = strawberry.field(description="The field: name, dateOfBirth or gender.")
    values: list[HeldValue] = strawberry.field(description="Every value, with its records.")


@strawberry.type(description="Where a person is now.")
class CurrentLocation:
    kind: LocationKind = strawberry.field(  # type: ignore[valid-type]
        description="In a prison, or supervised in the community."
    )
    region: str = strawberry.field(description="The system (region name) that says so.")
    prison_id: str | None = strawberry.field(description="PRISON: establishment code.")
    prison_name: str | None = strawberry.field(description="PRISON: establishment name.")
    probation_region: str | None = strawberry.field(
        description="PROBATION: the probation region code, e.g. N07."
    )


@strawberry.type(
    description="One continuous stay in custody: bookings stitched across transfers between "
    "prison systems (a booking closed by a transfer out and one opened by the admission it led "
    "to, the same or the next day)."
)
class CustodyTerm:
    start_date: date = strawberry.field(description="When the term began.")
    end_date: date | None = strawberry.field(description="When it ended; null while in custody.")
    recall: bool = strawberry.field(description="True when the term is a recall to custody.")
    ending: TermEnding = strawberry.field(  # type: ignore[valid-type]
        description="How the term ended, if it has."
    )
    followed_by_recall: bool = strawberry.field(
        description="True when the person was released and the next term is a recall."
    )
    prisons: list[str] = strawberry.field(
        description="Establishment codes the term passed through, in order."
    )
    episodes: list[CustodyEpisode] = strawberry.field(
        description="The bookings of the term, oldest first."
    )


if TYPE_CHECKING:
    from schema.offender import Offender

MatchKind = described(
    name_match.MatchKind,
    name="MatchKind",
    description="How a person matched a name search, best first (the order of the results).",
    values={
        "EXACT": "The primary name, spelt the same (case, accents and hyphens aside); a "
        "forename may be a prefix or an initial.",
        "ALIAS": "An alias or another region's spelling, spelt the same.",
        "PHONETIC": "Sounds the same (Metaphone), or one part of a double-barrelled name.",
        "FUZZY": "One typing error, forename and surname transposed, or a near date of birth.",
    },
)


@strawberry.type(description="Why a person matched a name search.")
class NameMatch:
    kind: MatchKind = strawberry.field(description="How it matched.")  # type: ignore[valid-type]
    matched_name: PersonName = strawberry.field(description="The name of theirs that matched.")
    score: float = strawberry.field(
        description="0..1, how close within the kind (Jaro-Winkler, weighted by field)."
    )
    reasons: list[str] = strawberry.field(
        description="One line a field: what the query met, and how (EXACT, PREFIX, PART, "
        "PHONETIC, TYPO, SWAPPED)."
    )


@strawberry.type(
    description="Someone who may be the same person, sharing no strong identifier: offered for "
    "an analyst to judge, never merged (see docs/matching.md)."
)
class PossibleMatch:
    score: float = strawberry.field(description="0..1; offered from 0.85.")
    reasons: list[str] = strawberry.field(
        description="One line a feature (surname, forename, date of birth, gender, middle "
        "names): its level, the two values and what it added to the score."
    )
    offender: Annotated[Offender, strawberry.lazy("schema.offender")] = strawberry.field(
        description="The candidate, with their records in every region."
    )
