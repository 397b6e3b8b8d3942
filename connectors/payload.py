"""Strict readers for regional payloads (decoded JSON, or zeep replies as plain dicts).

A reader raises :class:`PayloadError` naming the field (never its value, which may be personal
data); a connector turns that into :class:`~connectors.errors.UpstreamInvalid` for its region.
Dialects differ in how they write values, and say so once: a :class:`DateFormat`, and ``xml``
for text as zeep gives it (blanks around it dropped, a number read as its digits). The mapping of
a person, which every dialect shares, is at the end: :func:`person_record`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from connectors.identifiers import Identifier, IdentifierKind, try_parse_identifier
from connectors.records import PersonName, PersonRecord

Payload = Mapping[str, Any]
T = TypeVar("T")
K = TypeVar("K")
E = TypeVar("E", bound=Enum)


class PayloadError(ValueError):
    """A payload that does not have the shape a mapping expects; the message names the field."""


@dataclass(frozen=True)
class DateFormat:
    """How a dialect writes dates. ``xml`` also takes a ``date`` zeep has read, and blanks."""

    layout: str
    pattern: re.Pattern[str]
    xml: bool = False


ISO = DateFormat("yyyy-MM-dd", re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$"))
UK = DateFormat("dd/MM/yyyy", re.compile(r"^(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})$"))
XS_DATE = DateFormat(ISO.layout, ISO.pattern, xml=True)


# --- structure ---------------------------------------------------------------------------------


def obj(value: Any, where: str) -> Payload:
    """``value`` as an object."""
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} is not an object")
    return value


def section(data: Payload, key: str) -> Payload:
    """An optional nested object; absent reads as empty."""
    value = data.get(key)
    return {} if value is None else obj(value, key)


def items(value: Any, where: str) -> list[Any]:
    """``value`` as a list."""
    if not isinstance(value, list):
        raise PayloadError(f"{where} is not a list")
    return value


def each(values: Any, where: str, read: Callable[[Payload], T]) -> list[T]:
    """Map every object of a list."""
    return [read(obj(item, f"{where}[{i}]")) for i, item in enumerate(items(values, where))]


def objects(values: Any, where: str) -> list[Payload]:
    """A list of objects."""
    return each(values, where, lambda item: item)


def carried(data: Payload, key: str, read: Callable[[Payload], T]) -> tuple[T, ...] | None:
    """Facts a reply carries with a record under ``key`` (a list, possibly empty), mapped; None
    when it carries none, or when they do not map: the gateway then asks for them the usual way,
    and that call reports what is wrong, for its key alone (``IncludedFacts``)."""
    if data.get(key) is None:
        return None
    try:
        return tuple(each(data[key], key, read))
    except PayloadError:
        return None


def per_key(
    replies: Sequence[Payload], keys: Sequence[K], echo: Callable[[Payload], K]
) -> list[Payload]:
    """Batch reply items in key order: every key answered, in the order asked (``echo`` says)."""
    if len(replies) != len(keys):
        raise PayloadError(f"batch reply has {len(replies)} items for {len(keys)} keys")
    if any(echo(reply) != key for reply, key in zip(replies, keys, strict=True)):
        raise PayloadError("batch reply is not in the order of the request")
    return list(replies)


# --- values ------------------------------------------------------------------------------------


def text(data: Payload, key: str, *, xml: bool = False) -> str:
    """A required, non-empty string field."""
    value = data.get(key)
    if xml and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if xml and isinstance(value, str):
        value = value.strip()
    if not isinstance(value, str) or not value:
        raise PayloadError(f"field '{key}' is missing or not a string")
    return value


def opt_text(data: Payload, key: str, *, xml: bool = False) -> str | None:
    """An optional string field; empty (with ``xml``, blank) reads as None."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not (value.strip() if xml else value)):
        return None
    if xml or isinstance(value, str):
        return text(data, key, xml=xml)
    raise PayloadError(f"field '{key}' is not a string")


def ident(data: Payload, key: str, *, xml: bool = False) -> str:
    """An id, sent as a string or a whole number."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(data, key, xml=xml)


def choice(data: Payload, key: str, kind: type[E], what: str, *, xml: bool = False) -> E:
    """A required string field that must be one of the values of ``kind``."""
    try:
        return kind(text(data, key, xml=xml))
    except ValueError:
        raise PayloadError(f"field '{key}' is not a known {what}") from None


def boolean(data: Payload, key: str) -> bool:
    """A required boolean (JSON ``true``/``false``, or zeep's xs:boolean)."""
    value = data.get(key)
    if not isinstance(value, bool):
        raise PayloadError(f"field '{key}' is not true or false")
    return value


def flag(data: Payload, key: str) -> bool:
    """A required ``"Y"``/``"N"`` flag."""
    value = data.get(key)
    if value not in ("Y", "N"):
        raise PayloadError(f"field '{key}' is not Y or N")
    return bool(value == "Y")


def integer(data: Payload, key: str) -> int:
    """A required non-negative whole number."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError(f"field '{key}' is not a non-negative whole number")
    return value


def opt_date(data: Payload, key: str, fmt: DateFormat) -> date | None:
    """An optional date written in ``fmt``; empty reads as None."""
    value = data.get(key)
    if fmt.xml and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if fmt.xml and isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    match = fmt.pattern.match(value) if isinstance(value, str) else None
    if not match:
        raise PayloadError(f"field '{key}' is not a date ({fmt.layout})")
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise PayloadError(f"field '{key}' is not a real date") from None


def subjects(values: Any, where: str, key: str | None = None) -> frozenset[str]:
    """User names (token subjects) from a list of strings, or of objects holding one under
    ``key``; each trimmed and not blank. Absent (None) reads as none."""
    if values is None:
        return frozenset()
    found = []
    for i, item in enumerate(items(values, where)):
        value = obj(item, f"{where}[{i}]").get(key) if key is not None else item
        if not isinstance(value, str) or not value.strip():
            raise PayloadError(f"{where}[{i}] is not a user name")
        found.append(value.strip())
    return frozenset(found)


def required(value: T | None, key: str) -> T:
    """A value read as optional that this record needs."""
    if value is None:
        raise PayloadError(f"field '{key}' is required")
    return value


# --- people ------------------------------------------------------------------------------------


def identifiers_from(
    data: Payload, pairs: Sequence[tuple[IdentifierKind, str]], *, xml: bool = False
) -> tuple[Identifier, ...]:
    """The identifiers in the ``(kind, key)`` fields. Dirty ones are dropped, not fatal; with
    ``xml``, so is a value that is not text."""
    found = (
        try_parse_identifier(_raw_text(data, key) if xml else opt_text(data, key), kind)
        for kind, key in pairs
    )
    return tuple(identifier for identifier in found if identifier is not None)


def _raw_text(data: Payload, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class PersonFields:
    """Where a dialect keeps a person's fields, and how it writes their values. An alias has the
    person's name keys; an identifier kind without a key is not held."""

    local_id: str
    forename: str
    middle_names: str
    surname: str
    date_of_birth: str
    gender: str
    aliases: str
    dates: DateFormat
    xml: bool = False
    crn: str | None = None
    noms: str | None = None
    pnc: str | None = None
    cro: str | None = None

    @property
    def identifiers(self) -> tuple[tuple[IdentifierKind, str], ...]:
        """The ``(kind, key)`` of every identifier held."""
        keys = (
            (IdentifierKind.CRN, self.crn),
            (IdentifierKind.NOMS, self.noms),
            (IdentifierKind.PNC, self.pnc),
            (IdentifierKind.CRO, self.cro),
        )
        return tuple((kind, key) for kind, key in keys if key is not None)


def person_record(region: str, data: Payload, fields: PersonFields) -> PersonRecord:
    """One person as ``region`` holds them."""
    f, xml = fields, fields.xml

    def alias(item: Payload) -> PersonName:
        return PersonName(text(item, f.forename, xml=xml), text(item, f.surname, xml=xml))

    identifiers = identifiers_from(data, f.identifiers, xml=xml)
    return PersonRecord(
        region=region,
        local_id=ident(data, f.local_id, xml=xml),
        identifiers=identifiers,
        name=PersonName(
            forename=text(data, f.forename, xml=xml),
            surname=text(data, f.surname, xml=xml),
            middle_names=opt_text(data, f.middle_names, xml=xml),
        ),
        date_of_birth=opt_date(data, f.date_of_birth, f.dates),
        aliases=tuple(each(data.get(f.aliases) or [], f.aliases, alias)),
        gender=opt_text(data, f.gender, xml=xml),
    )
