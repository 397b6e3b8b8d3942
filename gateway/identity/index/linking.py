"""Which stable id a sighting gets, and what else moves: merges and undone links, decided once
for every store.

A store reads the :class:`Neighbourhood` of a sighting (the people holding its records or, when
their identifiers agree, its strong identifiers, with all their records) and applies the
:class:`Changes` :func:`link` returns, in one transaction:

- every person touched keeps their id when most of their records stay with the sighting (records
  in a settled region missing from it leave; records elsewhere stay); among those claimants the
  oldest id survives and the others are retired to it; with no claimant a new id is minted;
- the records that leave a person (an undone link) keep that person's id when they are the larger
  part, else get a new one; they lose the sighting's identifiers (their region no longer holds them
  under these), and a record left with no strong identifier is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from connectors.identifiers import Identifier
from gateway.identity.grouping import RecordKey, record_key
from gateway.identity.index.model import Sighting


@dataclass(frozen=True)
class Held:
    """A record the index holds: whose it is and the identifiers it carried."""

    person_id: str
    identifiers: frozenset[Identifier]


@dataclass(frozen=True)
class Neighbourhood:
    """The index around one sighting: every record of every person it may touch."""

    records: dict[RecordKey, Held]
    created: dict[str, float]  # when each of those people was minted (epoch seconds)


@dataclass
class Changes:
    """What to write for one sighting."""

    person_id: str  # the sighting's records go here (inserted or updated)
    minted: list[str] = field(default_factory=list)  # new people, created now
    retired: dict[str, str] = field(default_factory=dict)  # old id -> survivor
    owners: dict[RecordKey, str] = field(default_factory=dict)  # other records that move
    identifiers: dict[RecordKey, frozenset[Identifier]] = field(default_factory=dict)
    dropped: set[RecordKey] = field(default_factory=set)


def link(sighting: Sighting, around: Neighbourhood, mint: Callable[[], str]) -> Changes:
    """The changes that remember ``sighting``, given the index ``around`` it."""
    group = {record_key(r) for r in sighting.records}
    group_ids = frozenset(i for r in sighting.records for i in r.identifiers)
    people: dict[str, list[RecordKey]] = {}
    for key, held in sorted(around.records.items()):
        people.setdefault(held.person_id, []).append(key)
    touched = [
        person
        for person, keys in people.items()
        if group & set(keys) or _agrees(group_ids, [around.records[k] for k in keys])
    ]
    staying: dict[str, list[RecordKey]] = {}
    leaving: dict[str, list[RecordKey]] = {}
    for person in touched:
        for key in people[person]:
            gone = key not in group and key[0] in sighting.settled
            (leaving if gone else staying).setdefault(person, []).append(key)
    claimants = [p for p in touched if len(staying.get(p, ())) >= len(leaving.get(p, ()))]
    changes = Changes(person_id="")
    if claimants:
        survivor = min(claimants, key=lambda p: (around.created[p], p))
    else:
        survivor = mint()
        changes.minted.append(survivor)
    changes.person_id = survivor
    for person in claimants:
        if person != survivor:
            changes.retired[person] = survivor
        changes.owners.update(
            {k: survivor for k in staying.get(person, ()) if k not in group and person != survivor}
        )
    for person in touched:
        keys = leaving.get(person)
        if not keys:
            continue
        target = person
        if person in claimants:
            target = mint()
            changes.minted.append(target)
        for key in keys:
            remaining = around.records[key].identifiers - group_ids
            if not remaining:
                changes.dropped.add(key)
                continue
            if target != person:
                changes.owners[key] = target
            if remaining != around.records[key].identifiers:
                changes.identifiers[key] = remaining
    return changes


def _agrees(identifiers: Collection[Identifier], records: list[Held]) -> bool:
    """Whether a person shares one of ``identifiers`` and contradicts none of them (a person
    holding the NOMS number under another PNC is a conflict, never merged)."""
    theirs = {i for held in records for i in held.identifiers}
    if not theirs & set(identifiers):
        return False
    mine = {i.kind: i.value for i in identifiers}
    return all(mine.get(i.kind, i.value) == i.value for i in theirs)
