"""gateway.identity.names: folding, name parts, phonetic codes, comparison levels, search keys."""

from __future__ import annotations

import pytest

from gateway.identity.names import NameLevel, compare, deletion_keys, fold, parts, search_keys


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Siân", "sian"),
        ("Llŷr", "llyr"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("  Smith \u2013 Jones ", "smith jones"),
        ("St. John", "st john"),
        ("ap Gwilym", "ap gwilym"),
    ],
)
def test_fold_removes_spelling_only(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_parts_of_double_barrelled_and_welsh_names() -> None:
    assert parts("Smith-Jones") == {"smithjones", "smith", "jones"}
    assert parts("ap Gwilym") == {"apgwilym", "gwilym"}
    assert parts("ferch Rhys-Owen") == {"ferchrhysowen", "rhysowen", "rhys", "owen"}
    assert parts("Brown") == {"brown"}


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Smith Jones", "SMITH-JONES", NameLevel.EXACT),
        ("Sian", "Siân", NameLevel.EXACT),
        ("OBrien", "O'Brien", NameLevel.EXACT),
        ("Jones", "Smith-Jones", NameLevel.PART),
        ("ap Gwilym", "Gwilym", NameLevel.PART),
        ("Rhys", "ferch Rhys", NameLevel.PART),
        ("Smith", "Smyth", NameLevel.PHONETIC),
        ("Stephen", "Steven", NameLevel.PHONETIC),
        ("McDonald", "MacDonald", NameLevel.PHONETIC),
        ("Smiht", "Smith", NameLevel.TYPO),  # two letters swapped
        ("Gaham", "Graham", NameLevel.TYPO),  # one dropped
        ("Grham", "Graham", NameLevel.PHONETIC),  # a dropped vowel sounds the same
        ("Wsrd", "Ward", NameLevel.TYPO),  # a neighbouring key
        ("Thompson", "Thomson", NameLevel.TYPO),
        ("Brown-Jones", "Smith-Jones", NameLevel.DIFFERENT),  # one shared barrel is not enough
        ("Ab", "Ac", NameLevel.DIFFERENT),  # too short for a typing error to tell
        ("Smith", "Jones", NameLevel.DIFFERENT),
        ("", "Jones", NameLevel.DIFFERENT),
    ],
)
def test_compare_grades_two_names(a: str, b: str, level: NameLevel) -> None:
    assert compare(a, b) is level
    assert compare(b, a) is level


def test_deletion_keys_meet_across_one_typing_error() -> None:
    assert deletion_keys("abc") == {"abc", "bc", "ac", "ab"}
    for wrong in ("smiht", "smth", "smitth", "smitg"):
        assert deletion_keys(wrong) & deletion_keys("smith"), wrong
    assert not deletion_keys("smith") & deletion_keys("jones")


def test_search_keys_meet_a_typo_a_barrel_and_a_sound() -> None:
    person = search_keys("Smith-Jones")
    assert search_keys("Jnoes") & person
    assert search_keys("Smithjones") & person
    assert search_keys("Smyth") & search_keys("Smith")
    assert not search_keys("Brown") & person
