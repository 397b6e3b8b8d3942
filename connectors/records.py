"""Domain records: what connectors return. Plain frozen dataclasses that know nothing of GraphQL.

Every record carries the ``region`` (config name of the system it came from, i.e.
``Connector.region``, never a value from the payload) and the ``local_id`` of the person in that
system (the key of ``custody_for`` & co.), so the gateway can always say where a fact came from.

Who computes what: a field is **upstream** when the connector copies the region's own value
(mapping only the spelling: dates to :class:`~datetime.date`, codes to the enums here), and
**connector** when the connector derives it. Flags such as ``active`` and
``responsible_officer`` are always the region's own, as of the moment it answered (its "today"):
a connector never recomputes them from dates, and the gateway never second-guesses them.
Identifiers are canonical (:mod:`connectors.identifiers`): PNC long form ``YYYY/NNNNNNNC``, CRO
``NNNNNN/YYC``, both with a valid check character; a value that does not parse is dropped, never
guessed. Dates are the region's calendar dates (no time zone); ``None`` means the region holds
none. The field-by-field table is in ``docs/connectors.md`` ("Record semantics").
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
    """A name as one system spells it (upstream, trimmed; case as the region writes it)."""

    forename: str
    surname: str
    middle_names: str | None = None  # space-separated, None when the region holds none


@dataclass(frozen=True, slots=True)
class AccessLimits:
    """Limited-access rules a probation system holds for its case (docs/domain.md). Upstream,
    never enforced upstream: the gateway's policy enforces them.

    ``excluded``: users (token subjects) who may not see the person. ``restricted_to``: when not
    empty, only these users may see the person. Empty both: no limit.
    """

    excluded: frozenset[str] = frozenset()
    restricted_to: frozenset[str] = frozenset()

    @property
    def limited(self) -> bool:
        return bool(self.excluded or self.restricted_to)


NO_LIMITS = AccessLimits()


@dataclass(frozen=True, slots=True)
class IncludedFacts:
    """Facts a region sent along with a person record, so the gateway does not ask for them again
    (docs/connectors.md, "Facts that come with a record"). Each kind is None when the reply did
    not carry it (the gateway asks its ``*_for`` call as usual), else everything the region holds
    of that kind for the record, possibly nothing: what ``custody_for`` & co. would have answered
    for ``(region, local_id)`` at the same moment. Upstream, mapped as those calls map them.
    """

    custody: tuple[CustodyEpisode, ...] | None = None
    movements: tuple[Movement, ...] | None = None
    supervision: tuple[SupervisionEpisode, ...] | None = None
    managers: tuple[OffenderManager, ...] | None = None
    alerts: tuple[Alert, ...] | None = None


NOTHING_INCLUDED = IncludedFacts()


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One system's slice of a person: the local record and the identifiers it carries.

    ``local_id``: the region's own key of the person (NOMS number in a prison system, CRN in a
    probation one), as given to ``custody_for`` & co. ``identifiers``: every strong identifier
    the record carries (its own key included), canonical, each kind at most once; the gateway
    links records across regions through them and follows only those asked for. ``name``: the
    region's primary name; ``aliases``: its other names (search matches them too). Upstream.
    """

    region: str
    local_id: str
    identifiers: tuple[Identifier, ...]
    name: PersonName
    date_of_birth: date | None
    aliases: tuple[PersonName, ...] = ()
    gender: str | None = None  # the region's code or word, as it writes it
    access: AccessLimits = NO_LIMITS  # probation systems' exclusion and restriction lists
    included: IncludedFacts = field(default=NOTHING_INCLUDED, compare=False, repr=False)
    """Facts the reply carried with the record (not part of its identity: never compared)."""


@dataclass(frozen=True, slots=True)
class SentenceDates:
    """Key dates of a custodial sentence (docs/domain.md), upstream, as the prison system has
    calculated them (it recalculates on recall or a new sentence; the connector never does):
    sentence start (SSD), sentence expiry (SED), conditional release (CRD), licence expiry (LED)
    and the actual release date once released."""

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
    """One booking (custody term) in one prison system. Upstream, every field.

    ``booking_id``: the system's numeric id of the term; ``book_number``: its printed number.
    ``active``: the system's own flag that the booking is open now (status ``ACTIVE IN`` or
    ``ACTIVE OUT``: the person is this system's prisoner, inside or out at court, hospital or on
    temporary absence), as of the moment it answered; an active booking makes the person
    ``IN_CUSTODY`` whatever other regions say. ``in_out_status``: where they are now.
    ``prison_id``/``prison_name``: the establishment holding (or last holding) the booking.
    ``start_date``: reception; ``end_date``: release or transfer out, None while open.
    """

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
    """One movement recorded by a prison system (upstream): ``occurred_on`` its date,
    ``from_location``/``to_location`` prison ids or a special location (``OUT``, ``TRN``, a court),
    None when the system records none."""

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
    """One period of supervision held by one probation system. Upstream, every field.

    ``episode_id``: the system's id of the order or licence. ``probation_region``: the region
    code of the probation area managing it (``N07``), not the gateway's region name. ``active``:
    the system's own flag that supervision is running now (started, not terminated or expired),
    as of the moment it answered; the latest-starting active episode gives the person's status.
    ``end_date``: actual or expected end, None if the system holds none. ``tier``: e.g. ``D2``.
    """

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
    """A prison (POM) or community (COM) offender manager allocated by a probation system.

    Upstream, except ``allocated``. ``staff_code``: the manager's code (``CHSE755``); a code
    ending in ``U`` is the placeholder of a case awaiting allocation (names then None).
    ``responsible_officer``: the system's own flag that this manager holds end-to-end
    responsibility for the case now; at most one per case in one system; if regions disagree the
    gateway takes the latest ``allocated_on``. ``allocated_on``: when this manager was allocated.
    ``team``, ``probation_delivery_unit``, ``probation_region``: codes where the manager works.
    """

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
        """Whether a real manager is allocated: computed here (by the contract, not the connector
        or the region) from ``staff_code``; a code ending in U is the unallocated placeholder."""
        return not self.staff_code.endswith("U")


class AlertSource(StrEnum):
    """Prison alerts and probation registrations are both risk flags to a reader."""

    PRISON_ALERT = "PRISON_ALERT"
    PROBATION_REGISTRATION = "PROBATION_REGISTRATION"


@dataclass(frozen=True, slots=True)
class Alert:
    """A risk flag: a prison alert (type/code) or a probation registration (MAPPA, RoSH, ...).

    Upstream, every field except ``source`` (set by the connector from what the system is).
    ``active``: the system's own flag that the flag is in force now (not expired or
    deregistered), as of the moment it answered. ``level``/``category``: MAPPA level and
    category (0-3) or RoSH level, when the registration has them.
    """

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
