"""Changes to a generated estate while it runs: people move, systems merge records.

Tests use them (through the ``/_sim/move`` and ``/_sim/merge`` endpoints of
:class:`simulators.server.EstateAdmin`) to make an index of the estate stale. Each change keeps the
stores' indexes and the ground truth (:class:`~simulators.truth.TruePerson`) in step.

- :func:`move`: the person of a record moves to a prison or probation region. Within the record's
  system, the active booking (a ``TRANSFERRED`` movement) or active supervision changes place; in
  another system of the same kind, the whole record leaves its system and joins that one under a
  new local id.
- :func:`merge`: two records of one system become one. The loser disappears; the identifiers the
  survivor lacks, the loser's name (as an alias) and everything it held move to the survivor;
  the loser's own NOMS number or CRN, if it differs, is retired into the survivor's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulators.layout import PRISONS, PROBATION_REGIONS
from simulators.stores import (
    Alias,
    MovementRow,
    PrisonerRecord,
    ProbationCase,
    Record,
    SystemStore,
    names_of,
)
from simulators.truth import SIM_TODAY, Estate, TruePerson

_DIGITS = re.compile(r"[0-9]+$")


class ChangeError(ValueError):
    """A change the estate cannot make; the message says why."""


class UnknownRecord(ChangeError):
    """A local id the system does not hold."""


@dataclass(frozen=True)
class Moved:
    """Where a record is after a move: its system and local id."""

    system: str
    local_id: str


def move(estate: Estate, system: str, local_id: str, location: str) -> Moved:
    """Move the person of ``system``'s record ``local_id`` to ``location`` (a prison id or a
    probation region code); ChangeError when the record is not active or the place is wrong."""
    store = _store(estate, system)
    record = _record(store, local_id)
    target = _system_covering(estate, store.kind, location)
    _relocate(record, location)
    if target.name == system:
        store.reindex(local_id)
        return Moved(system, local_id)
    person = owner_of(estate, system, local_id)
    if target.name in person.slices:
        raise ChangeError(
            f"the person already has a record in {target.name}: merge the two there instead"
        )
    store.remove(local_id)
    record.local_id = next_local_id(target)
    target.add(record)
    del person.slices[system]
    person.slices[target.name] = record.local_id
    if system in person.dirt:
        person.dirt[target.name] = person.dirt.pop(system)
    return Moved(target.name, record.local_id)


def merge(estate: Estate, system: str, loser_id: str, survivor_id: str) -> list[str]:
    """Merge record ``loser_id`` of ``system`` into ``survivor_id``; returns the identifiers
    retired (the loser's own NOMS number or CRN, when it differs from the survivor's)."""
    store = _store(estate, system)
    if loser_id == survivor_id:
        raise ChangeError("a record cannot be merged into itself")
    loser, survivor = _record(store, loser_id), _record(store, survivor_id)
    retired = _retire(estate, system, loser, survivor)
    for attribute in ("noms_number", "pnc_number", "cro_number"):
        if getattr(survivor, attribute) is None:
            setattr(survivor, attribute, getattr(loser, attribute))
    held = set(names_of(survivor))
    for forename, surname in names_of(loser):
        if (forename, surname) not in held:
            held.add((forename, surname))
            survivor.aliases.append(Alias(forename, surname))
    _take_over(loser, survivor)
    store.remove(loser_id)
    store.reindex(survivor_id)
    loser_person = owner_of(estate, system, loser_id)
    del loser_person.slices[system]
    loser_person.dirt.pop(system, None)
    return retired


def owner_of(estate: Estate, system: str, local_id: str) -> TruePerson:
    """The true person whose record this is."""
    for person in estate.people.values():
        if person.slices.get(system) == local_id:
            return person
    raise UnknownRecord(f"{system} holds no record {local_id!r}")


def next_local_id(store: SystemStore) -> str:
    """A local id the store has not used: its highest one, with the number at its end plus one."""
    if not store.records:
        raise ChangeError(f"{store.name} holds no record to number a new one after")
    highest = max(store.records, key=lambda i: (len(i), i))
    digits = _DIGITS.search(highest)
    if digits is None:
        raise ChangeError(f"{store.name}'s local ids do not end in a number")
    number = f"{int(digits.group()) + 1:0{len(digits.group())}d}"
    return highest[: digits.start()] + number


def _store(estate: Estate, system: str) -> SystemStore:
    if system not in estate.systems:
        raise ChangeError(f"the estate has no system {system!r}")
    return estate.systems[system]


def _record(store: SystemStore, local_id: str) -> Record:
    if local_id not in store.records:
        raise UnknownRecord(f"{store.name} holds no record {local_id!r}")
    return store.records[local_id]


def _system_covering(estate: Estate, kind: str, location: str) -> SystemStore:
    places = PRISONS if kind == "CUSTODY" else PROBATION_REGIONS
    what = "prison id" if kind == "CUSTODY" else "probation region code"
    for store in estate.systems.values():
        if store.kind == kind and location in store.locations:
            return store
    raise ChangeError(f"{location!r} is not a {what} of the estate (known: {', '.join(places)})")


def _relocate(record: Record, location: str) -> None:
    if isinstance(record, PrisonerRecord):
        booking = next((b for b in record.bookings if b.active), None)
        if booking is None:
            raise ChangeError(f"record {record.local_id!r} has no active booking to move")
        if booking.prison_id == location:
            raise ChangeError(f"record {record.local_id!r} is already in {location}")
        text = f"Transferred: {PRISONS[booking.prison_id]} to {PRISONS[location]}"
        record.movements.append(
            MovementRow(SIM_TODAY, "TRANSFERRED", booking.prison_id, location, text)
        )
        booking.prison_id = location
        return
    episode = next((s for s in record.supervisions if s.active), None)
    if episode is None:
        raise ChangeError(f"record {record.local_id!r} has no active supervision to move")
    if episode.probation_region == location:
        raise ChangeError(f"record {record.local_id!r} is already supervised in {location}")
    episode.probation_region = location
    for manager in record.managers:
        manager.probation_region = location


def _retire(estate: Estate, system: str, loser: Record, survivor: Record) -> list[str]:
    person = owner_of(estate, system, survivor.local_id)
    if isinstance(loser, ProbationCase) and isinstance(survivor, ProbationCase):
        if loser.crn != survivor.crn:
            person.retired_crns[loser.crn] = survivor.crn
            return [loser.crn]
        return []
    if loser.noms_number and survivor.noms_number and loser.noms_number != survivor.noms_number:
        person.retired_noms[loser.noms_number] = survivor.noms_number
        retired, loser.noms_number = loser.noms_number, None
        return [retired]
    return []


def _take_over(loser: Record, survivor: Record) -> None:
    if isinstance(loser, PrisonerRecord) and isinstance(survivor, PrisonerRecord):
        survivor.bookings += loser.bookings
        survivor.movements += loser.movements
        survivor.alerts += loser.alerts
    elif isinstance(loser, ProbationCase) and isinstance(survivor, ProbationCase):
        survivor.supervisions += loser.supervisions  # the survivor keeps its managers
        survivor.registrations += loser.registrations
