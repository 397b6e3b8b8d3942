"""Searching people by name: how a query (surname, optional forename and date of birth) matches
a person's names and aliases, ranked ``EXACT`` > ``ALIAS`` > ``PHONETIC`` > ``FUZZY``.

Each match says which name matched (the primary one or an alias) and, field by field, which of
the person's fields the query's field met and how (``FieldMatch``). A surname one typing error
away, and forename and surname transposed, match as ``FUZZY``. :class:`NameIndex` finds the
candidates through blocking keys (:func:`gateway.identity.names.search_keys`) and ranks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from rapidfuzz.distance import JaroWinkler

from connectors.records import PersonName
from gateway.identity.blocking import Blocks
from gateway.identity.dates import DateLevel, compare_dates
from gateway.identity.names import NameLevel, compact, compare, search_keys


class MatchKind(StrEnum):
    """How a person matched a search, best first (the order results are ranked in)."""

    EXACT = "EXACT"  # the primary name, spelt the same (case, accents, hyphens aside)
    ALIAS = "ALIAS"  # another name or spelling a region holds, spelt the same
    PHONETIC = "PHONETIC"  # sounds the same, or one part of a double-barrelled name
    FUZZY = "FUZZY"  # a typing error, transposed forename and surname, a near date of birth


class How(StrEnum):
    """How one query field met one field of the person."""

    EXACT = "EXACT"
    PREFIX = "PREFIX"  # the query's forename begins the person's (Chris: Christopher; J: John)
    PART = "PART"
    PHONETIC = "PHONETIC"
    TYPO = "TYPO"
    SWAPPED = "SWAPPED"  # date of birth with day and month swapped


KIND_ORDER = {kind: rank for rank, kind in enumerate(MatchKind)}
_KIND_OF_HOW = {
    How.EXACT: MatchKind.EXACT,
    How.PREFIX: MatchKind.EXACT,
    How.PART: MatchKind.PHONETIC,
    How.PHONETIC: MatchKind.PHONETIC,
    How.TYPO: MatchKind.FUZZY,
    How.SWAPPED: MatchKind.FUZZY,
}
_WEIGHTS = {"surname": 0.6, "forename": 0.25, "date_of_birth": 0.15}
_DATE_SIMILARITY = {DateLevel.EXACT: 1.0, DateLevel.SWAPPED: 0.9, DateLevel.TYPO: 0.8}
_IN_ORDER = ("surname", "forename")
PART_SIMILARITY = 0.9  # one barrel of a double-barrelled name: near, not the whole name
TRANSPOSED_FACTOR = 0.95  # a transposed name scores a little below the same name in order


class Searchable(Protocol):
    """What a search matches on: a person record or a merged person."""

    @property
    def name(self) -> PersonName: ...

    @property
    def aliases(self) -> Sequence[PersonName]: ...

    @property
    def date_of_birth(self) -> date | None: ...


P = TypeVar("P", bound=Searchable)


@dataclass(frozen=True, slots=True)
class NameQuery:
    """What an analyst searches for. ``forename`` may be a prefix or an initial."""

    surname: str
    forename: str | None = None
    date_of_birth: date | None = None

    def __post_init__(self) -> None:
        if not compact(self.surname):
            raise ValueError("a name search needs a surname with at least one letter")


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One query field (``surname``, ``forename``, ``date_of_birth``) and the person's field it
    met (``matched``: a surname met the forename when the names are transposed)."""

    field: str
    matched: str
    how: How
    query: str
    value: str


@dataclass(frozen=True, slots=True)
class NameMatch:
    """Why a person matched: the kind (for ranking), a score in 0..1 (order within a kind),
    the name that matched (``alias``: not the primary one) and each field's match."""

    kind: MatchKind
    score: float
    name: PersonName
    alias: bool
    transposed: bool
    fields: tuple[FieldMatch, ...]

    @property
    def order(self) -> tuple[int, float]:
        return KIND_ORDER[self.kind], -self.score


@dataclass(frozen=True, slots=True)
class Entry(Generic[P]):
    """A person with the names and date of birth a search compares, read once."""

    person: P
    names: tuple[tuple[PersonName, bool], ...]  # (name, an alias)
    date_of_birth: date | None

    @classmethod
    def of(cls, person: P) -> Entry[P]:
        names = ((person.name, False), *((alias, True) for alias in person.aliases))
        return cls(person, names, person.date_of_birth)


def match(query: NameQuery, person: Searchable) -> NameMatch | None:
    """The best way ``person`` matches ``query``, or None when it does not."""
    return _match(query, Entry.of(person))


def rank(query: NameQuery, people: Iterable[P]) -> list[tuple[P, NameMatch]]:
    """The people matching ``query``, best first; ties keep the order they came in."""
    return _ranked(query, (Entry.of(person) for person in people))


class NameIndex(Generic[P]):
    """People filed under the blocking keys of their surnames (primary and aliases), searched
    without comparing the query with every person."""

    def __init__(self, people: Iterable[P] = ()) -> None:
        self._blocks: Blocks[Entry[P]] = Blocks(_keys_of, (Entry.of(p) for p in people))

    def __len__(self) -> int:
        return len(self._blocks)

    def add(self, person: P) -> None:
        self._blocks.add(Entry.of(person))

    def candidates(self, query: NameQuery) -> list[P]:
        """People worth matching: a surname near the query's surname, or (for a transposed
        name) near its forename."""
        return [entry.person for entry in self._candidates(query)]

    def search(self, query: NameQuery) -> list[tuple[P, NameMatch]]:
        return _ranked(query, self._candidates(query))

    def _candidates(self, query: NameQuery) -> list[Entry[P]]:
        keys = set(search_keys(query.surname))
        if query.forename:
            keys |= search_keys(query.forename)
        return self._blocks.candidates(keys)


def _ranked(query: NameQuery, entries: Iterable[Entry[P]]) -> list[tuple[P, NameMatch]]:
    matched = [(entry.person, m) for entry in entries if (m := _match(query, entry))]
    return sorted(matched, key=lambda pair: pair[1].order)


def _match(query: NameQuery, entry: Entry[P]) -> NameMatch | None:
    dob = _date_match(query, entry.date_of_birth)
    if query.date_of_birth and dob is None:
        return None
    dob_fields = (dob,) if dob else ()
    found: list[NameMatch] = []
    for name, alias in entry.names:
        for transposed in (False, True) if query.forename else (False,):
            fields = _name_fields(query, name, transposed)
            if fields is not None:
                found.append(_scored(fields + dob_fields, name, alias, transposed))
    return min(found, key=lambda m: m.order) if found else None


def _keys_of(entry: Entry[P]) -> set[str]:
    return {k for name, _ in entry.names for k in search_keys(name.surname)}


def _name_fields(
    query: NameQuery, name: PersonName, transposed: bool
) -> tuple[FieldMatch, ...] | None:
    surname_field, forename_field = ("forename", "surname") if transposed else _IN_ORDER
    surname_value = getattr(name, surname_field)
    level = compare(query.surname, surname_value)
    if level is NameLevel.DIFFERENT:
        return None
    surname = FieldMatch("surname", surname_field, How(level), query.surname, surname_value)
    if not query.forename:
        return (surname,)
    forename_value = getattr(name, forename_field)
    how = _forename_how(query.forename, forename_value)
    if how is None:
        return None
    return surname, FieldMatch("forename", forename_field, how, query.forename, forename_value)


@lru_cache(maxsize=262144)
def _forename_how(wanted: str, forename: str) -> How | None:
    left, right = compact(wanted), compact(forename)
    if left and right.startswith(left):
        return How.EXACT if left == right else How.PREFIX
    level = compare(wanted, forename)
    return None if level is NameLevel.DIFFERENT else How(level)


def _date_match(query: NameQuery, dob: date | None) -> FieldMatch | None:
    if query.date_of_birth is None or dob is None:
        return None
    level = compare_dates(query.date_of_birth, dob)
    if level is DateLevel.DIFFERENT:
        return None
    how = How.SWAPPED if level is DateLevel.SWAPPED else How(level.value)
    return FieldMatch(
        "date_of_birth", "date_of_birth", how, query.date_of_birth.isoformat(), dob.isoformat()
    )


def _scored(
    fields: tuple[FieldMatch, ...], name: PersonName, alias: bool, transposed: bool
) -> NameMatch:
    kinds = [_KIND_OF_HOW[f.how] for f in fields]
    if alias:
        kinds.append(MatchKind.ALIAS)
    if transposed:
        kinds.append(MatchKind.FUZZY)
    weights = sum(_WEIGHTS[f.field] for f in fields)
    score = sum(_WEIGHTS[f.field] * _similarity(f) for f in fields) / weights
    return NameMatch(
        kind=max(kinds, key=KIND_ORDER.__getitem__),
        score=round(score * (TRANSPOSED_FACTOR if transposed else 1.0), 4),
        name=name,
        alias=alias,
        transposed=transposed,
        fields=fields,
    )


def _similarity(field: FieldMatch) -> float:
    if field.field == "date_of_birth":
        level = DateLevel.SWAPPED if field.how is How.SWAPPED else DateLevel(field.how.value)
        return _DATE_SIMILARITY[level]
    if field.how is How.PART:
        return PART_SIMILARITY
    return float(JaroWinkler.normalized_similarity(compact(field.query), compact(field.value)))
