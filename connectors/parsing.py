"""Dates and names as regions write them, read strictly: a bad value raises :class:`PayloadError`
naming the field (never the value, which may be personal data).

```python
parse_date("19/03/1984", "DOB", UK)                  # date(1984, 3, 19)
parse_date("19840319", "dob", COMPACT)               # date(1984, 3, 19)
parse_date("1984-03-19T00:00:00+01:00", "born", ISO_DATETIME)  # date(1984, 3, 19), as written
split_name("SMITH-JONES, MARY ANNE", "name")         # PersonName("Mary", "Smith-Jones", "Anne")
display_name("O'BRIEN")                              # "O'Brien"
```
"""

from __future__ import annotations

import re
from datetime import date, datetime

from connectors.payload import ISO, UK, DateFormat, PayloadError
from connectors.records import PersonName

__all__ = [
    "COMPACT",
    "DATE_FORMATS",
    "ISO",
    "ISO_DATETIME",
    "UK",
    "display_name",
    "opt_date",
    "parse_date",
    "split_name",
]

COMPACT = DateFormat("yyyyMMdd", re.compile(r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$"))
ISO_DATETIME = DateFormat(
    "yyyy-MM-ddTHH:mm:ss[.fff][+hh:mm|Z]",
    re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})T[0-9:.]+(?:Z|[+-][0-9:]+)?$"),
)
"""An ISO date-time, with or without an offset, read as the calendar date it was written in (a
birth date sent as ``1984-03-19T00:00:00+01:00`` is 19 March, not 18 March in UTC)."""
DATE_FORMATS = (ISO, UK, COMPACT, ISO_DATETIME)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def parse_date(value: object, field: str, fmt: DateFormat) -> date:
    """A required date written in ``fmt`` (surrounding blanks dropped)."""
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"field '{field}' is missing or not a date ({fmt.layout})")
    text = value.strip()
    match = fmt.pattern.match(text)
    if not match:
        raise PayloadError(f"field '{field}' is not a date ({fmt.layout})")
    try:
        if fmt is ISO_DATETIME:
            datetime.fromisoformat(text)  # the time and offset must be real too
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise PayloadError(f"field '{field}' is not a real date") from None


def opt_date(value: object, field: str, fmt: DateFormat) -> date | None:
    """An optional date written in ``fmt``; None or blank reads as None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_date(value, field, fmt)


def display_name(value: str) -> str:
    """A name part in display form: all-capitals (or all-lower) becomes capitalised per word, with
    hyphens and apostrophes kept (``O'BRIEN`` -> ``O'Brien``, ``SMITH-JONES`` -> ``Smith-Jones``);
    a name already in mixed case (``McDonald``) is kept as written. Blanks are collapsed."""
    collapsed = " ".join(value.split())
    if collapsed != collapsed.upper() and collapsed != collapsed.lower():
        return collapsed
    return _WORD.sub(lambda word: word[0].capitalize(), collapsed.lower())


def split_name(value: object, field: str) -> PersonName:
    """``SURNAME, Forename Middle Names`` as a :class:`PersonName` in display form."""
    if not isinstance(value, str):
        raise PayloadError(f"field '{field}' is missing or not a string")
    surname, comma, given = value.partition(",")
    given_names = given.split()
    if not comma or not surname.strip() or not given_names:
        raise PayloadError(f"field '{field}' is not a name (SURNAME, Forename Middle)")
    forename, *middle = given_names
    return PersonName(
        forename=display_name(forename),
        surname=display_name(surname),
        middle_names=display_name(" ".join(middle)) if middle else None,
    )
