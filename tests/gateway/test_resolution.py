"""gateway.resolution: the identity walk over fake regions, through the real loaders."""

from __future__ import annotations

from auth.principal import Principal
from connectors.base import Capability
from connectors.errors import RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.outcomes import Outcome, RegionFailure, Stage
from gateway.resolution import Walk, walk
from tests.gateway.inprocess import FakeRegion, Gateway, person

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")
C = Capability


async def run(gateway: Gateway, *identifiers: Identifier) -> Walk:
    service = gateway.runtime.context(Principal.development()).service
    return await walk(service.loaders, service.directory, [], identifiers)


def finds(region: FakeRegion) -> list[tuple[object, ...]]:
    return [keys for c, keys in region.calls if c is C.FIND_BY_IDENTIFIERS]


async def test_the_walk_follows_new_identifiers_round_by_round() -> None:
    prison = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", NOMS)])
    probation = FakeRegion(
        "probation", SystemKind.PROBATION, [person("probation", "A1", NOMS, CRN)]
    )
    court = FakeRegion("court", SystemKind.PROBATION, [person("court", "C1", CRN, PNC)])
    found = await run(Gateway([prison, probation, court]), NOMS)
    assert set(found.records) == {("prison", "P1"), ("probation", "A1"), ("court", "C1")}
    assert finds(prison) == [(NOMS,), (CRN,), (PNC,)]
    assert finds(court) == [(NOMS,), (CRN,)]  # not the PNC of C1, found there already
    assert found.asked == {"prison", "probation", "court"}
    assert found.ledger.failures == []
    assert [found.ledger.outcome(r, "").outcome for r in ("prison", "court")] == [
        Outcome.OK,
        Outcome.OK,
    ]


async def test_a_failed_region_does_not_stop_the_others_answers_being_used() -> None:
    # The failing region is asked first in the round; the answers after it still count.
    first = FakeRegion("first", SystemKind.CUSTODY, [person("first", "F1", NOMS)])
    first.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("first", "down")
    second = FakeRegion("second", SystemKind.PROBATION, [person("second", "S1", NOMS, CRN)])
    third = FakeRegion("third", SystemKind.PROBATION, [person("third", "T1", CRN)])
    found = await run(Gateway([first, second, third]), NOMS)
    assert set(found.records) == {("second", "S1"), ("third", "T1")}
    assert found.ledger.failures == [
        RegionFailure("first", "REGION_UNAVAILABLE", "down", Stage.IDENTITY)
    ]
    assert found.ledger.outcome("second", "").outcome is Outcome.OK


async def test_only_records_carrying_the_asked_identifier_are_followed() -> None:
    stranger = person("probation", "Z9", Identifier(IdentifierKind.CRN, "X999999"))
    prison = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", NOMS)])
    probation = FakeRegion("probation", SystemKind.PROBATION, [])
    probation.extra = [stranger]
    found = await run(Gateway([prison, probation]), NOMS)
    assert set(found.records) == {("prison", "P1")}
    assert finds(prison) == [(NOMS,)]
    assert finds(probation) == [(NOMS,)]


async def test_a_region_that_cannot_find_by_the_kind_is_not_asked() -> None:
    prison = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", NOMS)])
    probation = FakeRegion(
        "probation", SystemKind.PROBATION, [person("probation", "A1", NOMS, CRN)]
    )
    probation.identifier_kinds = frozenset({IdentifierKind.CRN})  # type: ignore[misc]
    found = await run(Gateway([prison, probation]), NOMS)
    assert set(found.records) == {("prison", "P1")}
    assert finds(probation) == []
    assert found.asked == {"prison"}
