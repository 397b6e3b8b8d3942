"""Offender identifiers of England and Wales: parsing, normalising and check characters.

A person is a set of identifiers, not one key (see DOMAIN.md). Every identifier that enters the
gateway, from a client or from a regional system, goes through :func:`parse_identifier` so that two
spellings of the same PNC number (``12/394773H`` and ``2012/0394773H``) compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # Z = 0; no I, O or S

_NOMS = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$")
_CRN = re.compile(r"^[A-Z]\d{6}$")
_PNC = re.compile(r"^(\d{2}|\d{4})/(\d{1,7})([A-Z])$")
_CRO = re.compile(r"^(\d{1,6})/(\d{2})([A-Z])$")


class IdentifierKind(StrEnum):
    """The strong identifiers the gateway links records by."""

    NOMS = "NOMS"
    CRN = "CRN"
    PNC = "PNC"
    CRO = "CRO"


class InvalidIdentifier(ValueError):
    """A value that is not a well-formed identifier; the message says what was expected."""


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    """A normalised identifier: ``kind`` and its canonical ``value``."""

    kind: IdentifierKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def expand_year(two_digits: str) -> int:
    """Expand a two-digit PNC year: 39-99 are 19xx, the rest 20xx."""
    year = int(two_digits)
    return 1900 + year if year >= 39 else 2000 + year


def pnc_check_character(year: int, serial: int) -> str:
    """The PNC check character for a year (any form) and serial number."""
    return CHECK_ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]


def cro_check_character(year: int, serial: int) -> str:
    """The CRO check character for a two-digit year and serial number."""
    return CHECK_ALPHABET[int(f"{year % 100:02d}{serial:06d}") % 23]


def format_pnc(year: int, serial: int) -> str:
    """The canonical long form ``YYYY/NNNNNNNC``."""
    return f"{year:04d}/{serial:07d}{pnc_check_character(year, serial)}"


def format_pnc_short(year: int, serial: int) -> str:
    """The short form ``YY/NNNNNNC`` (serial without zero padding), as some systems store it."""
    return f"{year % 100:02d}/{serial}{pnc_check_character(year, serial)}"


def format_cro(year: int, serial: int) -> str:
    """The canonical CRO form ``NNNNNN/YYC``."""
    return f"{serial}/{year % 100:02d}{cro_check_character(year, serial)}"


def normalise_pnc(raw: str) -> str:
    """Canonical long-form PNC number, or :class:`InvalidIdentifier` naming what is wrong."""
    match = _PNC.match(raw.strip().upper())
    if not match:
        raise InvalidIdentifier(
            f"'{raw}' is not a PNC number: expected YYYY/NNNNNNNC or YY/NNNNNNC, e.g. 2012/0394773H"
        )
    year_text, serial_text, check = match.groups()
    year = expand_year(year_text) if len(year_text) == 2 else int(year_text)
    serial = int(serial_text)
    expected = pnc_check_character(year, serial)
    if check != expected:
        raise InvalidIdentifier(
            f"'{raw}' has PNC check character {check}, but {year:04d}/{serial:07d} needs {expected}"
        )
    return format_pnc(year, serial)


def normalise_cro(raw: str) -> str:
    """Canonical CRO number, or :class:`InvalidIdentifier`."""
    match = _CRO.match(raw.strip().upper())
    if not match:
        raise InvalidIdentifier(f"'{raw}' is not a CRO number: expected NNNNNN/YYC, e.g. 29906/12J")
    serial_text, year_text, check = match.groups()
    serial, year = int(serial_text), int(year_text)
    expected = cro_check_character(year, serial)
    if check != expected:
        raise InvalidIdentifier(f"'{raw}' has CRO check character {check}; expected {expected}")
    return format_cro(year, serial)


def parse_identifier(raw: str, kind: IdentifierKind | None = None) -> Identifier:
    """Recognise and normalise a NOMS number, CRN, PNC or CRO number.

    With ``kind`` the value must be of that kind; without it the format decides.
    """
    text = raw.strip().upper()
    candidates = [kind] if kind else list(IdentifierKind)
    for candidate in candidates:
        if candidate is IdentifierKind.NOMS and _NOMS.match(text):
            return Identifier(candidate, text)
        if candidate is IdentifierKind.CRN and _CRN.match(text):
            return Identifier(candidate, text)
        if candidate is IdentifierKind.PNC and _PNC.match(text):
            return Identifier(candidate, normalise_pnc(text))
        if candidate is IdentifierKind.CRO and _CRO.match(text):
            return Identifier(candidate, normalise_cro(text))
    if kind:
        raise InvalidIdentifier(f"'{raw}' is not a valid {kind} identifier")
    raise InvalidIdentifier(
        f"'{raw}' is not a recognised identifier: expected a NOMS number (A1234AA), "
        "a CRN (X123456), a PNC number (2012/0394773H or 12/394773H) or a CRO number (29906/12J)"
    )


def try_parse_identifier(raw: str | None, kind: IdentifierKind) -> Identifier | None:
    """Normalise an identifier read from a regional system; dirty or empty values become None."""
    if not raw or not raw.strip():
        return None
    try:
        return parse_identifier(raw, kind)
    except InvalidIdentifier:
        return None
