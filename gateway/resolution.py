"""Find a person everywhere: ask every region in parallel, follow strong links, merge.

Looking a person up by one identifier asks every region that accepts that kind of identifier. The
records found carry more identifiers (a probation record holds the CRN, NOMS number and PNC), so
the next round asks for those, until no new identifier turns up. Each round is one batch call per
region, thanks to the loaders. Only records that carry the identifier they were asked for are
followed: a region answering with unrelated people cannot make the gateway chase them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.directory import RegionDirectory
from gateway.identity import RecordKey, record_key
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
    for _ in range(MAX_ROUNDS):
        calls = [
            (region.name, identifier)
            for identifier in sorted(wanted, key=str)
            for region in directory
            if region.finds_by(identifier.kind) and (region.name, identifier) not in asked
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
                continue
            found.ledger.answered(region, result)
            for record in result.value:
                if identifier in record.identifiers and record_key(record) not in found.records:
                    found.records[record_key(record)] = record
                    new.append(record)
        wanted |= {i for r in new for i in r.identifiers}
    return found
