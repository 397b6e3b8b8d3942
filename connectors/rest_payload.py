"""Strict readers for decoded JSON payloads, shared by the REST mapping modules.

A reader raises :class:`PayloadError` naming the field (never its value, which may be personal
data); the connector turns that into :class:`~connectors.errors.UpstreamInvalid` for its region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


class PayloadError(ValueError):
    """A payload that does not have the shape a mapping expects."""


def obj(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise PayloadError(f"{where} is not an object")
    return value


def items(value: Any, where: str) -> list[Any]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise PayloadError(f"{where} is not a list")
    return value


def text(data: Mapping[str, Any], key: str) -> str:
    """A required, non-empty string field."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"field '{key}' is missing or not a string")
    return value


def opt_text(data: Mapping[str, Any], key: str) -> str | None:
    """An optional string field; empty strings read as None."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"field '{key}' is not a string")
    return value


def boolean(data: Mapping[str, Any], key: str) -> bool:
    """A required JSON boolean."""
    value = data.get(key)
    if not isinstance(value, bool):
        raise PayloadError(f"field '{key}' is not true or false")
    return value


def flag(data: Mapping[str, Any], key: str) -> bool:
    """A required ``"Y"``/``"N"`` flag."""
    value = data.get(key)
    if value not in ("Y", "N"):
        raise PayloadError(f"field '{key}' is not Y or N")
    return bool(value == "Y")


def integer(data: Mapping[str, Any], key: str) -> int:
    """A required non-negative whole number."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError(f"field '{key}' is not a non-negative whole number")
    return value


def _date(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], order: str) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    match = pattern.match(value) if isinstance(value, str) else None
    if not match:
        raise PayloadError(f"field '{key}' is not a date ({order})")
    parts = dict(
        zip(
            ("y", "m", "d") if order == "yyyy-MM-dd" else ("d", "m", "y"),
            match.groups(),
            strict=True,
        )
    )
    try:
        return date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
    except ValueError:
        raise PayloadError(f"field '{key}' is not a real date") from None


def iso_date(data: Mapping[str, Any], key: str) -> date | None:
    """An optional ISO-8601 date, ``yyyy-MM-dd``."""
    return _date(data, key, _ISO_DATE, "yyyy-MM-dd")


def uk_date(data: Mapping[str, Any], key: str) -> date | None:
    """An optional ``dd/MM/yyyy`` date."""
    return _date(data, key, _UK_DATE, "dd/MM/yyyy")


def required(value: T | None, key: str) -> T:
    """A value read as optional that this record needs."""
    if value is None:
        raise PayloadError(f"field '{key}' is required")
    return value


def each(values: Any, where: str, read: Callable[[Mapping[str, Any]], T]) -> list[T]:
    """Map every object of a JSON array."""
    return [read(obj(item, f"{where}[{i}]")) for i, item in enumerate(items(values, where))]
