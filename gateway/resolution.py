"""Find a person everywhere: ask every region in parallel, follow strong links, merge.

A person the index knows is confirmed instead (:func:`confirm`): each of their records is asked for
once, by an identifier its region accepts, all at once; the service walks when that fails.

Looking a person up by one identifier asks every region that accepts that kind of identifier. The
records found carry more identifiers (a probation record holds the CRN, NOMS number and PNC), so
the next round asks for those, until no new identifier turns up. Each round is one batch call per
region, thanks to the loaders. Only records that carry the identifier they were asked for are
followed: a region answering with unrelated people cannot make the gateway chase them. A region
is never asked about an identifier that a record already found there carries: it would answer
with that same record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.directory import RegionDirectory
from gateway.identity import ID_PREFERENCE, RecordKey, record_key
from gateway.loaders import FIND, RegionLoaders
from gateway.outcomes import Ledger, RegionFailure, Stage
from gateway.pipeline.call import Fetched

MAX_ROUNDS = 4


@dataclass
class Walk:
    """What one identity walk found, and every region's answer or failure on the way."""

    records: dict[RecordKey, PersonRecord] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    asked: set[str] = field(default_factory=set)  # regions asked at least once
    unsettled: set[str] = field(default_factory=set)  # regions that failed or answered stale

    @property
    def settled(self) -> frozenset[str]:
        """The regions that answered every question in full: a record missing from what they
        said is not theirs to give (for the person index)."""
        return frozenset(self.asked - self.unsettled)


async def walk(
    loaders: RegionLoaders,
    directory: RegionDirectory,
    records: Iterable[PersonRecord],
    identifiers: Iterable[Identifier],
) -> Walk:
    """Follow strong links from ``records`` and ``identifiers`` until nothing new turns up."""
    found = Walk(records={record_key(r): r for r in records})
    wanted = set(identifiers) | {i for r in found.records.values() for i in r.identifiers}
    asked: set[tuple[str, Identifier]] = set()
    carried = {(r.region, i) for r in found.records.values() for i in r.identifiers}
    for _ in range(MAX_ROUNDS):
        calls = [
            (region.name, identifier)
            for identifier in sorted(wanted, key=str)
            for region in directory
            if region.finds_by(identifier.kind)
            and (region.name, identifier) not in asked
            and (region.name, identifier) not in carried
        ]
        if not calls:
            break
        asked.update(calls)
        found.asked.update(region for region, _ in calls)
        results = await asyncio.gather(*(loaders.try_load(r, FIND, i) for r, i in calls))
        new: list[PersonRecord] = []
        for (region, identifier), result in zip(calls, results, strict=True):
            if not isinstance(result, Fetched):
                found.ledger.failed(RegionFailure.of(result, Stage.IDENTITY))
                found.unsettled.add(region)
                continue
            found.ledger.answered(region, result)
            if result.stale:
                found.unsettled.add(region)
            for record in result.value:
                if identifier in record.identifiers and record_key(record) not in found.records:
                    found.records[record_key(record)] = record
                    carried.update((record.region, i) for i in record.identifiers)
                    new.append(record)
        wanted |= {i for r in new for i in r.identifiers}
    return found


@dataclass(frozen=True)
class Question:
    """Ask ``region`` about ``identifier`` to confirm its record ``local_id``."""

    region: str
    identifier: Identifier
    local_id: str


@dataclass
class Confirmation:
    """What the person's own regions said of the records the index holds for them."""

    records: list[PersonRecord] = field(default_factory=list)  # confirmed, as they are now
    ledger: Ledger = field(default_factory=Ledger)
    missing: list[RecordKey] = field(default_factory=list)  # no longer held by their region
    changed: bool = False  # an answer holds what the index did not know: walk again

    @property
    def holds(self) -> bool:
        return not self.missing and not self.changed


def questions(
    directory: RegionDirectory, records: Iterable[PersonRecord], wanted: Identifier | None
) -> list[Question] | None:
    """One question per indexed record, by an identifier its region accepts (``wanted`` when the
    record holds it, so the lookup's own question is shared); None when a record cannot be
    confirmed (its region is gone from the config, or takes none of its identifiers)."""
    asked = []
    for record in records:
        if record.region not in directory:
            return None
        region = directory[record.region]
        usable = [i for i in record.identifiers if region.finds_by(i.kind)]
        if not usable:
            return None
        best = wanted if wanted in usable else min(usable, key=_preference)
        asked.append(Question(record.region, best, record.local_id))
    return asked


async def confirm(
    loaders: RegionLoaders, indexed: Iterable[PersonRecord], asked: list[Question]
) -> Confirmation:
    """Ask every question at once: one round, only the person's regions."""
    known = {record_key(r): r for r in indexed}
    results = await asyncio.gather(*(loaders.try_load(q.region, FIND, q.identifier) for q in asked))
    confirmed = Confirmation()
    for question, result in zip(asked, results, strict=True):
        if not isinstance(result, Fetched):
            confirmed.ledger.failed(RegionFailure.of(result, Stage.IDENTITY))
            continue
        confirmed.ledger.answered(question.region, result)
        holders = {record_key(r): r for r in result.value if question.identifier in r.identifiers}
        key = (question.region, question.local_id)
        if key not in holders:
            confirmed.missing.append(key)
            continue
        record = holders[key]
        if set(record.identifiers) != set(known[key].identifiers) or set(holders) - set(known):
            confirmed.changed = True  # new identifiers, or a new record holding this one
        confirmed.records.append(record)
    return confirmed


def _preference(identifier: Identifier) -> int:
    return ID_PREFERENCE.index(identifier.kind)
