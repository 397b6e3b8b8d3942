"""gateway.identity.name_match: a name query against names and aliases, ranked with reasons."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.records import PersonName
from gateway.identity.name_match import (
    FieldMatch,
    How,
    MatchKind,
    NameIndex,
    NameQuery,
    match,
    rank,
)
from tests.gateway.identity.people import person, record

JOHN_SMITH = record("P1", ("John", "Smith"), aliases=(("Jon", "Brown"),))


def test_the_primary_name_spelt_the_same_is_exact_and_says_which_fields() -> None:
    found = match(NameQuery("SMITH", "jo"), JOHN_SMITH)
    assert found is not None
    assert (found.kind, found.alias, found.transposed) == (MatchKind.EXACT, False, False)
    assert found.name == PersonName("John", "Smith")
    assert found.fields == (
        FieldMatch("surname", "surname", How.EXACT, "SMITH", "Smith"),
        FieldMatch("forename", "forename", How.PREFIX, "jo", "John"),
    )


def test_an_alias_matches_as_alias() -> None:
    found = match(NameQuery("Brown", "Jon"), JOHN_SMITH)
    assert found is not None
    assert (found.kind, found.alias, found.name) == (
        MatchKind.ALIAS,
        True,
        PersonName("Jon", "Brown"),
    )


def test_a_phonetic_variant_and_a_barrel_match_as_phonetic() -> None:
    smyth = match(NameQuery("Smyth"), JOHN_SMITH)
    assert smyth is not None and smyth.kind is MatchKind.PHONETIC
    assert smyth.fields[0].how is How.PHONETIC
    barrel = match(NameQuery("Jones"), record("P2", ("Sian", "Smith-Jones")))
    assert barrel is not None and barrel.kind is MatchKind.PHONETIC
    assert barrel.fields[0].how is How.PART


@pytest.mark.parametrize(
    ("typed", "how"),
    [
        ("Smtih", How.TYPO),  # two letters swapped
        ("Smiht", How.TYPO),
        ("Smit", How.TYPO),  # one dropped
        ("Smitj", How.TYPO),  # a neighbouring key
        ("Simth", How.PHONETIC),  # a typing error that still sounds the same ranks higher
        ("Smmith", How.PHONETIC),  # a doubled letter
    ],
)
def test_one_typing_error_in_the_surname_matches_fuzzy_or_better(typed: str, how: How) -> None:
    found = match(NameQuery(typed, "John"), JOHN_SMITH)
    assert found is not None
    assert found.kind is (MatchKind.FUZZY if how is How.TYPO else MatchKind.PHONETIC)
    assert found.fields[0] == FieldMatch("surname", "surname", how, typed, "Smith")


def test_two_typing_errors_do_not_match() -> None:
    assert match(NameQuery("Smtoh"), JOHN_SMITH) is None


def test_transposed_forename_and_surname_match_as_fuzzy_across_fields() -> None:
    found = match(NameQuery("John", "Smith"), JOHN_SMITH)
    assert found is not None
    assert (found.kind, found.transposed) == (MatchKind.FUZZY, True)
    assert [(f.field, f.matched) for f in found.fields] == [
        ("surname", "forename"),
        ("forename", "surname"),
    ]


def test_a_different_forename_or_date_of_birth_does_not_match() -> None:
    assert match(NameQuery("Smith", "Mark"), JOHN_SMITH) is None
    assert match(NameQuery("Smith", date_of_birth=date(1990, 1, 1)), JOHN_SMITH) is None
    assert match(NameQuery("Smith", date_of_birth=date(1980, 3, 4)), record("P3", dob=None)) is None


def test_a_near_date_of_birth_matches_as_fuzzy() -> None:
    found = match(NameQuery("Smith", date_of_birth=date(1980, 4, 3)), JOHN_SMITH)
    assert found is not None and found.kind is MatchKind.FUZZY
    assert found.fields[-1] == FieldMatch(
        "date_of_birth", "date_of_birth", How.SWAPPED, "1980-04-03", "1980-03-04"
    )
    exact = match(NameQuery("Smith", date_of_birth=date(1980, 3, 4)), JOHN_SMITH)
    assert exact is not None and exact.kind is MatchKind.EXACT


def test_rank_orders_exact_alias_phonetic_fuzzy_whatever_the_input_order() -> None:
    fuzzy = record("F", ("John", "Smitj"))
    phonetic = record("P", ("John", "Smyth"))
    alias = record("A", ("John", "Jones"), aliases=(("John", "Smith"),))
    exact = record("E", ("John", "Smith"))
    unrelated = record("U", ("John", "Brown"))
    ranked = rank(NameQuery("Smith", "John"), [fuzzy, unrelated, phonetic, alias, exact])
    assert [p.local_id for p, _ in ranked] == ["E", "A", "P", "F"]
    assert [m.kind for _, m in ranked] == list(MatchKind)


def test_rank_within_a_kind_by_score_then_input_order() -> None:
    added = record("D", ("John", "Smithk"))  # closer to Smith (Jaro-Winkler) than Smiht
    swapped_a, swapped_b = record("T1", ("John", "Smiht")), record("T2", ("John", "Smiht"))
    ranked = rank(NameQuery("Smith"), [swapped_b, added, swapped_a])
    assert [m.kind for _, m in ranked] == [MatchKind.FUZZY] * 3
    assert [p.local_id for p, _ in ranked] == ["D", "T2", "T1"]
    assert ranked[0][1].score > ranked[1][1].score == ranked[2][1].score


def test_merged_people_match_on_every_region_spelling() -> None:
    merged = person(
        record("A1", ("John", "Smith"), PNC="2012/0394773H"),
        record("A2", ("John", "Smith"), region="wales", PNC="2012/0394773H"),
        record("A3", ("Jon", "Smyth-Evans"), region="london", PNC="2012/0394773H"),
    )
    found = match(NameQuery("Evans", "Jon"), merged)
    assert found is not None
    assert (found.kind, found.alias, found.name.surname) == (
        MatchKind.PHONETIC,
        True,
        "Smyth-Evans",
    )


def test_the_index_finds_typos_and_transpositions_without_the_others() -> None:
    people = [
        record("1", ("John", "Smith")),
        record("2", ("Mary", "Jones")),
        record("3", ("Carl", "Graham")),
        record("4", ("Smith", "John")),
    ]
    index = NameIndex(people)
    assert len(index) == 4
    assert [p.local_id for p in index.candidates(NameQuery("Smiht"))] == ["1"]
    found = index.search(NameQuery("Smith", "John"))
    assert [(p.local_id, m.transposed) for p, m in found] == [("1", False), ("4", True)]
    assert [p.local_id for p, _ in index.search(NameQuery("Grahm", "C"))] == ["3"]


def test_a_query_without_a_surname_is_refused() -> None:
    with pytest.raises(ValueError, match="surname"):
        NameQuery(" -' ")
