"""Record checks shared by the contract kit and ``check-connector``: shapes, types, identifiers.

Each check returns the problems it found as readable strings (empty: the record is sound), so the
pytest kit can assert on them and the live report can count them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from connectors.base import Capability
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier, InvalidIdentifier, parse_identifier
from connectors.records import (
    Alert,
    CustodyEpisode,
    Movement,
    OffenderManager,
    PersonRecord,
    SupervisionEpisode,
)

RECORD_TYPES: dict[Capability, type] = {
    Capability.FIND_BY_IDENTIFIERS: PersonRecord,
    Capability.SEARCH_PEOPLE: PersonRecord,
    Capability.CUSTODY_FOR: CustodyEpisode,
    Capability.MOVEMENTS_FOR: Movement,
    Capability.SUPERVISION_FOR: SupervisionEpisode,
    Capability.MANAGERS_FOR: OffenderManager,
    Capability.ALERTS_FOR: Alert,
}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _fits(value: object, hint: Any) -> bool:
    """Whether ``value`` has the simple type ``hint``: a class, ``X | None``, ``tuple[X, ...]``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return isinstance(value, tuple) and all(_fits(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is date:  # a datetime is a date to isinstance, but not a calendar date
        return isinstance(value, date) and not isinstance(value, datetime)
    if hint is bool:
        return isinstance(value, bool)
    return isinstance(value, hint)


def shape_problems(record: object, expected: type, region: str) -> list[str]:
    """Wrong class, a field of the wrong type, or a ``region`` other than the region's name."""
    name = expected.__name__
    if type(record) is not expected:
        return [f"{name} expected, got {type(record).__name__}"]
    problems = [
        f"{name}.{f.name} is {getattr(record, f.name)!r}, not {_hints(expected)[f.name]}"
        for f in dataclasses.fields(record)  # type: ignore[arg-type]
        if not _fits(getattr(record, f.name), _hints(expected)[f.name])
    ]
    if getattr(record, "region", None) != region:
        problems.append(f"{name}.region is {getattr(record, 'region', None)!r}, not {region!r}")
    if not getattr(record, "local_id", ""):
        problems.append(f"{name}.local_id is empty")
    return problems


def identifier_problems(identifiers: Sequence[Identifier]) -> list[str]:
    """Identifiers not canonical (PNC/CRO check characters, long forms) or a kind held twice."""
    problems = []
    kinds = [identifier.kind for identifier in identifiers]
    problems += [
        f"identifier kind {k} held twice" for k in sorted(set(kinds)) if kinds.count(k) > 1
    ]
    for identifier in identifiers:
        try:
            canonical = parse_identifier(identifier.value, identifier.kind)
        except InvalidIdentifier as exc:
            problems.append(f"identifier {identifier}: {exc}")
            continue
        if canonical.value != identifier.value:
            problems.append(f"identifier {identifier} is not canonical ({canonical.value})")
    return problems


def person_problems(record: object, region: str) -> list[str]:
    """A person record's shape, identifiers and name."""
    problems = shape_problems(record, PersonRecord, region)
    if problems:
        return problems
    assert isinstance(record, PersonRecord)
    problems += identifier_problems(record.identifiers)
    names = (record.name, *record.aliases)
    problems += [f"a name of {record.local_id} has no surname" for n in names if not n.surname]
    return problems + access_problems(record)


def access_problems(record: PersonRecord) -> list[str]:
    """Limited-access lists that are not sets of trimmed, non-blank user names."""
    problems = []
    for name in ("excluded", "restricted_to"):
        users = getattr(record.access, name)
        if not isinstance(users, frozenset):
            problems.append(f"access.{name} of {record.local_id} is not a frozenset")
        elif not all(isinstance(u, str) and u and u == u.strip() for u in users):
            problems.append(f"access.{name} of {record.local_id} holds a blank or untrimmed name")
    return problems


def record_problems(capability: Capability, record: object, region: str, key: object) -> list[str]:
    """What is wrong with one record answering ``key`` for ``capability`` (empty: nothing)."""
    if capability in (Capability.FIND_BY_IDENTIFIERS, Capability.SEARCH_PEOPLE):
        problems = person_problems(record, region)
        if not problems and capability is Capability.FIND_BY_IDENTIFIERS:
            assert isinstance(record, PersonRecord)
            if key not in record.identifiers:
                problems.append(f"record {record.local_id} answers {key} but does not hold it")
        return problems
    problems = shape_problems(record, RECORD_TYPES[capability], region)
    if not problems and getattr(record, "local_id", None) != key:
        problems.append(f"record of {getattr(record, 'local_id', None)!r} answers key {key!r}")
    return problems


def result_problems(
    capability: Capability, keys: Sequence[object], results: object, region: str
) -> list[str]:
    """A batch answer: one list (or ConnectorError) per key, in order, each record sound."""
    if not isinstance(results, Sequence) or isinstance(results, str):
        return [f"{capability}: expected one result per key, got {type(results).__name__}"]
    if len(results) != len(keys):
        return [f"{capability}: {len(keys)} keys got {len(results)} results"]
    problems = []
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, ConnectorError):
            continue
        if not isinstance(result, list):
            problems.append(f"{capability}: the result for {key} is {type(result).__name__}")
            continue
        for record in result:
            problems += record_problems(capability, record, region, key)
    return problems


def matches_surname(record: PersonRecord, surname: str) -> bool:
    """Whether the record's name or an alias has this surname (case-insensitive)."""
    wanted = surname.strip().casefold()
    return any(n.surname.casefold() == wanted for n in (record.name, *record.aliases))
