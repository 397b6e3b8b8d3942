"""Fetch one kind of fact for every regional record of a person, reporting region errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Capability
from connectors.errors import ConnectorError
from connectors.records import PersonRecord
from gateway.context import GatewayContext
from gateway.identity import MergedPerson

Path = tuple[str | int, ...]


@dataclass
class Collected:
    """Everything the regions returned, and which regions could not answer."""

    items: list[Any] = field(default_factory=list)
    failed_regions: set[str] = field(default_factory=set)


async def collect(
    ctx: GatewayContext, person: MergedPerson, capability: Capability, path: Path
) -> Collected:
    """Load ``capability`` for each record whose region offers it, all regions in parallel."""
    records = [r for r in person.records if ctx.loaders.supports(r.region, capability)]
    outcomes = await asyncio.gather(*(_one(ctx, r, capability) for r in records))
    collected = Collected()
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(outcome, ConnectorError):
            ctx.report(outcome, path)
            collected.failed_regions.add(record.region)
        else:
            collected.items.extend(outcome)
    return collected


async def _one(
    ctx: GatewayContext, record: PersonRecord, capability: Capability
) -> list[Any] | ConnectorError:
    try:
        items: list[Any] = await ctx.loaders.load(record.region, capability, record.local_id)
    except ConnectorError as exc:
        return exc
    return items
