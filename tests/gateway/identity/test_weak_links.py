"""gateway.identity.weak_links: scores with reasons, never across strong identifiers, blocking."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.records import PersonRecord
from gateway.identity import MergedPerson, group_records
from gateway.identity.weak_links import (
    OFFER_THRESHOLD,
    WEIGHTS,
    Feature,
    Level,
    Reason,
    all_possible_matches,
    possible_matches,
    profile,
    score,
)
from tests.gateway.identity.people import PNC_A, PNC_B, person, record

SMITH = record("P1", ("John", "Smith"), date(1980, 3, 4), PNC=PNC_A)


def scored(a: PersonRecord | MergedPerson, b: PersonRecord) -> float:
    found = score(profile(a), profile(b), b)
    assert found is not None
    return found.score


def reason(a: PersonRecord, b: PersonRecord, feature: Feature) -> Reason:
    found = score(profile(a), profile(b), b)
    assert found is not None
    return next(r for r in found.reasons if r.feature is feature)


def test_the_same_facts_score_everything_but_unknown_middle_names() -> None:
    same = record("C1", ("John", "Smith"), date(1980, 3, 4), region="wales")
    assert scored(SMITH, same) == pytest.approx(1 - WEIGHTS[Feature.MIDDLE_NAMES] / 2)
    assert possible_matches(SMITH, [same])[0].person is same


@pytest.mark.parametrize(
    ("name", "dob", "feature", "level"),
    [
        (("John", "Smiht"), date(1980, 3, 4), Feature.SURNAME, Level.TYPO),
        (("Jonh", "Smith"), date(1980, 3, 4), Feature.FORENAME, Level.TYPO),
        (("John", "Smyth"), date(1980, 3, 4), Feature.SURNAME, Level.PHONETIC),
        (("John", "Smith-Jones"), date(1980, 3, 4), Feature.SURNAME, Level.PART),
        (("J", "Smith"), date(1980, 3, 4), Feature.FORENAME, Level.PREFIX),
        (("John", "Smith"), date(1980, 4, 3), Feature.DATE_OF_BIRTH, Level.SWAPPED),
        (("John", "Smith"), date(1980, 3, 5), Feature.DATE_OF_BIRTH, Level.TYPO),
        (("John", "Smiht"), date(1980, 4, 3), Feature.DATE_OF_BIRTH, Level.SWAPPED),
    ],
)
def test_one_or_two_small_differences_are_offered_with_the_reason(
    name: tuple[str, str], dob: date, feature: Feature, level: Level
) -> None:
    other = record("C1", name, dob, region="wales")
    assert scored(SMITH, other) >= OFFER_THRESHOLD
    assert reason(SMITH, other, feature).level is level


def test_transposed_names_match_across_fields() -> None:
    other = record("C1", ("Smith", "John"), date(1980, 3, 4), region="wales")
    assert scored(SMITH, other) >= OFFER_THRESHOLD
    surname = reason(SMITH, other, Feature.SURNAME)
    assert (surname.level, surname.theirs, surname.their_feature) == (
        Level.EXACT,
        "Smith",
        Feature.FORENAME,
    )


def test_an_alias_matches_and_is_marked() -> None:
    other = record("C1", ("Carl", "Jones"), date(1980, 3, 4), aliases=(("John", "Smith"),))
    assert scored(SMITH, other) >= OFFER_THRESHOLD
    assert reason(SMITH, other, Feature.SURNAME).alias is True


@pytest.mark.parametrize(
    ("name", "dob", "gender"),
    [
        (("Mark", "Smith"), date(1980, 3, 4), "M"),  # a brother born the same day
        (("John", "Smith"), date(1984, 7, 21), "M"),  # a namesake
        (("John", "Smith"), None, "M"),  # nothing to tell them apart by
        (("John", "Smiht"), date(1980, 3, 5), "F"),
        (("Jonh", "Smiht"), date(1980, 3, 5), "M"),  # three typing errors
    ],
)
def test_weaker_evidence_is_not_offered(
    name: tuple[str, str], dob: date | None, gender: str
) -> None:
    other = record("C1", name, dob, region="wales", gender=gender)
    assert scored(SMITH, other) < OFFER_THRESHOLD
    assert possible_matches(SMITH, [other]) == []


def test_unknown_values_count_half_and_say_so() -> None:
    other = record("C1", ("John", "Smith"), None, gender=None)
    assert reason(SMITH, other, Feature.DATE_OF_BIRTH) == Reason(
        Feature.DATE_OF_BIRTH,
        Level.UNKNOWN,
        "1980-03-04",
        None,
        Feature.DATE_OF_BIRTH,
        False,
        WEIGHTS[Feature.DATE_OF_BIRTH] / 2,
    )
    assert reason(SMITH, other, Feature.GENDER).level is Level.UNKNOWN


def test_middle_names_count_when_both_hold_them() -> None:
    same = record("C1", middle="Paul", region="wales")
    other = record("C2", middle="Anthony", region="wales")
    mine = record("M", middle="Paul", PNC=PNC_A)
    assert reason(mine, same, Feature.MIDDLE_NAMES).level is Level.EXACT
    assert reason(mine, other, Feature.MIDDLE_NAMES).level is Level.DIFFERENT
    assert scored(mine, same) > scored(mine, other)


def test_strong_identifiers_that_disagree_are_never_a_possible_match() -> None:
    twin = record("C1", ("John", "Smith"), date(1980, 3, 4), PNC=PNC_B)
    assert score(profile(SMITH), profile(twin), twin) is None
    assert possible_matches(SMITH, [twin], threshold=0.0) == []


def test_a_shared_strong_identifier_is_a_strong_link_not_a_weak_one() -> None:
    linked = record("C1", ("Jon", "Smyth"), date(1980, 3, 4), PNC=PNC_A)
    assert possible_matches(SMITH, [linked], threshold=0.0) == []


def test_identifiers_of_different_kinds_do_not_separate() -> None:
    other = record("C1", ("John", "Smith"), date(1980, 3, 4), CRN="X123456")
    assert [m.person for m in possible_matches(SMITH, [other])] == [other]


def test_possible_matches_are_best_first_and_merged_people_use_every_record() -> None:
    merged = person(
        record("A1", ("John", "Smith"), date(1980, 3, 4), PNC=PNC_A),
        record("A2", ("Jonathan", "Smith-Evans"), date(1980, 3, 4), region="wales", PNC=PNC_A),
    )
    exact = record("C1", ("John", "Smith"), date(1980, 3, 4), region="london")
    barrel = record("C2", ("Jonathan", "Evans"), date(1980, 3, 4), region="london")
    typo = record("C3", ("John", "Smith"), date(1980, 3, 5), region="london", gender=None)
    found = possible_matches(merged, [typo, barrel, exact])
    assert [m.person for m in found] == [exact, barrel, typo]
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    barrel_surname = next(r for r in found[1].reasons if r.feature is Feature.SURNAME)
    assert (barrel_surname.ours, barrel_surname.level, barrel_surname.alias) == (
        "Smith-Evans",
        Level.PART,
        True,
    )


def twins() -> list[MergedPerson]:
    """Two people with the same name and date of birth, each known by their own PNC."""
    records = [
        record("N1", ("Gareth", "ap Gwilym"), date(1990, 6, 1), PNC=PNC_A),
        record("N2", ("Gareth", "ap Gwilym"), date(1990, 6, 1), region="wales", PNC=PNC_B),
    ]
    return [MergedPerson(tuple(g)) for g in group_records(records)]


def test_twins_are_never_merged_and_offered_only_without_a_separating_identifier() -> None:
    apart = twins()
    assert len(apart) == 2  # strong links never merge them (two PNCs)
    assert list(all_possible_matches(apart)) == []
    assert possible_matches(apart[0], [apart[1]], threshold=0.0) == []
    unknown = [
        MergedPerson((r,))
        for r in (
            record("N1", ("Gareth", "ap Gwilym"), date(1990, 6, 1), region="north-prisons"),
            record("W1", ("Gareth", "Gwilym"), date(1990, 6, 1), region="wales", CRN="X000002"),
        )
    ]
    found = list(all_possible_matches(unknown))
    assert [(a.records[0].local_id, m.person.records[0].local_id) for a, m in found] == [
        ("N1", "W1")
    ]
    assert found[0][1].score >= OFFER_THRESHOLD  # offered for an analyst, still two people


def test_all_possible_matches_finds_the_pairs_that_blocking_keys_bring_together() -> None:
    people = [
        record("1", ("John", "Smith"), date(1980, 3, 4)),
        record("2", ("John", "Smiht"), date(1980, 4, 3)),  # surname typo, day/month swap
        record("3", ("Smith", "John"), date(1980, 3, 4)),  # transposed
        record("4", ("John", "Smith"), date(1980, 3, 5)),  # a digit of the date wrong
        record("5", ("Mary", "Jones"), date(1980, 3, 4)),  # someone else born that day
        record("6", ("Jonh", "Smyth"), date(1961, 1, 1)),  # names alike, another date
    ]
    pairs = {(a.local_id, m.person.local_id) for a, m in all_possible_matches(people)}
    assert pairs == {("1", "2"), ("1", "3"), ("1", "4"), ("2", "3"), ("3", "4")}
