"""What each simulated system holds: its own records, under its own local ids, with its own dirt.

Stores keep values as the system stores them (a PNC may be in short form, a NOMS number missing).
Servers format these rows into their wire dialect; they never see the ground truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from connectors.identifiers import IdentifierKind, try_parse_identifier


@dataclass
class Alias:
    forename: str
    surname: str


@dataclass
class Booking:
    """One custody term in one prison system (a booking)."""

    booking_id: int
    book_number: str
    prison_id: str
    start: date
    end: date | None
    active: bool
    in_out: str  # IN, OUT, TRN
    legal_status: str
    security_category: str | None
    cell_location: str | None
    sentence_start: date | None = None
    sentence_expiry: date | None = None
    conditional_release: date | None = None
    licence_expiry: date | None = None
    release: date | None = None


@dataclass
class MovementRow:
    occurred_on: date
    movement_type: str
    from_location: str | None
    to_location: str | None
    description: str


@dataclass
class AlertRow:
    type: str
    code: str
    description: str
    start: date
    active: bool


@dataclass(kw_only=True)
class LocalPerson:
    """A person as one system knows them: its local id, identifiers as stored, names."""

    local_id: str
    noms_number: str | None
    pnc_number: str | None
    cro_number: str | None
    forename: str
    middle_names: str | None
    surname: str
    date_of_birth: date
    gender: str
    aliases: list[Alias] = field(default_factory=list)


@dataclass(kw_only=True)
class PrisonerRecord(LocalPerson):
    """A person as one prison system knows them."""

    bookings: list[Booking] = field(default_factory=list)
    movements: list[MovementRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)


@dataclass
class SupervisionRow:
    episode_id: str
    kind: str  # LICENCE, POST_SENTENCE_SUPERVISION, COMMUNITY_ORDER, SUSPENDED_SENTENCE_ORDER
    licence_type: str | None
    probation_region: str
    start: date
    end: date | None
    active: bool
    tier: str | None


@dataclass
class ManagerRow:
    staff_code: str
    forename: str | None
    surname: str | None
    role: str  # POM or COM
    team: str
    probation_delivery_unit: str
    probation_region: str
    responsible_officer: bool
    allocated_on: date


@dataclass
class RegistrationRow:
    type: str  # MAPPA, ROSH, VISOR, WEAPONS, SERIOUS_GROUP
    code: str
    description: str
    start: date
    active: bool
    level: str | None = None
    category: str | None = None


@dataclass(kw_only=True)
class ProbationCase(LocalPerson):
    """A person as one probation system knows them."""

    crn: str
    supervisions: list[SupervisionRow] = field(default_factory=list)
    managers: list[ManagerRow] = field(default_factory=list)
    registrations: list[RegistrationRow] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)  # users who may not see the case
    restrictions: list[str] = field(default_factory=list)  # when any: the only users who may


Record = PrisonerRecord | ProbationCase


@dataclass
class SystemStore:
    """One regional system's records, with the look-ups its server needs."""

    name: str
    kind: str  # CUSTODY or PROBATION
    dialect: str  # soap-prison, rest-camel, rest-snake
    title: str
    locations: tuple[str, ...]  # prison ids or probation region codes it covers
    batch: bool = True
    records: dict[str, Record] = field(default_factory=dict)
    _index: dict[tuple[IdentifierKind, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, record: Record) -> None:
        """Store a record and index its identifiers in canonical form."""
        self.records[record.local_id] = record
        for kind, raw in _identifiers_of(record):
            parsed = try_parse_identifier(raw, kind)
            if parsed:
                self._index[(kind, parsed.value)].append(record.local_id)

    def write_back_noms(self, local_id: str, noms_number: str) -> None:
        """Record a NOMS number learnt after the record was made (the NOMS-CRN link)."""
        record = self.records[local_id]
        record.noms_number = noms_number
        parsed = try_parse_identifier(noms_number, IdentifierKind.NOMS)
        if parsed:
            self._index[(IdentifierKind.NOMS, parsed.value)].append(local_id)

    def find(self, kind: IdentifierKind, value: str) -> list[Record]:
        """Records holding an identifier (any spelling of it)."""
        parsed = try_parse_identifier(value, kind)
        if not parsed:
            return []
        return [self.records[i] for i in self._index.get((kind, parsed.value), [])]

    def search(
        self, surname: str, forename: str | None = None, date_of_birth: date | None = None
    ) -> list[Record]:
        """Records whose name or an alias matches (case-insensitive; forename as a prefix)."""
        surname_key = surname.strip().casefold()
        forename_key = forename.strip().casefold() if forename else None
        found = []
        for record in self.records.values():
            if date_of_birth and record.date_of_birth != date_of_birth:
                continue
            names = [(record.forename, record.surname)]
            names += [(a.forename, a.surname) for a in record.aliases]
            if any(
                last.casefold() == surname_key
                and (forename_key is None or first.casefold().startswith(forename_key))
                for first, last in names
            ):
                found.append(record)
        return found


def _identifiers_of(record: Record) -> list[tuple[IdentifierKind, str | None]]:
    pairs: list[tuple[IdentifierKind, str | None]] = [
        (IdentifierKind.NOMS, record.noms_number),
        (IdentifierKind.PNC, record.pnc_number),
        (IdentifierKind.CRO, record.cro_number),
    ]
    if isinstance(record, ProbationCase):
        pairs.append((IdentifierKind.CRN, record.crn))
    return pairs
