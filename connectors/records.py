"""Domain records: what connectors return. Plain frozen dataclasses that know nothing of GraphQL.

Every record carries the ``region`` (config name of the system it came from) and the ``local_id``
of the person in that system, so the gateway can always say where a fact came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from connectors.identifiers import Identifier


class SystemKind(StrEnum):
    """What a regional system holds."""

    CUSTODY = "CUSTODY"  # a prison group's system
    PROBATION = "PROBATION"  # a probation region's case management system


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name as one system spells it."""

    forename: str
    surname: str
    middle_names: str | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One system's slice of a person: the local record and the identifiers it carries."""

    region: str
    local_id: str
    identifiers: tuple[Identifier, ...]
    name: PersonName
    date_of_birth: date | None
    aliases: tuple[PersonName, ...] = ()
    gender: str | None = None


@dataclass(frozen=True, slots=True)
class SentenceDates:
    """Key dates of a custodial sentence (docs/domain.md): SSD, SED, CRD, LED, actual release."""

    sentence_start: date | None = None
    sentence_expiry: date | None = None
    conditional_release: date | None = None
    licence_expiry: date | None = None
    release: date | None = None


class InOutStatus(StrEnum):
    """Where a person with a booking is now, as the prison system records it."""

    IN = "IN"  # inside the establishment
    OUT = "OUT"  # released, or out (court, hospital, temporary absence)
    TRN = "TRN"  # in transfer between establishments


@dataclass(frozen=True, slots=True)
class CustodyEpisode:
    """One booking (custody term) in one prison system."""

    region: str
    local_id: str
    booking_id: str
    book_number: str
    prison_id: str
    prison_name: str
    active: bool
    in_out_status: InOutStatus
    legal_status: str  # RECALL, REMAND, SENTENCED, INDETERMINATE_SENTENCE
    start_date: date
    end_date: date | None
    security_category: str | None = None
    cell_location: str | None = None
    sentence: SentenceDates = field(default_factory=SentenceDates)


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement recorded by a prison system."""

    region: str
    local_id: str
    occurred_on: date
    movement_type: str  # ADMISSION, TRANSFERRED, RELEASED, SENT_TO_COURT, ...
    from_location: str | None
    to_location: str | None
    description: str


class SupervisionKind(StrEnum):
    """Why a person is supervised in the community."""

    LICENCE = "LICENCE"
    POST_SENTENCE_SUPERVISION = "POST_SENTENCE_SUPERVISION"
    COMMUNITY_ORDER = "COMMUNITY_ORDER"
    SUSPENDED_SENTENCE_ORDER = "SUSPENDED_SENTENCE_ORDER"


@dataclass(frozen=True, slots=True)
class SupervisionEpisode:
    """One period of supervision held by one probation system."""

    region: str
    local_id: str
    episode_id: str
    kind: SupervisionKind
    probation_region: str  # docs/domain.md region code, e.g. N07
    start_date: date
    end_date: date | None
    active: bool
    licence_type: str | None = None  # AP, PSS, AP_PSS for licences
    tier: str | None = None


class ManagerRole(StrEnum):
    """Which kind of offender manager: prison (POM) or community (COM)."""

    POM = "POM"
    COM = "COM"


@dataclass(frozen=True, slots=True)
class OffenderManager:
    """A prison (POM) or community (COM) offender manager allocated by a probation system."""

    region: str
    local_id: str
    staff_code: str
    forename: str | None
    surname: str | None
    role: ManagerRole
    team: str | None
    probation_delivery_unit: str | None
    probation_region: str | None
    responsible_officer: bool
    allocated_on: date | None = None

    @property
    def allocated(self) -> bool:
        """A staff code ending in U is the placeholder for an unallocated case."""
        return not self.staff_code.endswith("U")


class AlertSource(StrEnum):
    """Prison alerts and probation registrations are both risk flags to a reader."""

    PRISON_ALERT = "PRISON_ALERT"
    PROBATION_REGISTRATION = "PROBATION_REGISTRATION"


@dataclass(frozen=True, slots=True)
class Alert:
    """A risk flag: a prison alert (type/code) or a probation registration (MAPPA, RoSH, ...)."""

    region: str
    local_id: str
    source: AlertSource
    type: str  # e.g. X (Security) or MAPPA, ROSH
    code: str  # e.g. XER, or M2 / HIGH
    description: str
    active: bool
    start_date: date | None = None
    level: str | None = None  # MAPPA level, RoSH level
    category: str | None = None  # MAPPA category
