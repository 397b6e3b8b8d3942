"""What each simulated system holds: its own records, under its own local ids, with its own dirt.

Stores keep values as the system stores them (a PNC may be in short form, a NOMS number missing).
Servers format these rows into their wire dialect; they never see the ground truth.
"""

from __future__ import annotations

from bisect import bisect_right
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
    """One regional system's records, with the look-ups its server needs.

    Two indexes keep look-ups from scanning every record: strong identifiers in canonical form,
    and surnames (casefolded, aliases included) for search. They are built at the first look-up
    (or :meth:`build_index`), so a generator may change records freely before; after that, a
    record changed in place is indexed again with :meth:`reindex`, and :meth:`remove` takes one
    out.
    """

    name: str
    kind: str  # CUSTODY or PROBATION
    dialect: str  # soap-prison, rest-camel, rest-snake
    title: str
    locations: tuple[str, ...]  # prison ids or probation region codes it covers
    batch: bool = True
    records: dict[str, Record] = field(default_factory=dict)
    _index: dict[tuple[IdentifierKind, str], dict[str, None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    _surnames: dict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    _keys: dict[str, tuple[list[tuple[IdentifierKind, str]], list[str]]] = field(
        default_factory=dict
    )
    _indexed: bool = False

    def add(self, record: Record) -> None:
        """Store a record (indexed with the others)."""
        self.records[record.local_id] = record
        if self._indexed:
            self._index_record(record)

    def remove(self, local_id: str) -> Record:
        """Take a record out of the store and its indexes (a merge or a move elsewhere)."""
        self._unindex(local_id)
        return self.records.pop(local_id)

    def reindex(self, local_id: str) -> None:
        """Index a record again after its identifiers or names changed in place."""
        if self._indexed:
            self._unindex(local_id)
            self._index_record(self.records[local_id])

    def build_index(self) -> None:
        """Index every record, once (look-ups do it themselves when needed)."""
        if not self._indexed:
            for record in self.records.values():
                self._index_record(record)
            self._indexed = True

    def write_back_noms(self, local_id: str, noms_number: str) -> None:
        """Record a NOMS number learnt after the record was made (the NOMS-CRN link)."""
        self.records[local_id].noms_number = noms_number
        self.reindex(local_id)

    def find(self, kind: IdentifierKind, value: str) -> list[Record]:
        """Records holding an identifier (any spelling of it)."""
        parsed = try_parse_identifier(value, kind)
        if not parsed:
            return []
        self.build_index()
        return [self.records[i] for i in self._index.get((kind, parsed.value), {})]

    def search(
        self, surname: str, forename: str | None = None, date_of_birth: date | None = None
    ) -> list[Record]:
        """Records whose name or an alias matches (case-insensitive; forename as a prefix), in
        local id order."""
        surname_key = surname.strip().casefold()
        forename_key = forename.strip().casefold() if forename else None
        self.build_index()
        found = []
        for local_id in sorted(self._surnames.get(surname_key, {})):
            record = self.records[local_id]
            if date_of_birth and record.date_of_birth != date_of_birth:
                continue
            if any(
                last.casefold() == surname_key
                and (forename_key is None or first.casefold().startswith(forename_key))
                for first, last in names_of(record)
            ):
                found.append(record)
        return found

    def listing(
        self,
        location: str | None = None,
        staff_code: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> tuple[list[Record], bool]:
        """Up to ``limit`` records after local id ``after``, in local id order, that are of a
        ``location`` (:func:`located_at`) and of a ``staff_code`` (:func:`managed_by`), when
        given; and whether more follow."""
        ids = sorted(self.records)
        found: list[Record] = []
        for local_id in ids[bisect_right(ids, after) if after is not None else 0 :]:
            record = self.records[local_id]
            if (location is None or located_at(record, location)) and (
                staff_code is None or managed_by(record, staff_code)
            ):
                if len(found) == limit:
                    return found, True
                found.append(record)
        return found, False

    def _index_record(self, record: Record) -> None:
        identifiers = [
            (kind, parsed.value)
            for kind, raw in _identifiers_of(record)
            if (parsed := try_parse_identifier(raw, kind))
        ]
        surnames = list(dict.fromkeys(last.casefold() for _, last in names_of(record)))
        for key in identifiers:
            self._index[key][record.local_id] = None
        for surname in surnames:
            self._surnames[surname][record.local_id] = None
        self._keys[record.local_id] = identifiers, surnames

    def _unindex(self, local_id: str) -> None:
        identifiers, surnames = self._keys.pop(local_id, ([], []))
        for key in identifiers:
            self._index[key].pop(local_id, None)
        for surname in surnames:
            self._surnames[surname].pop(local_id, None)


def names_of(record: Record) -> list[tuple[str, str]]:
    """The record's name and its aliases, as (forename, surname)."""
    return [(record.forename, record.surname), *((a.forename, a.surname) for a in record.aliases)]


def located_at(record: Record, location: str) -> bool:
    """Whether a prisoner's active booking is in prison ``location``, or a case is supervised
    (an active supervision) or managed (an offender manager) in probation region ``location``."""
    if isinstance(record, PrisonerRecord):
        return any(b.active and b.prison_id == location for b in record.bookings)
    return any(s.active and s.probation_region == location for s in record.supervisions) or any(
        m.probation_region == location for m in record.managers
    )


def managed_by(record: Record, staff_code: str) -> bool:
    """Whether ``staff_code`` is one of a case's offender managers (its caseload)."""
    return isinstance(record, ProbationCase) and any(
        m.staff_code == staff_code for m in record.managers
    )


def _identifiers_of(record: Record) -> list[tuple[IdentifierKind, str | None]]:
    pairs: list[tuple[IdentifierKind, str | None]] = [
        (IdentifierKind.NOMS, record.noms_number),
        (IdentifierKind.PNC, record.pnc_number),
        (IdentifierKind.CRO, record.cro_number),
    ]
    if isinstance(record, ProbationCase):
        pairs.append((IdentifierKind.CRN, record.crn))
    return pairs
