"""The seeded estate: determinism, valid identifiers, realistic dirt, ground truth that agrees
with the stores, lives that cross regions; and the stores' look-ups."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from connectors.identifiers import IdentifierKind, InvalidIdentifier, normalise_cro, normalise_pnc
from simulators import names
from simulators.population import DEFAULT_PEOPLE, generate_estate
from simulators.stores import Alias, PrisonerRecord, ProbationCase, Record, SystemStore
from simulators.truth import SIM_TODAY, Estate, TruePerson

NOMS_FORMAT = re.compile(r"^[A-Z][0-9]{4}[A-Z]{2}$")
CRN_FORMAT = re.compile(r"^[A-Z][0-9]{6}$")
ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # docs/domain.md's check alphabet, written out independently


def pnc_is_valid(value: str) -> bool:
    match = re.fullmatch(r"([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])", value)
    if not match:
        return False
    year, serial, check = match.groups()
    return ALPHABET[int(f"{int(year) % 100:02d}{int(serial):07d}") % 23] == check


def cro_is_valid(value: str) -> bool:
    match = re.fullmatch(r"([0-9]{1,6})/([0-9]{2})([A-Z])", value)
    if not match:
        return False
    serial, year, check = match.groups()
    return ALPHABET[int(f"{year}{int(serial):06d}") % 23] == check


@pytest.fixture(scope="module")
def estate() -> Estate:
    return generate_estate()


def all_records(estate: Estate) -> list[tuple[str, Record]]:
    return [(name, r) for name, store in estate.systems.items() for r in store.records.values()]


def owners(estate: Estate) -> dict[tuple[str, str], TruePerson]:
    return {(s, local): p for p in estate.people.values() for s, local in p.slices.items()}


def records_of(estate: Estate, person: TruePerson) -> list[Record]:
    return [record for _, record in estate.records_of(person.person_id)]


# ---- the rule used by these tests --------------------------------------------------------------
def test_independent_check_rule_agrees_with_domain_examples() -> None:
    assert pnc_is_valid("2012/0394773H") and pnc_is_valid("12/394773H")
    assert pnc_is_valid("2012/0052494Q") and not pnc_is_valid("2012/0052494X")
    assert cro_is_valid("29906/12J") and not cro_is_valid("29906/12K")


# ---- determinism and size ----------------------------------------------------------------------
def test_same_seed_same_estate() -> None:
    first, second = generate_estate(seed=42, people=300), generate_estate(seed=42, people=300)
    assert first.people == second.people
    for name, store in first.systems.items():
        assert store.records == second.systems[name].records


def test_different_seed_different_estate() -> None:
    first, second = generate_estate(seed=42, people=300), generate_estate(seed=43, people=300)
    assert [p.pnc for p in first.people.values()] != [p.pnc for p in second.people.values()]


def test_default_estate_has_at_least_5000_people(estate: Estate) -> None:
    assert DEFAULT_PEOPLE >= 5000
    assert len(estate.people) >= 5000
    assert sorted(estate.people) == list(range(1, len(estate.people) + 1))
    assert all(p.slices for p in estate.people.values())  # everyone is in some system


# ---- identifiers -------------------------------------------------------------------------------
def test_every_true_identifier_is_well_formed(estate: Estate) -> None:
    for person in estate.people.values():
        assert pnc_is_valid(person.pnc), person.pnc
        assert person.cro is None or cro_is_valid(person.cro), person.cro
        assert person.noms is None or NOMS_FORMAT.match(person.noms), person.noms
        assert person.crn is None or CRN_FORMAT.match(person.crn), person.crn


def test_every_stored_identifier_is_well_formed_but_the_bad_check_characters(
    estate: Estate,
) -> None:
    short_forms = 0
    for person in estate.people.values():
        for system, local_id in person.slices.items():
            pnc = estate.systems[system].records[local_id].pnc_number
            if pnc is not None:
                assert pnc_is_valid(pnc) != ("bad pnc check" in person.dirt.get(system, [])), pnc
    for _, record in all_records(estate):
        if record.pnc_number is not None:
            short_forms += len(record.pnc_number) < len("YYYY/NNNNNNNC")
        assert record.cro_number is None or cro_is_valid(record.cro_number)
        assert record.noms_number is None or NOMS_FORMAT.match(record.noms_number)
        if isinstance(record, ProbationCase):
            assert CRN_FORMAT.match(record.crn), record.crn
    assert short_forms > 0  # some systems store the short form


def test_strong_identifiers_are_unique_to_a_person(estate: Estate) -> None:
    for attribute in ("pnc", "cro", "noms", "crn"):
        values = [getattr(p, attribute) for p in estate.people.values()]
        present = [v for v in values if v is not None]
        assert len(present) == len(set(present)), attribute


# ---- dirt rates --------------------------------------------------------------------------------
def test_probation_cases_opened_after_custody_lack_the_noms_number_about_10_percent(
    estate: Estate,
) -> None:
    """The deliberate dirt: cases opened once the person had a NOMS number still lack it."""
    eligible = missing = 0
    for person in estate.people.values():
        if person.noms is None:
            continue
        records = records_of(estate, person)
        first_custody = min(
            b.start for r in records if isinstance(r, PrisonerRecord) for b in r.bookings
        )
        for record in records:
            if isinstance(record, ProbationCase):
                opened = min((s.start for s in record.supervisions), default=None)
                if opened is None or opened >= first_custody:
                    eligible += 1
                    missing += record.noms_number is None
    assert eligible > 1000
    assert 0.06 <= missing / eligible <= 0.14


def test_probation_records_lacking_a_noms_number_the_person_has_about_10_percent(
    estate: Estate,
) -> None:
    owner = owners(estate)
    eligible = missing = 0
    for name, record in all_records(estate):
        if isinstance(record, ProbationCase) and owner[(name, record.local_id)].noms:
            eligible += 1
            missing += record.noms_number is None
    assert 0.06 <= missing / eligible <= 0.14


NAME_DIRT = {"surname typo", "forename typo", "transposed", "no diacritics", "spaced surname"}


def test_names_spelled_differently_about_5_percent(estate: Estate) -> None:
    """Other spellings, apart from the typing errors and the like of simulators.dirt."""
    owner = owners(estate)
    cases = [
        (n, r)
        for n, r in all_records(estate)
        if isinstance(r, ProbationCase)
        and not NAME_DIRT & set(owner[(n, r.local_id)].dirt.get(n, []))
    ]
    different = sum(
        (r.forename, r.surname) != (owner[(n, r.local_id)].forename, owner[(n, r.local_id)].surname)
        for n, r in cases
    )
    assert 0.02 <= different / len(cases) <= 0.08


def test_every_spelling_variant_differs() -> None:
    unchanged = [
        name
        for pool, variants in (
            (names.MALE_FORENAMES + names.FEMALE_FORENAMES, names.FORENAME_VARIANTS),
            (names.SURNAMES, names.SURNAME_VARIANTS),
        )
        for name in pool
        if names.spelling_variant(name, variants) == name
    ]
    assert unchanged == []


def test_twins_share_name_and_birth_date_but_not_a_pnc(estate: Estate) -> None:
    by_name: dict[tuple[str, str, date], list[TruePerson]] = {}
    for person in estate.people.values():
        key = (person.forename, person.surname, person.date_of_birth)
        by_name.setdefault(key, []).append(person)
    twins = [group for group in by_name.values() if len(group) > 1]
    assert len(twins) >= 10
    for group in twins:
        assert len({p.pnc for p in group}) == len(group)


def test_some_prison_records_have_aliases(estate: Estate) -> None:
    prisoners = [r for _, r in all_records(estate) if isinstance(r, PrisonerRecord)]
    with_alias = sum(bool(r.aliases) for r in prisoners)
    assert 0.05 <= with_alias / len(prisoners) <= 0.15


# ---- ground truth agrees with the stores -------------------------------------------------------
def test_slices_point_at_records_whose_identifiers_agree(estate: Estate) -> None:
    """Except where the truth lists the dirt that changed them."""
    for person in estate.people.values():
        namesake = estate.people.get(person.namesake_of or 0)
        for system, local_id in person.slices.items():
            record = estate.systems[system].records[local_id]
            dirt = person.dirt.get(system, [])
            assert record.local_id == local_id
            assert (record.date_of_birth == person.date_of_birth) != ("dob typo" in dirt)
            if "no identifier" in dirt:
                assert (record.noms_number, record.pnc_number, record.cro_number) == (None,) * 3
                continue
            assert record.cro_number == person.cro
            if record.pnc_number is not None and "bad pnc check" not in dirt:
                assert normalise_pnc(record.pnc_number) == person.pnc
            if "stale noms" in dirt:
                assert person.retired_noms[record.noms_number or ""] == person.noms
            elif "namesake noms" in dirt:
                assert namesake is not None and record.noms_number == namesake.noms
            else:
                assert record.noms_number in (None, person.noms)
            if isinstance(record, ProbationCase):
                assert estate.systems[system].kind == "PROBATION"
                if "stale crn" in dirt:
                    assert person.retired_crns[record.crn] == person.crn
                else:
                    assert record.crn == person.crn
            else:
                assert estate.systems[system].kind == "CUSTODY"
                assert record.noms_number == person.noms is not None


def test_every_record_belongs_to_exactly_one_person(estate: Estate) -> None:
    owned = Counter((s, local) for p in estate.people.values() for s, local in p.slices.items())
    stored = {(name, r.local_id) for name, r in all_records(estate)}
    assert set(owned) == stored
    assert max(owned.values()) == 1


def test_at_most_one_responsible_officer_per_person(estate: Estate) -> None:
    with_one = 0
    for person in estate.people.values():
        flagged = [
            m
            for record in records_of(estate, person)
            if isinstance(record, ProbationCase)
            for m in record.managers
            if m.responsible_officer
        ]
        assert len(flagged) <= 1, person.person_id
        with_one += len(flagged)
    assert with_one > len(estate.people) // 10  # and many people do have one


def test_no_episode_ends_before_it_starts(estate: Estate) -> None:
    for _, record in all_records(estate):
        if isinstance(record, PrisonerRecord):
            for booking in record.bookings:
                assert booking.end is None or booking.start <= booking.end
                assert booking.active == (booking.end is None)
        else:
            for episode in record.supervisions:
                assert episode.end is None or episode.start <= episode.end
                assert episode.active == (episode.end is None)
                assert episode.start < SIM_TODAY


def test_at_most_one_active_booking_per_person(estate: Estate) -> None:
    for person in estate.people.values():
        active = [
            b
            for record in records_of(estate, person)
            if isinstance(record, PrisonerRecord)
            for b in record.bookings
            if b.active
        ]
        assert len(active) <= 1, person.person_id


def test_lives_cross_regions(estate: Estate) -> None:
    spanning = estate.spanning(3)
    assert len(spanning) >= len(estate.people) // 10
    for person in spanning[:50]:
        kinds = {estate.systems[s].kind for s in person.slices}
        assert kinds == {"CUSTODY", "PROBATION"}
        assert len(person.systems) >= 3


def test_every_system_holds_records(estate: Estate) -> None:
    for name, store in estate.systems.items():
        assert len(store.records) > 100, name


# ---- SystemStore look-ups ----------------------------------------------------------------------
def case(local_id: str, **fields: object) -> ProbationCase:
    values: dict[str, object] = {
        "local_id": local_id,
        "crn": "X100001",
        "noms_number": "A1234AA",
        "pnc_number": "12/394773H",
        "cro_number": "29906/12J",
        "forename": "John",
        "middle_names": None,
        "surname": "Watts",
        "date_of_birth": date(1980, 3, 1),
        "gender": "M",
    }
    values.update(fields)
    return ProbationCase(**values)  # type: ignore[arg-type]


@pytest.fixture
def store() -> SystemStore:
    store = SystemStore("probation-wales", "PROBATION", "rest-snake", "Wales", ("N03",))
    store.add(case("1", aliases=[Alias("Johnny", "Watt")]))
    store.add(
        case(
            "2",
            crn="X100002",
            noms_number=None,
            pnc_number="2012/0052494X",  # dirt: a wrong check character
            cro_number=None,
            forename="Joanne",
            surname="Smith",
            date_of_birth=date(1990, 1, 1),
        )
    )
    return store


def test_find_short_form_pnc_by_long_form(store: SystemStore) -> None:
    assert [r.local_id for r in store.find(IdentifierKind.PNC, "2012/0394773H")] == ["1"]
    assert [r.local_id for r in store.find(IdentifierKind.PNC, " 12/394773h ")] == ["1"]


def test_find_by_other_identifiers(store: SystemStore) -> None:
    assert [r.local_id for r in store.find(IdentifierKind.CRN, "x100002")] == ["2"]
    assert [r.local_id for r in store.find(IdentifierKind.NOMS, "A1234AA")] == ["1"]
    assert [r.local_id for r in store.find(IdentifierKind.CRO, "029906/12J")] == ["1"]


def test_find_never_matches_dirt_or_garbage(store: SystemStore) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_pnc("2012/0052494X")
    assert store.find(IdentifierKind.PNC, "2012/0052494X") == []
    assert store.find(IdentifierKind.PNC, "2012/0052494Q") == []
    assert store.find(IdentifierKind.NOMS, "'; DROP TABLE--") == []
    assert store.find(IdentifierKind.CRN, "A1234AA") == []


def test_find_in_the_estate_by_long_form_finds_short_form_records(estate: Estate) -> None:
    owner = owners(estate)
    checked = 0
    for name, record in all_records(estate):
        person = owner[(name, record.local_id)]
        if "bad pnc check" in person.dirt.get(name, []):
            continue
        if record.pnc_number and not record.pnc_number[:4].isdigit():  # short form stored
            found = estate.systems[name].find(IdentifierKind.PNC, person.pnc)
            assert record in found
            checked += 1
            if checked == 50:
                break
    assert checked == 50


def test_search_by_surname_is_case_insensitive(store: SystemStore) -> None:
    assert [r.local_id for r in store.search("WATTS")] == ["1"]
    assert [r.local_id for r in store.search(" smith ")] == ["2"]
    assert store.search("Wat") == []  # the surname is not a prefix match


def test_search_matches_aliases(store: SystemStore) -> None:
    assert [r.local_id for r in store.search("Watt")] == ["1"]
    assert [r.local_id for r in store.search("watt", forename="johnny")] == ["1"]


def test_search_matches_forename_prefix(store: SystemStore) -> None:
    assert [r.local_id for r in store.search("Watts", forename="Jo")] == ["1"]
    assert [r.local_id for r in store.search("Smith", forename="jo")] == ["2"]
    assert store.search("Watts", forename="Joh n") == []
    assert store.search("Watts", forename="Ohn") == []


def test_search_filters_by_date_of_birth(store: SystemStore) -> None:
    assert [r.local_id for r in store.search("Watts", date_of_birth=date(1980, 3, 1))] == ["1"]
    assert store.search("Watts", date_of_birth=date(1980, 3, 2)) == []


def test_cro_store_value_normalises(store: SystemStore) -> None:
    record = store.records["1"]
    assert record.cro_number is not None
    assert normalise_cro(record.cro_number) == "29906/12J"
