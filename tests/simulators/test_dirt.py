"""The dirt of simulators/dirt.py: each kind at its documented rate, and what the truth says of it
is what the records hold."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from connectors.identifiers import IdentifierKind, try_parse_identifier
from simulators import dirt, names
from simulators.stores import ProbationCase
from simulators.truth import Estate, TruePerson


def labels(estate: Estate) -> Counter[str]:
    return Counter(x for p in estate.people.values() for found in p.dirt.values() for x in found)


def records(estate: Estate) -> int:
    return sum(len(store.records) for store in estate.systems.values())


def edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance, written out here (independent of the generator)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@pytest.mark.parametrize(
    ("label", "rate"),
    [
        ("dob typo", dirt.DOB_TYPO_RATE),
        ("transposed", dirt.TRANSPOSED_RATE),
    ],
)
def test_per_record_dirt_comes_at_its_rate(estate: Estate, label: str, rate: float) -> None:
    assert 0.6 * rate <= labels(estate)[label] / records(estate) <= 1.4 * rate


def test_name_typos_come_at_their_rate_mostly_in_the_surname(estate: Estate) -> None:
    found = labels(estate)
    typos = found["surname typo"] + found["forename typo"]
    assert 0.6 * dirt.NAME_TYPO_RATE <= typos / records(estate) <= 1.4 * dirt.NAME_TYPO_RATE
    assert found["surname typo"] > found["forename typo"]


def test_records_without_identifiers_are_custody_records(estate: Estate) -> None:
    custody = [(p, s) for p in estate.people.values() for s in p.slices if s.startswith("prison-")]
    bare = [(p, s) for p, s in custody if "no identifier" in p.dirt.get(s, [])]
    assert (
        0.6 * dirt.NO_IDENTIFIER_RATE <= len(bare) / len(custody) <= 1.4 * dirt.NO_IDENTIFIER_RATE
    )
    mapped = {(r.region, r.local_id): r for r in estate.person_records()}
    for person, system in bare:
        record = estate.systems[system].records[person.slices[system]]
        assert (record.noms_number, record.pnc_number, record.cro_number) == (None, None, None)
        assert mapped[(system, record.local_id)].identifiers == ()


def test_a_bad_check_character_drops_only_the_pnc(estate: Estate) -> None:
    checked = 0
    for person in estate.people.values():
        for system, local_id in person.slices.items():
            if "bad pnc check" in person.dirt.get(system, []):
                record = estate.systems[system].records[local_id]
                assert try_parse_identifier(record.pnc_number, IdentifierKind.PNC) is None
                year, serial = person.pnc[:-1].split("/")
                assert record.pnc_number[:-1] in (person.pnc[:-1], f"{year[2:]}/{int(serial)}")
                checked += 1
    assert checked > 0.6 * dirt.BAD_CHECK_RATE * records(estate)


def test_a_typing_error_is_one_edit_away_from_the_true_name(estate: Estate) -> None:
    for person in estate.people.values():
        for system, local_id in person.slices.items():
            found = person.dirt.get(system, [])
            record = estate.systems[system].records[local_id]
            if "surname typo" in found and not {"transposed", "spaced surname"} & set(found):
                true = person.surname
                if "no diacritics" in found:
                    true = names.without_diacritics(true)
                other = names.spelling_variant(true, names.SURNAME_VARIANTS)  # 5% of cases
                assert 1 in (edits(record.surname, true), edits(record.surname, other))


def test_typing_errors_of_each_kind() -> None:
    rng = random.Random(1)
    assert names.typing_error("Watson", "doubled", rng) in {
        "Waatson",
        "Wattson",
        "Watsson",
        "Watsoon",
        "Watsonn",
    }
    dropped = names.typing_error("Watson", "dropped", rng)
    assert len(dropped) == 5 and edits(dropped, "Watson") == 1
    swapped = names.typing_error("Watson", "swapped", rng)
    assert sorted(swapped) == sorted("Watson") and edits(swapped, "Watson") == 1
    near = names.typing_error("Watson", "neighbouring key", rng)
    changed = [(a, b) for a, b in zip(near, "Watson", strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0] in names.neighbours(changed[0][1])
    assert names.neighbours("g") == "fh" and names.neighbours("Q") == "W"


def test_a_mistyped_date_is_another_real_date_one_digit_or_a_swap_away() -> None:
    rng = random.Random(3)
    born = date(1984, 3, 11)
    for _ in range(200):
        typed = dirt.mistyped_date(born, rng)
        assert typed != born
        a, b = born.strftime("%d%m%Y"), typed.strftime("%d%m%Y")
        swapped = (typed.day, typed.month, typed.year) == (born.month, born.day, born.year)
        assert swapped or sum(x != y for x, y in zip(a, b, strict=True)) == 1


def test_welsh_and_double_barrelled_names_are_there_spelled_both_ways(estate: Estate) -> None:
    people = list(estate.people.values())
    welsh = [p for p in people if p.surname in names.WELSH_SURNAMES]
    barrelled = [p for p in people if "-" in p.surname]
    for group, rate in ((welsh, dirt.WELSH_RATE), (barrelled, dirt.DOUBLE_BARRELLED_RATE)):
        assert 0.5 * rate <= len(group) / len(people) <= 1.5 * rate
    stored = {r.forename for s in estate.systems.values() for r in s.records.values()}
    assert {"Llŷr", "Llyr"} <= stored or {"Siân", "Sian"} <= stored
    surnames = {r.surname for s in estate.systems.values() for r in s.records.values()}
    spaced = [p.surname for p in barrelled if p.surname.replace("-", " ") in surnames]
    assert spaced and all(
        p.surname in surnames or p.surname.replace("-", " ") in surnames
        for p in barrelled
        if p.slices
    )


def test_true_twins_share_surname_and_birth_date_but_no_identifier(estate: Estate) -> None:
    twins = [p for p in estate.people.values() if p.twin_of]
    assert 0.5 * dirt.TWIN_RATE * len(estate.people) <= len(twins)
    same_forename = 0
    for person in twins:
        sibling = estate.people[person.twin_of or 0]
        assert (person.surname, person.date_of_birth) == (sibling.surname, sibling.date_of_birth)
        assert person.pnc != sibling.pnc and person.person_id > sibling.person_id
        assert person.noms is None or person.noms != sibling.noms
        same_forename += person.forename == sibling.forename
    assert same_forename < len(twins)  # mostly another forename


def test_merged_identifiers_are_in_the_truth_and_stale_copies_in_other_records(
    estate: Estate,
) -> None:
    people = list(estate.people.values())
    noms_merged = [p for p in people if p.retired_noms]
    crn_merged = [p for p in people if p.retired_crns]
    assert noms_merged and crn_merged
    for person in noms_merged + crn_merged:
        for retired, survivor in {**person.retired_noms, **person.retired_crns}.items():
            assert survivor in (person.noms, person.crn) and retired != survivor
            holders = [
                r
                for s in estate.systems.values()
                for r in s.records.values()
                if retired in (r.noms_number, getattr(r, "crn", None))
            ]
            assert all(r.local_id in person.slices.values() for r in holders)
            assert all(isinstance(r, ProbationCase) for r in holders)  # never the prison's own


def test_a_namesakes_noms_number_on_a_case_is_the_other_persons(estate: Estate) -> None:
    found: list[TruePerson] = [
        p for p in estate.people.values() if any("namesake noms" in d for d in p.dirt.values())
    ]
    assert found
    for person in found:
        namesake = estate.people[person.namesake_of or 0]
        held = {estate.systems[s].records[i].noms_number for s, i in person.slices.items()}
        assert namesake.noms in held
