"""Weak links: people with no shared strong identifier who may be one person, scored with reasons.

A weak link is offered to an analyst as a *possible match*, never merged: merging two people in
a justice system is worse than missing a link. Two sides whose strong identifiers of one kind
disagree (two PNCs, two NOMS numbers) are different people and are never offered; two that share
one are already one person (or a conflict) and are not weak links either. The model, its weights
and its threshold are explained in docs/matching.md.

The score is a weighted sum of feature similarities in 0..1: surname and forename (the best
pairing of any names and aliases of each side, forename and surname transposed or not), date of
birth (exact, day and month swapped, one digit wrong), gender and middle names. A value one side
does not hold counts as ``UNKNOWN`` (half), neither for nor against.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from itertools import product
from typing import Generic, TypeVar

from connectors.identifiers import IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity.blocking import Blocks
from gateway.identity.dates import compare_dates, date_key
from gateway.identity.grouping import MergedPerson
from gateway.identity.names import NameLevel, compact, compare, fold, parts, phonetic_code


class Feature(StrEnum):
    SURNAME = "SURNAME"
    FORENAME = "FORENAME"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    GENDER = "GENDER"
    MIDDLE_NAMES = "MIDDLE_NAMES"


class Level(StrEnum):
    """How alike one feature of the two sides is, best first."""

    EXACT = "EXACT"
    PHONETIC = "PHONETIC"
    PART = "PART"  # one barrel of a double-barrelled name, or without a Welsh particle
    TYPO = "TYPO"  # one typing error (a name) or one digit wrong (a date)
    SWAPPED = "SWAPPED"  # date of birth with day and month swapped
    PREFIX = "PREFIX"  # a forename's initial or short form (J, Chris: Christopher)
    UNKNOWN = "UNKNOWN"  # one side holds no value
    DIFFERENT = "DIFFERENT"


WEIGHTS = {
    Feature.SURNAME: 0.30,
    Feature.FORENAME: 0.25,
    Feature.DATE_OF_BIRTH: 0.30,
    Feature.GENDER: 0.10,
    Feature.MIDDLE_NAMES: 0.05,
}
SIMILARITY = {
    Level.EXACT: 1.0,
    Level.PHONETIC: 0.9,
    Level.PART: 0.85,
    Level.TYPO: 0.85,
    Level.SWAPPED: 0.85,
    Level.PREFIX: 0.7,
    Level.UNKNOWN: 0.5,
    Level.DIFFERENT: 0.0,
}
TRANSPOSED_FACTOR = 0.95  # names matched across fields are a little weaker evidence
OFFER_THRESHOLD = 0.85  # offered as a possible match from this score on (docs/matching.md)

Comparable = PersonRecord | MergedPerson
T = TypeVar("T", PersonRecord, MergedPerson)


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature's evidence: its level, the values compared (ours, theirs; None when a side
    holds none), which of their fields ours met (``FORENAME`` for a transposed surname),
    whether an alias or another region's spelling matched, and what it added to the score."""

    feature: Feature
    level: Level
    ours: str | None
    theirs: str | None
    their_feature: Feature
    alias: bool
    contribution: float


@dataclass(frozen=True, slots=True)
class PossibleMatch(Generic[T]):
    """A candidate that may be the same person: the score in 0..1 and why."""

    person: T
    score: float
    reasons: tuple[Reason, ...]

    @property
    def offered(self) -> bool:
        return self.score >= OFFER_THRESHOLD


@dataclass(frozen=True, slots=True)
class Profile:
    """What a side offers for comparison, gathered from every record it holds."""

    names: tuple[tuple[PersonName, bool], ...]  # (name, an alias or another spelling)
    dates: frozenset[date]
    genders: frozenset[str]
    identifiers: dict[IdentifierKind, frozenset[str]]


def profile(side: Comparable) -> Profile:
    records = (side,) if isinstance(side, PersonRecord) else side.records
    first = side.name
    names: dict[tuple[str, str, str], tuple[PersonName, bool]] = {_name_key(first): (first, False)}
    for record in records:
        for name in (record.name, *record.aliases):
            names.setdefault(_name_key(name), (name, True))
    identifiers: dict[IdentifierKind, set[str]] = {}
    for record in records:
        for identifier in record.identifiers:
            identifiers.setdefault(identifier.kind, set()).add(identifier.value)
    return Profile(
        names=tuple(names.values()),
        dates=frozenset(r.date_of_birth for r in records if r.date_of_birth),
        genders=frozenset(g for r in records if (g := _gender(r.gender))),
        identifiers={kind: frozenset(values) for kind, values in identifiers.items()},
    )


def separated(ours: Profile, theirs: Profile) -> bool:
    """Whether strong identifiers say these are not two unlinked records of one person: one
    kind disagrees (different people) or an identifier is shared (already linked)."""
    # a kind both hold is either equal (linked, or a conflict) or unequal (different people)
    return not ours.identifiers.keys().isdisjoint(theirs.identifiers.keys())


def score(ours: Profile, theirs: Profile, candidate: T) -> PossibleMatch[T] | None:
    """The weak-link score of ``candidate`` (whose profile is ``theirs``) against ``ours``;
    None when strong identifiers separate the two."""
    if separated(ours, theirs):
        return None
    reasons = (
        *_name_reasons(ours, theirs),
        _date_reason(ours, theirs),
        _gender_reason(ours, theirs),
        _middle_names_reason(ours, theirs),
    )
    total = round(sum(r.contribution for r in reasons), 4)
    return PossibleMatch(person=candidate, score=total, reasons=reasons)


def possible_matches(
    person: Comparable, candidates: Iterable[T], threshold: float = OFFER_THRESHOLD
) -> list[PossibleMatch[T]]:
    """The candidates that may be ``person`` (scored at least ``threshold``), best first.
    Candidates that share or contradict a strong identifier of the person are never offered."""
    ours = profile(person)
    scored = (score(ours, profile(c), c) for c in candidates)
    return sorted(
        (m for m in scored if m is not None and m.score >= threshold), key=lambda m: -m.score
    )


def all_possible_matches(
    people: Sequence[T], threshold: float = OFFER_THRESHOLD
) -> Iterator[tuple[T, PossibleMatch[T]]]:
    """Every pair of ``people`` that may be one person, found through blocking keys (not by
    comparing all pairs): (one, the match of the other)."""
    profiles = [profile(p) for p in people]
    blocks: Blocks[int] = Blocks(lambda i: blocking_keys(profiles[i]), range(len(people)))
    for i, j in blocks.pairs():
        found = score(profiles[i], profiles[j], people[j])
        if found is not None and found.score >= threshold:
            yield people[i], found


def blocking_keys(side: Profile) -> set[str]:
    """Keys a true pair shares unless two of surname, forename and date of birth are wrong:
    a name's sound with the date of birth (either name: transpositions and typing errors in
    the other), and the sounds of both names together (a wrong date of birth)."""
    keys: set[str] = set()
    dates = {date_key(d) for d in side.dates}
    for name, _alias in side.names:
        surnames, forenames = _codes(name.surname), _codes(name.forename)
        keys.update(f"{code}|{d}" for code in surnames | forenames for d in dates)
        keys.update("&".join(sorted(pair)) for pair in product(surnames, forenames))
    return keys


def _codes(name: str) -> set[str]:
    return {phonetic_code(form) for form in parts(name)} - {""}


def _name_key(name: PersonName) -> tuple[str, str, str]:
    return fold(name.forename), fold(name.middle_names or ""), fold(name.surname)


def _gender(value: str | None) -> str | None:
    folded = fold(value or "")
    return folded[0] if folded[:1] in ("m", "f") else None


@lru_cache(maxsize=262144)
def _name_level(a: str, b: str, forename: bool) -> Level:
    if forename:
        left, right = compact(a), compact(b)
        if left and right and left != right and (left.startswith(right) or right.startswith(left)):
            return Level.PREFIX
    level = compare(a, b)
    return Level.DIFFERENT if level is NameLevel.DIFFERENT else Level(level.value)


def _name_reasons(ours: Profile, theirs: Profile) -> tuple[Reason, Reason]:
    """The best pairing of a name of ours with one of theirs, straight or transposed."""
    best = -1.0
    chosen: tuple[PersonName, PersonName, bool, bool, Level, Level] | None = None
    for (mine, my_alias), (other, their_alias), transposed in product(
        ours.names, theirs.names, (False, True)
    ):
        their_surname, their_forename = (
            (other.forename, other.surname) if transposed else (other.surname, other.forename)
        )
        surname = _name_level(mine.surname, their_surname, forename=False)
        forename = _name_level(mine.forename, their_forename, forename=True)
        total = WEIGHTS[Feature.SURNAME] * SIMILARITY[surname]
        total += WEIGHTS[Feature.FORENAME] * SIMILARITY[forename]
        total *= TRANSPOSED_FACTOR if transposed else 1.0
        if total > best:
            best = total
            chosen = mine, other, my_alias or their_alias, transposed, surname, forename
    assert chosen is not None  # every side has a name
    mine, other, alias, transposed, surname, forename = chosen
    factor = TRANSPOSED_FACTOR if transposed else 1.0
    their = (
        (Feature.FORENAME, Feature.SURNAME) if transposed else (Feature.SURNAME, Feature.FORENAME)
    )
    values = (other.forename, other.surname) if transposed else (other.surname, other.forename)
    return (
        _reason(Feature.SURNAME, surname, mine.surname, values[0], their[0], alias, factor),
        _reason(Feature.FORENAME, forename, mine.forename, values[1], their[1], alias, factor),
    )


def _date_reason(ours: Profile, theirs: Profile) -> Reason:
    pairs = [(Level(compare_dates(a, b)), a, b) for a, b in product(ours.dates, theirs.dates)]
    if not pairs:
        mine = min(ours.dates).isoformat() if ours.dates else None
        other = min(theirs.dates).isoformat() if theirs.dates else None
        return _reason(Feature.DATE_OF_BIRTH, Level.UNKNOWN, mine, other)
    level, a, b = min(pairs, key=lambda p: (-SIMILARITY[p[0]], p[1], p[2]))
    return _reason(Feature.DATE_OF_BIRTH, level, a.isoformat(), b.isoformat())


def _gender_reason(ours: Profile, theirs: Profile) -> Reason:
    mine, other = ",".join(sorted(ours.genders)) or None, ",".join(sorted(theirs.genders)) or None
    if not ours.genders or not theirs.genders:
        level = Level.UNKNOWN
    else:
        level = Level.EXACT if ours.genders & theirs.genders else Level.DIFFERENT
    return _reason(Feature.GENDER, level, mine, other)


def _middle_names_reason(ours: Profile, theirs: Profile) -> Reason:
    mine = {n.middle_names for n, _ in ours.names if n.middle_names}
    other = {n.middle_names for n, _ in theirs.names if n.middle_names}
    if not mine or not other:
        first = min(mine) if mine else None
        second = min(other) if other else None
        return _reason(Feature.MIDDLE_NAMES, Level.UNKNOWN, first, second)
    level, a, b = max(
        ((_name_level(a, b, forename=True), a, b) for a, b in product(sorted(mine), sorted(other))),
        key=lambda p: SIMILARITY[p[0]],
    )
    return _reason(Feature.MIDDLE_NAMES, level, a, b)


def _reason(
    feature: Feature,
    level: Level,
    ours: str | None,
    theirs: str | None,
    their_feature: Feature | None = None,
    alias: bool = False,
    factor: float = 1.0,
) -> Reason:
    return Reason(
        feature=feature,
        level=level,
        ours=ours,
        theirs=theirs,
        their_feature=their_feature or feature,
        alias=alias,
        contribution=round(WEIGHTS[feature] * SIMILARITY[level] * factor, 4),
    )
