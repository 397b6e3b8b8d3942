"""The ground truth the generator knows and the systems don't: which records are one person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from connectors.records import NO_LIMITS, AccessLimits, PersonRecord
from simulators.linkage import RecordKey, pairs_split_by, person_record
from simulators.stores import Record, SystemStore

SIM_TODAY = date(2026, 11, 1)  # the estate's "now", fixed so a seed always gives the same data


@dataclass
class TruePerson:
    """The ground truth of one person: who they are and which local records are theirs."""

    person_id: int
    forename: str
    surname: str
    date_of_birth: date
    gender: str
    pnc: str
    cro: str | None
    noms: str | None = None
    crn: str | None = None
    slices: dict[str, str] = field(default_factory=dict)  # system name -> local id
    access: dict[str, AccessLimits] = field(default_factory=dict)  # probation system -> limits
    namesake_of: int | None = None  # an earlier person whose name and date of birth they share
    twin_of: int | None = None  # an earlier person who is their twin: same surname and birth date
    retired_noms: dict[str, str] = field(default_factory=dict)  # removed by a merge -> survivor
    retired_crns: dict[str, str] = field(default_factory=dict)  # merged away -> surviving CRN
    dirt: dict[str, list[str]] = field(default_factory=dict)  # system -> dirt its record holds

    @property
    def limited(self) -> bool:
        """Whether any of the person's probation systems limits access to them."""
        return any(limits.limited for limits in self.access.values())

    @property
    def systems(self) -> list[str]:
        return sorted(self.slices)


@dataclass
class Estate:
    """Every system's store plus the ground truth behind them."""

    seed: int
    systems: dict[str, SystemStore]
    people: dict[int, TruePerson]

    def records_of(self, person_id: int) -> list[tuple[str, Record]]:
        """The person's local records, as (system name, record)."""
        person = self.people[person_id]
        return [(s, self.systems[s].records[i]) for s, i in sorted(person.slices.items())]

    def owners(self) -> dict[RecordKey, int]:
        """Whose each record is: (system, local id) -> person id."""
        return {(s, i): p.person_id for p in self.people.values() for s, i in p.slices.items()}

    def person_records(self) -> list[PersonRecord]:
        """Every record of every system as its connector maps it
        (:func:`simulators.linkage.person_record`), by system and local id."""
        return [
            person_record(name, record)
            for name, store in sorted(self.systems.items())
            for _, record in sorted(store.records.items())
        ]

    def split_pairs(
        self, groups: Iterable[Iterable[RecordKey]]
    ) -> list[tuple[RecordKey, RecordKey]]:
        """True pairs (two records of one person) that ``groups`` (of (system, local id)) put
        apart: given the strong-link groups, the pairs left for weak links to find."""
        return pairs_split_by(self.owners(), groups)

    def dirt_of(self, system: str, local_id: str) -> list[str]:
        """The dirt the generator put in one record (:data:`simulators.dirt.LABELS`)."""
        person = self.people[self.owners()[(system, local_id)]]
        return list(person.dirt.get(system, []))

    def spanning(self, min_systems: int = 3) -> list[TruePerson]:
        """People whose records span custody and probation in at least ``min_systems`` systems."""
        found = []
        for person in self.people.values():
            kinds = {self.systems[s].kind for s in person.slices}
            if len(person.slices) >= min_systems and len(kinds) == 2:
                found.append(person)
        return found

    def access_of(self, person_id: int, system: str) -> AccessLimits:
        """The limits ``system`` holds on the person (none: :data:`NO_LIMITS`)."""
        return self.people[person_id].access.get(system, NO_LIMITS)

    def limited_people(self, kind: str | None = None) -> list[TruePerson]:
        """Limited-access people, by id; ``kind`` ``"excluded"`` (or ``"restricted"``): only
        those on whom some system holds an exclusion (or restriction) list."""
        lists = {None: "limited", "excluded": "excluded", "restricted": "restricted_to"}
        if kind not in lists:
            raise ValueError(f"kind must be 'excluded' or 'restricted', not {kind!r}")
        wanted = lists[kind]
        return [
            person
            for _, person in sorted(self.people.items())
            if any(getattr(limits, wanted) for limits in person.access.values())
        ]
