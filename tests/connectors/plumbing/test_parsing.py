"""Date and name helpers: each format regions use, and the error naming the field."""

from __future__ import annotations

import re
from datetime import date

import pytest

from connectors.parsing import (
    COMPACT,
    ISO,
    ISO_DATETIME,
    UK,
    display_name,
    opt_date,
    parse_date,
    split_name,
)
from connectors.payload import DateFormat, PayloadError
from connectors.records import PersonName


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("1984-03-19", ISO),
        ("19/03/1984", UK),
        ("19840319", COMPACT),
        (" 19840319 ", COMPACT),
        ("1984-03-19T00:00:00+01:00", ISO_DATETIME),
        ("1984-03-19T23:30:00-05:00", ISO_DATETIME),
        ("1984-03-19T08:15:00.123Z", ISO_DATETIME),
        ("1984-03-19T08:15:00", ISO_DATETIME),
    ],
)
def test_each_format_reads_the_date_as_written(value: str, fmt: DateFormat) -> None:
    assert parse_date(value, "dob", fmt) == date(1984, 3, 19)


@pytest.mark.parametrize(
    ("value", "fmt", "problem"),
    [
        ("19/03/1984", ISO, "not a date (yyyy-MM-dd)"),
        ("1984-03-19", UK, "not a date (dd/MM/yyyy)"),
        ("1984319", COMPACT, "not a date (yyyyMMdd)"),
        ("19840230", COMPACT, "not a real date"),
        ("31/04/1984", UK, "not a real date"),
        ("1984-03-19T25:00:00+01:00", ISO_DATETIME, "not a real date"),
        ("1984-03-19", ISO_DATETIME, "not a date"),
        ("", ISO, "missing"),
        (19840319, COMPACT, "missing"),
    ],
)
def test_a_bad_date_names_the_field_not_the_value(
    value: object, fmt: DateFormat, problem: str
) -> None:
    with pytest.raises(PayloadError, match=re.escape(problem)) as caught:
        parse_date(value, "DOB", fmt)
    assert "'DOB'" in str(caught.value)
    assert str(value) not in str(caught.value) or not str(value)


def test_optional_dates() -> None:
    assert opt_date(None, "dob", ISO) is None
    assert opt_date("  ", "dob", ISO) is None
    assert opt_date("1984-03-19", "dob", ISO) == date(1984, 3, 19)
    with pytest.raises(PayloadError, match="'dob'"):
        opt_date("soon", "dob", ISO)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("SMITH", "Smith"),
        ("o'brien", "O'Brien"),
        ("SMITH-JONES", "Smith-Jones"),
        ("MARY  ANNE", "Mary Anne"),
        ("ÉLODIE", "Élodie"),
        ("McDonald", "McDonald"),
        ("DE LA CRUZ", "De La Cruz"),
        ("de la Cruz", "de la Cruz"),
        ("van der Berg-O'Neill", "van der Berg-O'Neill"),
    ],
)
def test_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_split_name_surname_first() -> None:
    assert split_name("SMITH-JONES, MARY ANNE LOUISE", "name") == PersonName(
        forename="Mary", surname="Smith-Jones", middle_names="Anne Louise"
    )
    assert split_name("O'BRIEN,  Sean", "name") == PersonName("Sean", "O'Brien")


@pytest.mark.parametrize("value", ["SMITH JOHN", "SMITH,", ", JOHN", "", None, 7])
def test_split_name_refuses_what_is_not_a_name(value: object) -> None:
    with pytest.raises(PayloadError, match="field 'FULL_NAME'") as caught:
        split_name(value, "FULL_NAME")
    assert "JOHN" not in str(caught.value)
