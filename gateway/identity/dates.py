"""Dates of birth as comparable values: the same, day and month swapped, or one digit wrong."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from rapidfuzz.distance import OSA


class DateLevel(StrEnum):
    """How alike two dates of birth are, best first."""

    EXACT = "EXACT"
    SWAPPED = "SWAPPED"  # day and month swapped (03/04 for 04/03)
    TYPO = "TYPO"  # one digit of YYYYMMDD wrong, or two neighbouring digits swapped
    DIFFERENT = "DIFFERENT"


def compare_dates(a: date, b: date) -> DateLevel:
    if a == b:
        return DateLevel.EXACT
    if a.year == b.year and (a.day, a.month) == (b.month, b.day):
        return DateLevel.SWAPPED
    if OSA.distance(_digits(a), _digits(b), score_cutoff=1) <= 1:
        return DateLevel.TYPO
    return DateLevel.DIFFERENT


def date_key(value: date) -> str:
    """A blocking key that a date and its day/month swap share."""
    low, high = sorted((value.day, value.month))
    return f"{value.year:04d}-{low:02d}-{high:02d}"


def _digits(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"
