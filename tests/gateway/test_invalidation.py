"""Invalidating a person: every cached answer about them, in every region, and nothing else."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.cache_store import CacheStore, Entry
from gateway.invalidation import DETAIL_OPERATIONS, invalidate_person
from gateway.pipeline.cache import cache_key

NS = "inv"
REGIONS = ("prison-north", "probation-east", "prison-wales")
FIND = Capability.FIND_BY_IDENTIFIERS
NOMS = Identifier(IdentifierKind.NOMS, "A1234AA")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")
OTHER = Identifier(IdentifierKind.NOMS, "G9999ZZ")


def record(region: str, local_id: str, *identifiers: Identifier) -> PersonRecord:
    return PersonRecord(region, local_id, identifiers, PersonName("Jo", "Smith"), None)


def find(region: str, identifier: Identifier) -> str:
    return cache_key(NS, region, FIND, identifier)


def details(region: str, local_id: str) -> list[str]:
    return [cache_key(NS, region, op, local_id) for op in DETAIL_OPERATIONS]


async def seed_two_people(store: CacheStore) -> dict[str, object]:
    """Person 1: P1 in prison-north (NOMS, PNC) and E1 in probation-east (CRN, PNC), looked up by
    each identifier where the gateway asked. Person 2: P2 in prison-north (OTHER). Returns every
    key seeded."""
    north = record("prison-north", "P1", NOMS, PNC)
    east = record("probation-east", "E1", CRN, PNC)
    seeded: dict[str, object] = {
        find("prison-north", NOMS): [north],
        find("probation-east", NOMS): [],  # asked, not found there
        find("probation-east", CRN): [east],
        find("prison-north", PNC): [north],
        find("probation-east", PNC): [east],
        find("prison-north", OTHER): [record("prison-north", "P2", OTHER)],
        cache_key(NS, "prison-north", Capability.SEARCH_PEOPLE, "Smith"): [north],
    }
    for key in details("prison-north", "P1") + details("probation-east", "E1"):
        seeded[key] = ["a detail"]
    for key in details("prison-north", "P2"):
        seeded[key] = ["another person's detail"]
    await store.set_many([(k, Entry(v, 1.0)) for k, v in seeded.items()], 60)
    return seeded


@pytest.fixture
async def store() -> AsyncIterator[CacheStore]:
    memory = CacheStore.memory(NS)
    yield memory
    await memory.aclose()


async def remaining(store: CacheStore, keys: list[str]) -> set[str]:
    entries = await store.get_many(keys)
    return {key for key, entry in zip(keys, entries, strict=True) if entry is not None}


async def test_invalidation_deletes_exactly_the_persons_entries(store: CacheStore) -> None:
    seeded = await seed_two_people(store)
    deleted = await invalidate_person(store, NS, NOMS, REGIONS)
    # 5 lookups (NOMS and PNC in north and east, CRN in east) + 2 records x 5 detail kinds
    assert deleted == 5 + 10
    assert await remaining(store, list(seeded)) == {
        find("prison-north", OTHER),
        cache_key(NS, "prison-north", Capability.SEARCH_PEOPLE, "Smith"),
        *details("prison-north", "P2"),
    }


async def test_starting_from_another_identifier_of_the_person_finds_the_same(
    store: CacheStore,
) -> None:
    await seed_two_people(store)
    assert await invalidate_person(store, NS, PNC, REGIONS) == 15
    assert await invalidate_person(store, NS, NOMS, REGIONS) == 0  # nothing left to delete


async def test_the_walk_is_bounded(store: CacheStore) -> None:
    chain = [Identifier(IdentifierKind.CRN, f"X{n:06d}") for n in range(10)]
    items = [
        (find("probation-east", a), Entry([record("probation-east", f"E{i}", a, b)], 1.0))
        for i, (a, b) in enumerate(itertools.pairwise(chain))
    ]
    await store.set_many(items, 60)
    # three lookups read: E0, E1, E2 met; chain[0..3] met, and their lookups deleted
    assert await invalidate_person(store, NS, chain[0], ["probation-east"], max_steps=3) == 4
    assert len(await remaining(store, [k for k, _ in items])) == 9 - 4


async def test_an_unknown_person_deletes_nothing(store: CacheStore) -> None:
    await seed_two_people(store)
    unknown = Identifier(IdentifierKind.CRN, "Z000001")
    assert await invalidate_person(store, NS, unknown, REGIONS) == 0
