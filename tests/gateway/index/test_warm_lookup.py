"""Lookups through the person index, in-process over fake regions: a known person costs one
round of only their regions; misses, stale entries and a region's not-found walk in full; ids
hold through outages and merges."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from connectors.base import Capability
from connectors.errors import RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import IncludedFacts, PersonRecord, SystemKind
from gateway.identity.index import Sighting
from tests.gateway.inprocess import FakeRegion, Gateway, booking, licence, manager, person

T = TypeVar("T")
C = Capability
NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
QUERY = """query($id: String!) { offender(identifier: $id) {
  id status records { region localId } sources { region outcome }
  custody { prisonId } supervision { kind } } }"""


class Rounds:
    """Dependent rounds of region calls: a call's depth is how many calls had finished when it
    began, so calls of one round share a depth."""

    def __init__(self) -> None:
        self.finished = 0
        self.depths: list[int] = []

    async def pace(self, call: Awaitable[T]) -> T:
        self.depths.append(self.finished)
        await asyncio.sleep(0)  # every call of a round begins before any ends
        try:
            return await call
        finally:
            self.finished += 1

    def count(self) -> int:
        return len(set(self.depths))


class Paced(FakeRegion):
    """A fake region whose calls count their rounds."""

    def __init__(self, rounds: Rounds, *args: Any) -> None:
        super().__init__(*args)
        self.rounds = rounds

    async def find_by_identifiers(self, identifiers: Sequence[Identifier]) -> Any:
        return await self.rounds.pace(super().find_by_identifiers(identifiers))

    async def custody_for(self, local_ids: Sequence[str]) -> Any:
        return await self.rounds.pace(super().custody_for(local_ids))

    async def supervision_for(self, local_ids: Sequence[str]) -> Any:
        return await self.rounds.pace(super().supervision_for(local_ids))

    async def managers_for(self, local_ids: Sequence[str]) -> Any:
        return await self.rounds.pace(super().managers_for(local_ids))


def estate(rounds: Rounds) -> tuple[Paced, Paced, Paced]:
    """A person in custody in prison and on licence in probation-a; probation-b holds someone
    else."""
    prison = Paced(
        rounds,
        "prison",
        SystemKind.CUSTODY,
        [person("prison", "P1", NOMS)],
        {C.CUSTODY_FOR: [booking("prison", "P1", date(2020, 1, 1), active=False)]},
    )
    probation_a = Paced(
        rounds,
        "probation-a",
        SystemKind.PROBATION,
        [person("probation-a", "A1", NOMS, CRN)],
        {
            C.SUPERVISION_FOR: [licence("probation-a", "A1", date(2026, 5, 1), active=True)],
            C.MANAGERS_FOR: [manager("probation-a", "A1", "COM001", date(2026, 5, 1))],
        },
    )
    other = Identifier(IdentifierKind.CRN, "X999999")
    probation_b = Paced(
        rounds,
        "probation-b",
        SystemKind.PROBATION,
        [person("probation-b", "B1", other, surname="Jones")],
        {C.SUPERVISION_FOR: [], C.MANAGERS_FOR: []},
    )
    return prison, probation_a, probation_b


def calls(*regions: FakeRegion) -> dict[str, list[tuple[C, tuple[object, ...]]]]:
    return {r.region: list(r.calls) for r in regions}


def forget_calls(*regions: FakeRegion) -> None:
    for region in regions:
        region.calls.clear()


async def lookup(gateway: Gateway, identifier: str) -> dict[str, Any]:
    data, errors = await gateway.execute(QUERY, id=identifier)
    assert errors == []
    offender: dict[str, Any] = data["offender"]
    return offender


async def test_a_known_person_costs_one_round_of_their_own_regions_only() -> None:
    rounds = Rounds()
    regions = estate(rounds)
    prison, probation_a, probation_b = regions
    gateway = Gateway(list(regions))
    cold = await lookup(gateway, NOMS.value)
    cold_rounds = rounds.count()
    forget_calls(*regions)
    rounds.depths.clear()
    warm = await lookup(gateway, NOMS.value)
    assert calls(*regions) == {
        "prison": [(C.FIND_BY_IDENTIFIERS, (NOMS,)), (C.CUSTODY_FOR, ("P1",))],
        "probation-a": [(C.FIND_BY_IDENTIFIERS, (NOMS,)), (C.SUPERVISION_FOR, ("A1",))],
        "probation-b": [],
    }
    assert rounds.count() == 1
    assert cold_rounds == 3  # cold: finds by NOMS, then by the CRN they led to, then the facts
    assert warm["id"] == cold["id"]
    assert {k: v for k, v in warm.items() if k != "sources"} == {
        k: v for k, v in cold.items() if k != "sources"
    }
    assert warm["sources"] == [
        {"region": "prison", "outcome": "OK"},
        {"region": "probation-a", "outcome": "OK"},
        {"region": "probation-b", "outcome": "SKIPPED"},
    ]
    assert probation_b.calls == [] and prison.count(C.FIND_BY_IDENTIFIERS) == 1
    assert probation_a.count(C.MANAGERS_FOR) == 0  # not asked by the query


async def test_a_stable_id_is_looked_up_warm_through_node_and_offender() -> None:
    rounds = Rounds()
    regions = estate(rounds)
    gateway = Gateway(list(regions))
    person_id = (await lookup(gateway, CRN.value))["id"]
    forget_calls(*regions)
    again = await lookup(gateway, person_id)
    assert again["id"] == person_id
    assert again["records"] == [
        {"region": "prison", "localId": "P1"},
        {"region": "probation-a", "localId": "A1"},
    ]
    assert regions[2].calls == []
    data, errors = await gateway.execute("query($id: ID!) { node(id: $id) { id } }", id=person_id)
    assert errors == [] and data["node"]["id"] == person_id


async def test_a_record_its_region_no_longer_holds_is_forgotten_and_the_walk_runs() -> None:
    regions = estate(Rounds())
    _, probation_a, probation_b = regions
    gateway = Gateway(list(regions))
    first = await lookup(gateway, NOMS.value)
    probation_a.records = []  # A1 is gone from probation-a
    forget_calls(*regions)
    again = await lookup(gateway, NOMS.value)
    assert again["records"] == [{"region": "prison", "localId": "P1"}]
    assert again["id"] == first["id"]
    assert probation_b.count(C.FIND_BY_IDENTIFIERS) == 1  # the full walk asked everyone
    index = gateway.runtime.index
    assert index is not None
    found = await index.locate(NOMS)
    assert found is not None and [r.key for r in found.records] == [("prison", "P1")]


async def test_a_stale_entry_is_a_miss() -> None:
    regions = estate(Rounds())
    gateway = Gateway(list(regions))
    index = gateway.runtime.index
    assert index is not None
    first = await lookup(gateway, NOMS.value)
    records = tuple(r for region in regions[:2] for r in region.records)
    old = datetime.now(UTC) - timedelta(days=2)
    await index.remember(Sighting(records), old)
    forget_calls(*regions)
    again = await lookup(gateway, NOMS.value)
    assert regions[2].calls == [(C.FIND_BY_IDENTIFIERS, (NOMS,)), (C.FIND_BY_IDENTIFIERS, (CRN,))]
    assert again["id"] == first["id"]
    found = await index.locate(NOMS)
    assert found is not None and found.fresh(datetime.now(UTC), timedelta(hours=1))


async def test_the_id_holds_while_a_region_is_down_warm_or_walking() -> None:
    regions = estate(Rounds())
    prison, probation_a, _ = regions
    gateway = Gateway(list(regions))
    index = gateway.runtime.index
    assert index is not None
    person_id = (await lookup(gateway, NOMS.value))["id"]
    probation_a.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-a", "down")
    for _ in ("warm", "walking"):
        data, errors = await gateway.execute(QUERY, id=NOMS.value)
        assert data["offender"]["id"] == person_id
        assert data["offender"]["records"] == [{"region": "prison", "localId": "P1"}]
        assert {e["extensions"]["region"] for e in errors} == {"probation-a"}
        old = datetime.now(UTC) - timedelta(days=2)
        await index.remember(Sighting(tuple(prison.records)), old)  # stale: walk next time
    found = await index.person(index_id(await index.locate(NOMS)))
    assert found is not None and len(found.records) == 2  # the record of the region down kept


def index_id(found: Any) -> str:
    assert found is not None
    return str(found.id)


async def test_a_link_found_later_merges_two_people_and_the_retired_id_answers_the_survivor() -> (
    None
):
    regions = estate(Rounds())
    prison, probation_a, probation_b = regions
    linking: list[PersonRecord] = probation_a.records  # NOMS and CRN: not there yet
    probation_a.records = []
    probation_b.records = [person("probation-b", "B9", CRN)]
    gateway = Gateway(list(regions))
    index = gateway.runtime.index
    assert index is not None
    older = (await lookup(gateway, NOMS.value))["id"]
    await asyncio.sleep(0.01)  # minted later
    newer = (await lookup(gateway, CRN.value))["id"]
    assert older != newer
    probation_a.records = linking
    old = datetime.now(UTC) - timedelta(days=2)
    await index.remember(Sighting(tuple(prison.records)), old)  # the NOMS entry expires
    merged = await lookup(gateway, NOMS.value)
    assert merged["id"] == older
    assert {r["localId"] for r in merged["records"]} == {"P1", "A1", "B9"}
    for text in (older, newer):
        data, errors = await gateway.execute("query($id: ID!) { node(id: $id) { id } }", id=text)
        assert errors == [] and data["node"]["id"] == older
        assert (await lookup(gateway, text))["id"] == older


async def test_facts_a_find_reply_carries_are_not_asked_beside_it() -> None:
    """A region whose find replies carry the offender managers (``find_includes``): the warm
    lookup's confirmation primes them, so the managers are not asked in the same round too."""
    rounds = Rounds()
    prison, probation_a, probation_b = estate(rounds)
    allocated = manager("probation-a", "A1", "COM001", date(2026, 5, 1))
    [record] = probation_a.records
    probation_a.records = [replace(record, included=IncludedFacts(managers=(allocated,)))]
    probation_a.find_includes = frozenset({C.MANAGERS_FOR})  # type: ignore[misc]
    gateway = Gateway([prison, probation_a, probation_b])
    query = "query($id: String!) { offender(identifier: $id) { id offenderManager { staffCode } } }"
    cold, errors = await gateway.execute(query, id=NOMS.value)
    assert errors == [] and cold["offender"]["offenderManager"] == {"staffCode": "COM001"}
    forget_calls(prison, probation_a, probation_b)
    rounds.depths.clear()
    warm, errors = await gateway.execute(query, id=NOMS.value)
    assert errors == [] and warm == cold
    assert probation_a.calls == [(C.FIND_BY_IDENTIFIERS, (NOMS,))]  # no MANAGERS_FOR beside it
    assert rounds.count() == 1


async def test_facts_a_find_reply_may_not_carry_are_asked_in_the_same_round() -> None:
    rounds = Rounds()
    regions = estate(rounds)
    _, probation_a, _ = regions
    gateway = Gateway(list(regions))
    query = "query($id: String!) { offender(identifier: $id) { offenderManager { staffCode } } }"
    await gateway.execute(query, id=NOMS.value)
    forget_calls(*regions)
    rounds.depths.clear()
    warm, errors = await gateway.execute(query, id=NOMS.value)
    assert errors == [] and warm["offender"]["offenderManager"] == {"staffCode": "COM001"}
    assert sorted(c for c, _ in probation_a.calls) == [C.FIND_BY_IDENTIFIERS, C.MANAGERS_FOR]
    assert rounds.count() == 1
