"""Offender identifiers of England and Wales: parsing, normalising and check characters.

A person is a set of identifiers, not one key (see docs/domain.md). Every identifier that enters the
gateway, from a client or from a regional system, goes through :func:`parse_identifier` so that two
spellings of the same PNC number (``12/394773H`` and ``2012/0394773H``) compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # Z = 0; no I, O or S

_NOMS = re.compile(r"^[A-Z][0-9]{4}[A-Z]{2}$")
_CRN = re.compile(r"^[A-Z][0-9]{6}$")
_PNC = re.compile(r"^([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])$")
_CRO = re.compile(r"^([0-9]{1,6})/([0-9]{2})([A-Z])$")
PNC_YEARS = range(1900, 2100)


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
    if year not in PNC_YEARS:
        raise InvalidIdentifier(f"'{raw}' is not a PNC number: {year} is not a plausible year")
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

    With ``kind`` the value must be of that kind; without it the format decides. Some strings fit
    both the PNC and the CRO format (``1032/12Z``): the first kind whose check character holds wins,
    PNC before CRO.
    """
    text = raw.strip().upper()
    first_error: InvalidIdentifier | None = None
    for candidate in [kind] if kind else list(IdentifierKind):
        try:
            parsed = _parse_as(candidate, text)
        except InvalidIdentifier as exc:
            first_error = first_error or exc
            continue
        if parsed is not None:
            return parsed
    if first_error is not None:
        raise first_error
    if kind:
        raise InvalidIdentifier(f"'{raw}' is not a valid {kind} identifier")
    raise InvalidIdentifier(
        f"'{raw}' is not a recognised identifier: expected a NOMS number (A1234AA), "
        "a CRN (X123456), a PNC number (2012/0394773H or 12/394773H) or a CRO number (29906/12J)"
    )


def _parse_as(kind: IdentifierKind, text: str) -> Identifier | None:
    """The identifier if ``text`` has the format of ``kind`` (None if not); a format that fits
    with a wrong check character raises :class:`InvalidIdentifier`."""
    if kind is IdentifierKind.NOMS:
        return Identifier(kind, text) if _NOMS.match(text) else None
    if kind is IdentifierKind.CRN:
        return Identifier(kind, text) if _CRN.match(text) else None
    if kind is IdentifierKind.PNC:
        return Identifier(kind, normalise_pnc(text)) if _PNC.match(text) else None
    return Identifier(kind, normalise_cro(text)) if _CRO.match(text) else None


def try_parse_identifier(raw: str | None, kind: IdentifierKind) -> Identifier | None:
    """Normalise an identifier read from a regional system; dirty or empty values become None."""
    if not raw or not raw.strip():
        return None
    try:
        return parse_identifier(raw, kind)
    except InvalidIdentifier:
        return None
