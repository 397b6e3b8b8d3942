"""The strict payload readers every dialect shares: shapes, dates, people, and safe messages."""

from __future__ import annotations

from datetime import date

import pytest

from connectors import payload as p
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, SupervisionKind

SECRET = "Smith-1980-PERSONAL"
FIELDS = p.PersonFields(
    local_id="id",
    forename="first",
    middle_names="middle",
    surname="last",
    date_of_birth="dob",
    gender="sex",
    aliases="aliases",
    dates=p.UK,
    crn="crn",
    pnc="pnc",
)


@pytest.mark.parametrize(
    ("fmt", "raw", "expected"),
    [
        (p.ISO, "2024-02-29", date(2024, 2, 29)),
        (p.UK, "29/02/2024", date(2024, 2, 29)),
        (p.XS_DATE, " 2024-02-29 ", date(2024, 2, 29)),
        (p.XS_DATE, date(2020, 1, 2), date(2020, 1, 2)),
        (p.ISO, None, None),
        (p.UK, "", None),
    ],
)
def test_dates_are_read_in_the_dialects_format(
    fmt: p.DateFormat, raw: object, expected: date | None
) -> None:
    assert p.opt_date({"d": raw}, "d", fmt) == expected


@pytest.mark.parametrize(
    ("fmt", "raw"),
    [
        (p.ISO, "29/02/2024"),  # the other dialect's layout
        (p.UK, "2024-02-29"),
        (p.ISO, "2023-02-29"),  # not a real day
        (p.UK, "31/04/2024"),
        (p.ISO, "\u0662\u0660\u0662\u0664-01-01"),  # non-ASCII digits
        (p.ISO, 20240229),
        (p.ISO, "2024-02-29T10:00:00"),
    ],
)
def test_a_bad_date_names_the_field_not_the_value(fmt: p.DateFormat, raw: object) -> None:
    with pytest.raises(p.PayloadError, match="'startDate'") as caught:
        p.opt_date({"startDate": raw}, "startDate", fmt)
    assert str(raw) not in str(caught.value)


def test_text_readers() -> None:
    assert p.text({"a": "x"}, "a") == "x"
    assert p.text({"a": "  x "}, "a", xml=True) == "x"
    assert p.text({"a": 42}, "a", xml=True) == "42"
    assert p.opt_text({"a": ""}, "a") is None
    assert p.opt_text({"a": "   "}, "a", xml=True) is None
    assert p.opt_text({}, "a") is None
    assert p.ident({"a": 1234}, "a") == "1234"
    for bad in ({}, {"a": ""}, {"a": 5}, {"a": None}, {"a": ["x"]}):
        with pytest.raises(p.PayloadError, match="'a'"):
            p.text(bad, "a")
    with pytest.raises(p.PayloadError):
        p.opt_text({"a": 5}, "a")


def test_values_of_fixed_kinds() -> None:
    assert p.boolean({"b": False}, "b") is False
    assert p.flag({"f": "Y"}, "f") is True and p.flag({"f": "N"}, "f") is False
    assert p.integer({"n": 3}, "n") == 3
    assert p.choice({"k": "LICENCE"}, "k", SupervisionKind, "kind") is SupervisionKind.LICENCE
    for reader, data in (
        (p.boolean, {"b": "true"}),
        (p.flag, {"f": "yes"}),
        (p.integer, {"n": -1}),
        (p.integer, {"n": True}),
    ):
        with pytest.raises(p.PayloadError):
            reader(data, next(iter(data)))
    with pytest.raises(p.PayloadError, match="not a known supervision kind"):
        p.choice({"k": SECRET}, "k", SupervisionKind, "supervision kind")


def test_structures() -> None:
    assert p.section({}, "s") == {}
    assert p.objects([{"a": 1}], "list") == [{"a": 1}]
    with pytest.raises(p.PayloadError, match=r"list\[1\] is not an object"):
        p.objects([{}, "x"], "list")
    with pytest.raises(p.PayloadError, match="is not a list"):
        p.items({"a": 1}, "results")
    with pytest.raises(p.PayloadError, match="is not an object"):
        p.section({"s": [1]}, "s")


def test_per_key_insists_on_every_key_in_order() -> None:
    replies = [{"id": "a"}, {"id": "b"}]
    assert p.per_key(replies, ["a", "b"], lambda r: r["id"]) == replies
    with pytest.raises(p.PayloadError, match="2 items for 3 keys"):
        p.per_key(replies, ["a", "b", "c"], lambda r: r["id"])
    with pytest.raises(p.PayloadError, match="not in the order"):
        p.per_key(replies, ["b", "a"], lambda r: r["id"])


def test_a_person_is_mapped_with_dirty_identifiers_dropped() -> None:
    record = p.person_record(
        "probation-wales",
        {
            "id": 77,
            "first": "Mary",
            "middle": "",
            "last": "Jones",
            "dob": "02/01/1980",
            "sex": "F",
            "aliases": [{"first": "Mary", "last": "Evans"}],
            "crn": "x123456",
            "pnc": "12/394773X",  # wrong check character: dirt, dropped
        },
        FIELDS,
    )
    assert record.local_id == "77"
    assert record.identifiers == (Identifier(IdentifierKind.CRN, "X123456"),)
    assert record.name == PersonName("Mary", "Jones", None)
    assert record.date_of_birth == date(1980, 1, 2)
    assert record.aliases == (PersonName("Mary", "Evans"),)


def test_a_person_without_a_surname_is_refused_without_echoing_data() -> None:
    with pytest.raises(p.PayloadError, match="'last'") as caught:
        p.person_record("r", {"id": "1", "first": SECRET, "dob": "01/01/1980"}, FIELDS)
    assert SECRET not in str(caught.value)
