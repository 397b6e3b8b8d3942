"""Forget what the cache holds about one person, everywhere, before it would expire.

A person is a set of identifiers spread over regions, so invalidation starts from one identifier,
reads the cached ``find_by_identifiers`` answers for it in every region, and follows the identifiers
of the records found (bounded), collecting each record's ``(region, local_id)``. It then deletes
the identifier lookups of every identifier met and the detail answers of every record met. Cached
name searches (``search_people``) are not keyed by person: they expire with their ttl.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from connectors.base import Capability
from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.cache_store import CacheStore
from gateway.pipeline.cache import cache_key

DETAIL_OPERATIONS = (
    Capability.CUSTODY_FOR,
    Capability.MOVEMENTS_FOR,
    Capability.SUPERVISION_FOR,
    Capability.MANAGERS_FOR,
    Capability.ALERTS_FOR,
)
MAX_STEPS = 50  # identifiers whose cached lookups are read, at most


async def invalidate_person(
    store: CacheStore,
    namespace: str,
    identifier: Identifier,
    regions: Sequence[str],
    *,
    max_steps: int = MAX_STEPS,
) -> int:
    """Delete every cached answer about the person ``identifier`` names; how many were deleted."""
    find = Capability.FIND_BY_IDENTIFIERS
    met: dict[Identifier, None] = {identifier: None}  # insertion-ordered set
    records: set[tuple[str, str]] = set()
    queue = deque([identifier])
    steps = 0
    while queue and steps < max_steps:
        current = queue.popleft()
        steps += 1
        entries = await store.get_many([cache_key(namespace, r, find, current) for r in regions])
        for entry in entries:
            for record in _records(entry.value if entry is not None else None):
                records.add((record.region, record.local_id))
                for found in record.identifiers:
                    if found not in met:
                        met[found] = None
                        queue.append(found)
    keys = [cache_key(namespace, r, find, i) for i in met for r in regions]
    keys += [
        cache_key(namespace, r, op, local)
        for r, local in sorted(records)
        for op in DETAIL_OPERATIONS
    ]
    return await store.delete_many(keys)


def _records(value: object) -> list[PersonRecord]:
    """The person records of a cached lookup (anything else is ignored)."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, PersonRecord)]
