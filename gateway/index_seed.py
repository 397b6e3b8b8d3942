"""Seeding the person index from the regions that can list their people (``index build``).

Every region offering :attr:`~connectors.base.Capability.LIST_PEOPLE` is walked page by page,
all regions at once, each page one call through the pipeline (the region's breaker, retries and
concurrency limit apply; each page gets the request deadline). The records of every region are
then grouped by strong links (:func:`gateway.identity.group_records`), so a person spanning
regions is one group, and each group with a strong identifier is remembered as one person, filed
under its records' search keys (:func:`gateway.search.index_keys`). A group that shares a strong
identifier with another group (records claiming one person but contradicting each other: same
NOMS number, another PNC) is not remembered: a warm lookup asks only the person's own records, so
it could miss the conflict, which a full walk reports (``Offender.conflicts``).

A region whose walk failed part-way keeps the records it listed, but is not *settled*: the index
keeps what it held of that region's records for the people seen (as after a walk with a region
down). A region that listed in full is settled: a record the index holds there for a person, but
no longer linked to them, leaves them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.base import Capability, ListingPage, PersonListing
from connectors.budget import PageBudget
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.identity import group_records
from gateway.identity.index import PersonIndex, Sighting
from gateway.pipeline.call import Deadline, Fetched, Handler, RegionCall, RequestScope
from gateway.search import index_keys

PAGE_SIZE = 200  # people per listing page asked (a region may give fewer)
REMEMBERED_AT_ONCE = 500  # people per index transaction


@dataclass(frozen=True)
class RegionListed:
    """How one region's walk went: records and pages read, and the failure that stopped it."""

    region: str
    records: int
    pages: int
    failure: ConnectorError | None = None

    @property
    def settled(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class SeedReport:
    """What one build did: per region, then the people and records remembered, and the time."""

    regions: tuple[RegionListed, ...]
    people: int
    records: int
    unindexed: int  # records with no strong identifier: no person to index them under
    conflicted: int  # records of groups sharing an identifier with another group: walked instead
    seconds: float


async def list_region(
    pipeline: Handler, region: str, *, page_size: int = PAGE_SIZE, deadline: float = 5.0
) -> tuple[list[PersonRecord], RegionListed]:
    """Every record ``region`` lists, walking its cursors; stops at the first failed page."""
    listing = PersonListing(limit=page_size)
    records: list[PersonRecord] = []
    pages = 0
    while True:
        call = RegionCall(region, Capability.LIST_PEOPLE, (listing,), Deadline(deadline), _scope())
        try:
            [outcome] = await pipeline(call)
        except ConnectorError as exc:
            return records, RegionListed(region, len(records), pages, exc)
        if not isinstance(outcome, Fetched):
            return records, RegionListed(region, len(records), pages, outcome)
        page: ListingPage = outcome.value
        pages += 1
        records.extend(page.records)
        if page.cursor is None:
            return records, RegionListed(region, len(records), pages)
        listing = dataclasses.replace(listing, cursor=page.cursor)


def _scope() -> RequestScope:
    return RequestScope(pages=PageBudget(1))  # one listing page is one call, no follow-on


async def seed_index(
    pipeline: Handler,
    regions: Sequence[str],
    index: PersonIndex,
    *,
    page_size: int = PAGE_SIZE,
    deadline: float = 5.0,
) -> SeedReport:
    """List ``regions`` (those offering the listing), group their records into people and
    remember every person with a strong identifier."""
    began = time.perf_counter()
    walks = await asyncio.gather(
        *(list_region(pipeline, r, page_size=page_size, deadline=deadline) for r in regions)
    )
    records = [record for found, _ in walks for record in found]
    settled = frozenset(listed.region for _, listed in walks if listed.settled)
    identified = [group for group in group_records(records) if _identified(group)]
    clashing = _conflicted(identified)
    groups = [g for n, g in enumerate(identified) if n not in clashing]
    sightings = [Sighting(tuple(group), settled, index_keys(group)) for group in groups]
    now = datetime.now(UTC)
    for start in range(0, len(sightings), REMEMBERED_AT_ONCE):
        await index.remember_all(sightings[start : start + REMEMBERED_AT_ONCE], now)
    return SeedReport(
        regions=tuple(listed for _, listed in walks),
        people=len(sightings),
        records=sum(len(group) for group in groups),
        unindexed=len(records) - sum(len(group) for group in identified),
        conflicted=sum(len(identified[n]) for n in clashing),
        seconds=time.perf_counter() - began,
    )


def _conflicted(groups: Sequence[Sequence[PersonRecord]]) -> set[int]:
    """The positions of groups holding a strong identifier another group holds too."""
    holders: dict[Identifier, set[int]] = {}
    for n, group in enumerate(groups):
        for identifier in {i for record in group for i in record.identifiers}:
            holders.setdefault(identifier, set()).add(n)
    return {n for held in holders.values() if len(held) > 1 for n in held}


def _identified(group: Sequence[PersonRecord]) -> bool:
    return any(record.identifiers for record in group)
