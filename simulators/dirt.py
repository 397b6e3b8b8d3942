"""The dirt of a real estate, added once the lives are written, with the truth of each item.

Drawn from a random generator of its own per person (seeded by the estate's seed and the
person's id), so the people, lives, records and slices are those the same seed gave before; only
values change. Rates:

Per person
- :data:`WELSH_RATE` 3%: Welsh names (``Llŷr``, ``Siân``, ``ap Gwilym``, ``ferch Rhys``); each
  record drops the diacritics with :data:`ASCII_ONLY_RATE` 50% (``Sian``), as ASCII-only
  systems do.
- :data:`DOUBLE_BARRELLED_RATE` 3%: a double-barrelled surname (``Smith-Jones``); each record
  writes it with a space instead (``Smith Jones``) with :data:`SPACED_RATE` 40%.
- :data:`TWIN_RATE` 0.5%: the twin of an earlier person: same surname and date of birth, another
  forename (the same one for :data:`SAME_FORENAME_TWINS` 10% of same-gender twins). The
  namesakes of :data:`simulators.population.NAMESAKE_RATE` share name and birth date by chance.
- :data:`NOMS_MERGE_RATE` 1% of people in custody: a second NOMS number, removed by a prisoner
  merge (:attr:`TruePerson.retired_noms`); each of their probation cases had learnt it and still
  holds it with :data:`STALE_COPY_RATE` 50%.
- :data:`CRN_MERGE_RATE` 1% of people with a probation case: a second case in one probation
  system, merged into the surviving CRN (:attr:`TruePerson.retired_crns`); each of their cases
  in other probation systems still holds the merged-away CRN with :data:`STALE_COPY_RATE`.
- :data:`WRONG_LINK_RATE` 25% of namesakes with a probation case: the NOMS number of the person
  they share a name and birth date with is written back to their case (a NOMS-CRN link made by
  name and date of birth).

Per record
- :data:`NAME_TYPO_RATE` 3%: one typing error in the surname (60%) or forename: two letters
  swapped, one dropped, one doubled, or a neighbouring key.
- :data:`DOB_TYPO_RATE` 2%: the date of birth with day and month swapped (when both could be a
  month) or one digit wrong.
- :data:`TRANSPOSED_RATE` 1%: forename and surname transposed.
- :data:`BAD_CHECK_RATE` 2% of records with a PNC: a wrong check character (connectors drop the
  PNC, so the record lacks it).
- :data:`NO_IDENTIFIER_RATE` 2% of custody records: no NOMS, PNC or CRO at all (a reception
  record never matched to the person's numbers); found only by name.

Each record's dirt is listed in :attr:`TruePerson.dirt` under its system, by the labels of
:data:`LABELS`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date

from connectors.identifiers import CHECK_ALPHABET
from simulators import names
from simulators.builder import EstateBuilder
from simulators.stores import ProbationCase, Record, SystemStore
from simulators.truth import SIM_TODAY, TruePerson

WELSH_RATE = 0.03
ASCII_ONLY_RATE = 0.5
DOUBLE_BARRELLED_RATE = 0.03
SPACED_RATE = 0.4
TWIN_RATE = 0.005
SAME_FORENAME_TWINS = 0.1
NOMS_MERGE_RATE = 0.01
CRN_MERGE_RATE = 0.01
STALE_COPY_RATE = 0.5
WRONG_LINK_RATE = 0.25
NAME_TYPO_RATE = 0.03
DOB_TYPO_RATE = 0.02
TRANSPOSED_RATE = 0.01
BAD_CHECK_RATE = 0.02
NO_IDENTIFIER_RATE = 0.02

LABELS = (
    "surname typo",
    "forename typo",
    "dob typo",
    "transposed",
    "bad pnc check",
    "no identifier",
    "no diacritics",
    "spaced surname",
    "stale noms",
    "stale crn",
    "namesake noms",
)


class Soiler:
    """Adds the dirt to one estate's people and records (see the module docstring)."""

    def __init__(self, builder: EstateBuilder, people: Mapping[int, TruePerson], seed: int) -> None:
        self.builder = builder
        self.stores: dict[str, SystemStore] = builder.stores
        self.people = people
        self.seed = seed

    def soil(self) -> None:
        """Add every kind of dirt (before the stores index their records)."""
        linked = {p.namesake_of for p in self.people.values()} | {
            p.person_id for p in self.people.values() if p.namesake_of
        }
        for person_id, person in sorted(self.people.items()):
            rng = random.Random(f"dirt/{self.seed}/{person_id}")
            if person_id not in linked:
                self.rename(person, rng)
            self.merges(person, rng)
            for system in sorted(person.slices):
                self.record_dirt(person, system, rng)

    # ---- people ------------------------------------------------------------------------------
    def rename(self, person: TruePerson, rng: random.Random) -> None:
        """Welsh names, a double-barrelled surname, or a twin of an earlier person."""
        draw = rng.random()
        if draw < WELSH_RATE:
            pool = (
                names.WELSH_MALE_FORENAMES if person.gender == "M" else names.WELSH_FEMALE_FORENAMES
            )
            self.write_name(person, rng.choice(pool), rng.choice(names.WELSH_SURNAMES))
        elif draw < WELSH_RATE + DOUBLE_BARRELLED_RATE:
            first, second = rng.sample(names.SURNAMES, 2)
            self.write_name(person, person.forename, f"{first}-{second}")
        elif draw < WELSH_RATE + DOUBLE_BARRELLED_RATE + TWIN_RATE and person.person_id > 1:
            self.twin(person, self.people[rng.randint(1, person.person_id - 1)], rng)

    def twin(self, person: TruePerson, sibling: TruePerson, rng: random.Random) -> None:
        same_gender = person.gender == sibling.gender
        if same_gender and rng.random() < SAME_FORENAME_TWINS:
            forename = sibling.forename
        else:
            pool = names.MALE_FORENAMES if person.gender == "M" else names.FEMALE_FORENAMES
            forename = rng.choice([n for n in pool if n != sibling.forename])
        person.twin_of = sibling.person_id
        person.date_of_birth = sibling.date_of_birth
        self.write_name(person, forename, sibling.surname)

    def write_name(self, person: TruePerson, forename: str, surname: str) -> None:
        """Give the person a new true name, written into every record (aliases keep theirs)."""
        old_forename = person.forename
        person.forename, person.surname = forename, surname
        for system, local_id in person.slices.items():
            record = self.stores[system].records[local_id]
            record.forename, record.surname = forename, surname
            record.date_of_birth = person.date_of_birth
            for alias in record.aliases:
                if alias.forename == old_forename:
                    alias.forename = forename

    def merges(self, person: TruePerson, rng: random.Random) -> None:
        """Identifiers retired by merges, and stale or wrong copies of NOMS numbers and CRNs."""
        cases = self.cases_of(person)
        in_custody = any(self.stores[s].kind == "CUSTODY" for s in person.slices)
        if in_custody and person.noms and rng.random() < NOMS_MERGE_RATE:
            removed = self.builder.noms(rng)
            person.retired_noms[removed] = person.noms
            for system, case in cases:
                if case.noms_number == person.noms and rng.random() < STALE_COPY_RATE:
                    case.noms_number = removed
                    person.dirt.setdefault(system, []).append("stale noms")
        if cases and person.crn and rng.random() < CRN_MERGE_RATE:
            merged_away = self.builder.crn(rng)
            person.retired_crns[merged_away] = person.crn
            where = rng.choice(cases)[0]  # the system that held both cases and merged them
            for system, case in cases:
                if system != where and rng.random() < STALE_COPY_RATE:
                    case.crn = merged_away
                    person.dirt.setdefault(system, []).append("stale crn")
        namesake = self.people.get(person.namesake_of or 0)
        if namesake and namesake.noms and cases and rng.random() < WRONG_LINK_RATE:
            system, case = rng.choice(cases)
            case.noms_number = namesake.noms
            person.dirt.setdefault(system, []).append("namesake noms")

    def cases_of(self, person: TruePerson) -> list[tuple[str, ProbationCase]]:
        found = []
        for system, local_id in sorted(person.slices.items()):
            record = self.stores[system].records[local_id]
            if isinstance(record, ProbationCase):
                found.append((system, record))
        return found

    # ---- records -----------------------------------------------------------------------------
    def record_dirt(self, person: TruePerson, system: str, rng: random.Random) -> None:
        record = self.stores[system].records[person.slices[system]]
        found: list[str] = []
        if rng.random() < ASCII_ONLY_RATE:
            folded = (
                names.without_diacritics(record.forename),
                names.without_diacritics(record.surname),
            )
            if folded != (record.forename, record.surname):
                record.forename, record.surname = folded
                found.append("no diacritics")
        if "-" in record.surname and rng.random() < SPACED_RATE:
            record.surname = record.surname.replace("-", " ")
            found.append("spaced surname")
        if rng.random() < NAME_TYPO_RATE:
            error = rng.choice(names.TYPING_ERRORS)
            if rng.random() < 0.6:
                record.surname = names.typing_error(record.surname, error, rng)
                found.append("surname typo")
            else:
                record.forename = names.typing_error(record.forename, error, rng)
                found.append("forename typo")
        if rng.random() < DOB_TYPO_RATE:
            record.date_of_birth = mistyped_date(record.date_of_birth, rng)
            found.append("dob typo")
        if rng.random() < TRANSPOSED_RATE:
            record.forename, record.surname = record.surname, record.forename
            found.append("transposed")
        if record.pnc_number and rng.random() < BAD_CHECK_RATE:
            record.pnc_number = wrong_check_character(record.pnc_number, rng)
            found.append("bad pnc check")
        if self.stores[system].kind == "CUSTODY" and rng.random() < NO_IDENTIFIER_RATE:
            strip_identifiers(record)
            found.append("no identifier")
        if found:
            person.dirt.setdefault(system, []).extend(found)


def strip_identifiers(record: Record) -> None:
    record.noms_number = record.pnc_number = record.cro_number = None


def wrong_check_character(pnc: str, rng: random.Random) -> str:
    """The PNC with another check character than the one it has (so it no longer parses)."""
    return pnc[:-1] + rng.choice([c for c in CHECK_ALPHABET if c != pnc[-1]])


def mistyped_date(born: date, rng: random.Random) -> date:
    """Day and month swapped when that gives another date (40%), else one digit of the day, the
    month or the year's last two digits typed wrong; always a real past date, never ``born``."""
    if born.day <= 12 and born.day != born.month and rng.random() < 0.4:
        return born.replace(day=born.month, month=born.day)
    text = born.strftime("%d%m%Y")
    while True:
        at = rng.choice((0, 1, 2, 3, 6, 7))
        typed = text[:at] + rng.choice([d for d in "0123456789" if d != text[at]]) + text[at + 1 :]
        try:
            mistyped = date(int(typed[4:]), int(typed[2:4]), int(typed[:2]))
        except ValueError:
            continue
        if mistyped < SIM_TODAY:
            return mistyped
