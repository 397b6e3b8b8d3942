"""Find a person everywhere: fan out to every region in parallel, follow strong links, merge.

Looking a person up by one identifier asks every region that accepts that kind of identifier. The
records found carry more identifiers (a probation record holds the CRN, NOMS number and PNC), so
the next round asks for those, until no new identifier turns up. Each round is one batch call per
region, thanks to the loaders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from connectors.base import Capability, PersonSearch
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.context import GatewayContext
from gateway.identity import MergedPerson, group_records, record_key

MAX_ROUNDS = 4
Path = tuple[str | int, ...]


async def find_person(
    ctx: GatewayContext, identifier: Identifier, path: Path
) -> MergedPerson | None:
    """The person holding ``identifier``, merged across every region, or None if nobody does."""
    people = await complete(ctx, [], {identifier}, path)
    for person in people:
        if identifier in person.all_identifiers:
            return person
    return None


async def complete(
    ctx: GatewayContext,
    records: Iterable[PersonRecord],
    identifiers: set[Identifier],
    path: Path,
) -> list[MergedPerson]:
    """Follow strong links from ``records`` and ``identifiers`` until nothing new turns up."""
    found = {record_key(r): r for r in records}
    wanted = set(identifiers) | {i for r in found.values() for i in r.identifiers}
    asked: set[tuple[str, Identifier]] = set()
    for _ in range(MAX_ROUNDS):
        calls = [
            (region, identifier)
            for identifier in sorted(wanted)
            for region in _regions_for(ctx, identifier)
            if (region, identifier) not in asked
        ]
        if not calls:
            break
        asked.update(calls)
        results = await asyncio.gather(*(_lookup(ctx, r, i, path) for r, i in calls))
        new = [record for batch in results for record in batch if record_key(record) not in found]
        found.update((record_key(r), r) for r in new)
        wanted |= {i for r in new for i in r.identifiers}
    return [MergedPerson(tuple(group)) for group in group_records(found.values())]


async def search_people(
    ctx: GatewayContext, query: PersonSearch, regions: Sequence[str], path: Path
) -> list[MergedPerson]:
    """Everyone any of ``regions`` finds by name, merged by strong identifiers, sorted by name."""
    searchable = [r for r in regions if ctx.loaders.supports(r, Capability.SEARCH_PEOPLE)]
    results = await asyncio.gather(*(_search(ctx, r, query, path) for r in searchable))
    people = [MergedPerson(tuple(g)) for g in group_records(r for rs in results for r in rs)]
    return sorted(people, key=lambda p: p.sort_key)


def _regions_for(ctx: GatewayContext, identifier: Identifier) -> list[str]:
    return [
        name
        for name, connector in ctx.connectors.items()
        if identifier.kind in connector.identifier_kinds
        and Capability.FIND_BY_IDENTIFIERS in connector.capabilities
    ]


async def _lookup(
    ctx: GatewayContext, region: str, identifier: Identifier, path: Path
) -> list[PersonRecord]:
    try:
        records: list[PersonRecord] = await ctx.loaders.load(
            region, Capability.FIND_BY_IDENTIFIERS, identifier
        )
    except ConnectorError as exc:
        ctx.report(exc, path)
        return []
    return records


async def _search(
    ctx: GatewayContext, region: str, query: PersonSearch, path: Path
) -> list[PersonRecord]:
    try:
        records: list[PersonRecord] = await ctx.loaders.search(region, query)
    except ConnectorError as exc:
        ctx.report(exc, path)
        return []
    return records
