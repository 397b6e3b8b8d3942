"""gateway.identity.dates: how alike two dates of birth are, and the key they block under."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.identity.dates import DateLevel, compare_dates, date_key


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (date(1980, 3, 4), date(1980, 3, 4), DateLevel.EXACT),
        (date(1980, 3, 4), date(1980, 4, 3), DateLevel.SWAPPED),
        (date(1980, 3, 4), date(1980, 3, 5), DateLevel.TYPO),  # a digit wrong
        (date(1980, 3, 4), date(1989, 3, 4), DateLevel.TYPO),
        (date(1985, 3, 4), date(1958, 3, 4), DateLevel.TYPO),  # two neighbouring digits swapped
        (date(1980, 3, 4), date(1981, 4, 3), DateLevel.DIFFERENT),
        (date(1980, 3, 4), date(1980, 5, 6), DateLevel.DIFFERENT),
    ],
)
def test_compare_dates(a: date, b: date, level: DateLevel) -> None:
    assert compare_dates(a, b) is level
    assert compare_dates(b, a) is level


def test_a_date_and_its_swap_share_a_key() -> None:
    assert date_key(date(1980, 3, 4)) == date_key(date(1980, 4, 3)) == "1980-03-04"
    assert date_key(date(1980, 3, 4)) != date_key(date(1980, 3, 5))
