"""connectors.identifiers: formats, check characters and normalisation (docs/domain.md)."""

from __future__ import annotations

import random
import re

import pytest

from connectors.identifiers import (
    CHECK_ALPHABET,
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    expand_year,
    format_cro,
    format_pnc,
    format_pnc_short,
    normalise_cro,
    normalise_pnc,
    parse_identifier,
    try_parse_identifier,
)

NOMS, CRN = IdentifierKind.NOMS, IdentifierKind.CRN
PNC, CRO = IdentifierKind.PNC, IdentifierKind.CRO

# The check rule written out again from docs/domain.md, independently of the module under test.
ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"


def pnc_check(year: int, serial: int) -> str:
    return ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]


def cro_check(year: int, serial: int) -> str:
    return ALPHABET[int(f"{year % 100:02d}{serial:06d}") % 23]


def other_letter(letter: str) -> str:
    return next(c for c in ALPHABET if c != letter)


# ---- docs/domain.md's worked examples ---------------------------------------------------------
def test_alphabet_is_the_domain_alphabet() -> None:
    assert CHECK_ALPHABET == ALPHABET
    assert len(ALPHABET) == 23
    assert not set("IOS") & set(ALPHABET)


def test_independent_rule_agrees_with_domain_examples() -> None:
    assert pnc_check(2012, 394773) == "H"
    assert pnc_check(2012, 52494) == "Q"
    assert cro_check(12, 29906) == "J"


def test_domain_long_pnc_is_valid() -> None:
    assert parse_identifier("2012/0394773H") == Identifier(PNC, "2012/0394773H")


def test_domain_short_pnc_normalises_to_long_form() -> None:
    assert parse_identifier("12/394773H") == Identifier(PNC, "2012/0394773H")
    assert normalise_pnc("12/394773H") == "2012/0394773H"


def test_domain_second_pnc_example_is_valid() -> None:
    assert normalise_pnc("2012/0052494Q") == "2012/0052494Q"


def test_wrong_check_character_is_rejected_naming_the_expected_one() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier("2012/0052494X")
    message = str(caught.value)
    assert "2012/0052494X" in message
    assert re.search(r"\bQ\b", message), message  # the character it should have been


def test_domain_cro_is_valid() -> None:
    assert parse_identifier("29906/12J") == Identifier(CRO, "29906/12J")


def test_cro_wrong_check_character_names_the_expected_one() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_cro("29906/12K")
    assert re.search(r"\bJ\b", str(caught.value))


def test_cro_spellings_with_and_without_zero_padding_are_equal() -> None:
    assert parse_identifier("029906/12J") == parse_identifier("29906/12J")


def test_long_pnc_without_zero_padding_is_the_same_number() -> None:
    assert normalise_pnc("2012/394773H") == "2012/0394773H"


# ---- short-year expansion ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("two_digits", "year"),
    [("39", 1939), ("40", 1940), ("75", 1975), ("99", 1999), ("00", 2000), ("38", 2038)],
)
def test_expand_year(two_digits: str, year: int) -> None:
    assert expand_year(two_digits) == year


@pytest.mark.parametrize(("yy", "century"), [(39, 1900), (99, 1900), (38, 2000), (0, 2000)])
def test_short_pnc_expands_to_the_right_century(yy: int, century: int) -> None:
    serial = 123456
    short = f"{yy:02d}/{serial}{pnc_check(yy, serial)}"
    assert normalise_pnc(short) == f"{century + yy}/{serial:07d}{pnc_check(yy, serial)}"


# ---- NOMS and CRN formats ----------------------------------------------------------------------
@pytest.mark.parametrize("value", ["A1234AA", "G0000ZZ", "Z9999XY"])
def test_noms_numbers(value: str) -> None:
    assert parse_identifier(value) == Identifier(NOMS, value)
    assert parse_identifier(value, NOMS) == Identifier(NOMS, value)


@pytest.mark.parametrize("value", ["X777776", "A000000", "D123456"])
def test_crns(value: str) -> None:
    assert parse_identifier(value) == Identifier(CRN, value)


@pytest.mark.parametrize(
    "value",
    ["A1234A", "A12345AA", "11234AA", "AA234AA", "A1234A1", "X77777", "XX77777", "X7777766"],
)
def test_near_misses_are_not_identifiers(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_identifier(value)


def test_kind_is_enforced_when_given() -> None:
    with pytest.raises(InvalidIdentifier, match="CRN"):
        parse_identifier("A1234AA", CRN)
    with pytest.raises(InvalidIdentifier, match="NOMS"):
        parse_identifier("X777776", NOMS)


def test_kind_given_still_checks_the_check_character() -> None:
    with pytest.raises(InvalidIdentifier, match=r"\bQ\b"):
        parse_identifier("2012/0052494X", PNC)


# ---- case and whitespace -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a1234aa ", Identifier(NOMS, "A1234AA")),
        ("\tx777776\n", Identifier(CRN, "X777776")),
        (" 2012/0394773h", Identifier(PNC, "2012/0394773H")),
        ("12/394773h  ", Identifier(PNC, "2012/0394773H")),
        ("29906/12j", Identifier(CRO, "29906/12J")),
    ],
)
def test_case_and_surrounding_whitespace_are_normalised(raw: str, expected: Identifier) -> None:
    assert parse_identifier(raw) == expected


def test_identifier_str_names_kind_and_value() -> None:
    assert str(Identifier(PNC, "2012/0394773H")) == "PNC:2012/0394773H"


# ---- garbage gets a helpful message ------------------------------------------------------------
GARBAGE = [
    "",
    "   ",
    "'; DROP TABLE offenders; --",
    "A1234AA' OR '1'='1",
    "x" * 10_000,
    "9" * 10_000 + "/12J",
    "Ａ1234ＡＡ",  # fullwidth letters  # noqa: RUF001
    "Ä1234AA",
    "🦀🦀🦀",
    "2012/0394773H\x00",
]


@pytest.mark.parametrize("raw", GARBAGE, ids=lambda raw: repr(raw[:20]))
def test_garbage_raises_invalid_identifier_saying_what_was_expected(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(raw)
    message = str(caught.value)
    for kind in ("NOMS", "CRN", "PNC", "CRO"):
        assert kind in message
    assert "A1234AA" in message and "29906/12J" in message  # examples of the formats


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        "A\u0661\u0662\u0663\u0664AA",  # Arabic-Indic digits
        "X\u0661\u0662\u0663\u0664\u0665\u0666",
    ],
)
def test_non_ascii_digits_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_identifier(raw)


# ---- try_parse_identifier ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (None, PNC),
        ("", NOMS),
        ("   ", CRN),
        ("garbage", CRO),
        ("2012/0052494X", PNC),  # wrong check character
        ("29906/12K", CRO),
        ("A1234AA", CRN),  # right format, wrong kind
        ("n/a", NOMS),
    ],
)
def test_try_parse_returns_none_for_dirt(raw: str | None, kind: IdentifierKind) -> None:
    assert try_parse_identifier(raw, kind) is None


def test_try_parse_normalises_clean_values() -> None:
    assert try_parse_identifier(" 12/394773h ", PNC) == Identifier(PNC, "2012/0394773H")
    assert try_parse_identifier("a1234aa", NOMS) == Identifier(NOMS, "A1234AA")


# ---- property-style round trips ----------------------------------------------------------------
def _pairs(count: int, max_serial: int) -> list[tuple[int, int]]:
    rng = random.Random(1234)
    pairs = [(rng.randint(1939, 2038), rng.randint(0, max_serial)) for _ in range(count)]
    return [*pairs, (1939, 0), (2038, max_serial), (1999, 1), (2000, 1)]


def test_format_pnc_round_trips_and_matches_the_domain_rule() -> None:
    for year, serial in _pairs(2000, 9_999_999):
        long_form = format_pnc(year, serial)
        assert long_form == f"{year}/{serial:07d}{pnc_check(year, serial)}"
        assert parse_identifier(long_form) == Identifier(PNC, long_form)
        wrong = long_form[:-1] + other_letter(long_form[-1])
        with pytest.raises(InvalidIdentifier):
            parse_identifier(wrong)


def test_format_pnc_short_normalises_to_the_long_form() -> None:
    for year, serial in _pairs(2000, 9_999_999):
        short = format_pnc_short(year, serial)
        assert short == f"{year % 100:02d}/{serial}{pnc_check(year, serial)}"
        assert parse_identifier(short) == Identifier(PNC, format_pnc(year, serial))


def test_format_cro_round_trips_and_matches_the_domain_rule() -> None:
    for year, serial in _pairs(2000, 999_999):
        cro = format_cro(year, serial)
        assert cro == f"{serial}/{year % 100:02d}{cro_check(year, serial)}"
        assert parse_identifier(cro, CRO) == Identifier(CRO, cro)
        assert normalise_cro(cro) == cro
        wrong = cro[:-1] + other_letter(cro[-1])
        with pytest.raises(InvalidIdentifier):
            parse_identifier(wrong, CRO)


def test_cro_with_five_or_six_digit_serial_is_recognised_without_a_kind() -> None:
    for year, serial in _pairs(500, 999_999):
        if serial >= 10_000:
            cro = format_cro(year, serial)
            assert parse_identifier(cro) == Identifier(CRO, cro)


# A CRO number whose serial has 2 or 4 digits also has the shape of a PNC number (YY/N..C or
# YYYY/N..C); parse_identifier must still recognise them.
AMBIGUOUS_CROS = [
    f"7855/53{cro_check(53, 7855)}",  # 4-digit serial, not a valid PNC: rejected
    f"1032/12{cro_check(12, 1032)}",  # 4-digit serial, also passes the PNC check: misread
    f"53/12{cro_check(12, 53)}",  # 2-digit serial
]


@pytest.mark.parametrize("cro", AMBIGUOUS_CROS)
def test_cro_with_pnc_shaped_serial_is_recognised_without_a_kind(cro: str) -> None:
    assert normalise_cro(cro) == cro  # a valid CRO number by the domain rule
    assert parse_identifier(cro) == Identifier(CRO, cro)


def test_domain_examples_come_out_of_the_formatters() -> None:
    assert format_pnc(2012, 394773) == "2012/0394773H"
    assert format_pnc_short(2012, 394773) == "12/394773H"
    assert format_pnc(2012, 52494) == "2012/0052494Q"
    assert format_cro(2012, 29906) == "29906/12J"
