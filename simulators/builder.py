"""Creates people and their local records in the stores, with the dirt each system adds."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from connectors.identifiers import format_cro, format_pnc, format_pnc_short
from simulators import names
from simulators.layout import SYSTEMS, SystemSpec, system_for
from simulators.stores import (
    AlertRow,
    Alias,
    PrisonerRecord,
    ProbationCase,
    RegistrationRow,
    SystemStore,
)
from simulators.truth import SIM_TODAY, TruePerson

PRISON_ALERTS = (
    ("X", "XER", "Escape risk"),
    ("X", "XA", "Arsonist"),
    ("X", "XSA", "Staff assaulter"),
    ("H", "HA", "ACCT open (self-harm)"),
    ("P", "PC1", "Protective custody"),
    ("R", "RSS", "Risk to staff"),
)
ROSH_LEVELS = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")


def _short(pnc: str) -> str:
    """The short form of a canonical PNC number, as older systems store it."""
    year, rest = pnc.split("/")
    return format_pnc_short(int(year), int(rest[:-1]))


class EstateBuilder:
    """Generates one person's life into the stores, with its own counters for local ids."""

    def __init__(self, seed: int, systems: Sequence[SystemSpec] = SYSTEMS) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.systems = tuple(systems)
        self.specs = {s.name: s for s in self.systems}
        self.stores = {
            s.name: SystemStore(s.name, s.kind, s.dialect, s.title, s.locations, s.batch)
            for s in self.systems
        }
        self.counters: dict[str, int] = {}
        self.used: set[str] = set()
        self.booking_ids = 1_200_000
        self.staff_forenames = names.MALE_FORENAMES[:40] + names.FEMALE_FORENAMES[:40]
        self.staff_surnames = names.SURNAMES[:120]

    def system_for(self, location: str) -> str:
        """The name of the system covering a prison id or probation region code."""
        return system_for(location, self.systems).name

    def next_booking_id(self) -> int:
        self.booking_ids += 1
        return self.booking_ids

    # ---- identifiers -------------------------------------------------------------------------
    def _unique(self, make: str) -> bool:
        if make in self.used:
            return False
        self.used.add(make)
        return True

    def pnc(self, year: int) -> str:
        while not self._unique(value := format_pnc(year, self.rng.randint(1, 999_999))):
            pass
        return value

    def cro(self, year: int) -> str:
        while not self._unique(value := format_cro(year, self.rng.randint(1, 999_999))):
            pass
        return value

    def noms(self, rng: random.Random | None = None) -> str:
        """A NOMS number no one holds yet (drawn from ``rng``, default the builder's)."""
        rng = rng or self.rng
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        while True:
            value = (
                rng.choice("AG")
                + f"{rng.randint(0, 9999):04d}"
                + "".join(rng.choice(letters) for _ in range(2))
            )
            if self._unique(value):
                return value

    def crn(self, rng: random.Random | None = None) -> str:
        """A CRN no one holds yet (drawn from ``rng``, default the builder's)."""
        rng = rng or self.rng
        while not self._unique(value := f"{rng.choice('XYDE')}{rng.randint(0, 999_999):06d}"):
            pass
        return value

    def local_id(self, system: str) -> str:
        self.counters[system] = self.counters.get(system, 0) + 1
        return f"{self.specs[system].id_prefix}{self.counters[system]:06d}"

    # ---- people --------------------------------------------------------------------------------
    def person(self, person_id: int, namesake_of: TruePerson | None) -> TruePerson:
        rng = self.rng
        gender = "M" if rng.random() < 0.85 else "F"
        pool = names.MALE_FORENAMES if gender == "M" else names.FEMALE_FORENAMES
        dob = date(1950, 1, 1) + timedelta(days=rng.randint(0, 20_000))
        first_year = min(dob.year + rng.randint(16, 40), 2025)
        person = TruePerson(
            person_id=person_id,
            forename=rng.choice(pool),
            surname=rng.choice(names.SURNAMES),
            date_of_birth=dob,
            gender=gender,
            pnc=self.pnc(first_year),
            cro=self.cro(first_year) if rng.random() < 0.8 else None,
        )
        if namesake_of:  # a different person who shares name and date of birth
            person.forename, person.surname = namesake_of.forename, namesake_of.surname
            person.date_of_birth, person.gender = namesake_of.date_of_birth, namesake_of.gender
            person.namesake_of = namesake_of.person_id
        return person

    def prisoner(self, person: TruePerson, system: str) -> PrisonerRecord:
        if system in person.slices:
            record = self.stores[system].records[person.slices[system]]
            assert isinstance(record, PrisonerRecord)
            return record
        if person.noms is None:
            self.first_custody(person)
        rng = self.rng
        record = PrisonerRecord(
            local_id=self.local_id(system),
            noms_number=person.noms,
            pnc_number=None if rng.random() < 0.03 else person.pnc,
            cro_number=person.cro,
            forename=person.forename,
            middle_names=None,
            surname=person.surname,
            date_of_birth=person.date_of_birth,
            gender=person.gender,
            aliases=self.aliases(person, 0.10),
        )
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            kind, code, text = rng.choice(PRISON_ALERTS)
            start = SIM_TODAY - timedelta(days=rng.randint(10, 2000))
            record.alerts.append(AlertRow(kind, code, text, start, rng.random() < 0.8))
        self.stores[system].add(record)
        person.slices[system] = record.local_id
        return record

    def first_custody(self, person: TruePerson) -> None:
        """A NOMS number at first reception; probation cases already open usually learn it."""
        person.noms = self.noms()
        for system, local_id in person.slices.items():
            store = self.stores[system]
            if store.kind == "PROBATION" and self.rng.random() < 0.9:
                store.write_back_noms(local_id, person.noms)

    def case(self, person: TruePerson, system: str) -> ProbationCase:
        if system in person.slices:
            record = self.stores[system].records[person.slices[system]]
            assert isinstance(record, ProbationCase)
            return record
        if person.crn is None:
            person.crn = self.crn()
        rng = self.rng
        forename, surname = person.forename, person.surname
        if rng.random() < 0.05:  # another spelling of the name
            if rng.random() < 0.5:
                forename = names.spelling_variant(forename, names.FORENAME_VARIANTS)
            else:
                surname = names.spelling_variant(surname, names.SURNAME_VARIANTS)
        short_pnc = self.specs[system].short_pnc and rng.random() < 0.5
        record = ProbationCase(
            local_id=self.local_id(system),
            crn=person.crn,
            noms_number=None if rng.random() < 0.10 else person.noms,
            pnc_number=_short(person.pnc) if short_pnc else person.pnc,
            cro_number=person.cro,
            forename=forename,
            middle_names=None,
            surname=surname,
            date_of_birth=person.date_of_birth,
            gender=person.gender,
            aliases=self.aliases(person, 0.05),
        )
        self.registrations(record)
        self.stores[system].add(record)
        person.slices[system] = record.local_id
        return record

    def aliases(self, person: TruePerson, rate: float) -> list[Alias]:
        if self.rng.random() >= rate:
            return []
        return [Alias(person.forename, self.rng.choice(names.SURNAMES))]

    def registrations(self, case: ProbationCase) -> None:
        rng = self.rng
        start = SIM_TODAY - timedelta(days=rng.randint(30, 3000))
        if rng.random() < 0.7:
            level = rng.choice(ROSH_LEVELS)
            text = f"{level.replace('_', ' ').title()} risk of serious harm"
            case.registrations.append(RegistrationRow("ROSH", level, text, start, True, level))
        if rng.random() < 0.12:
            mappa, category = rng.randint(1, 3), rng.randint(1, 3)
            text = f"MAPPA level {mappa}, category {category}"
            row = RegistrationRow(
                "MAPPA", f"M{mappa}", text, start, True, str(mappa), str(category)
            )
            case.registrations.append(row)
        for kind, rate, text in (("VISOR", 0.03, "ViSOR nominal"), ("WEAPONS", 0.05, "Weapons")):
            if rng.random() < rate:
                case.registrations.append(RegistrationRow(kind, kind, text, start, True))
