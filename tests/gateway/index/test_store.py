"""The person index on SQLite and PostgreSQL: stable ids, merges, undone links, expiry, keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.identity.index import Sighting
from gateway.identity.index.store import PersonIndex

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")
OTHER_NOMS = Identifier(IdentifierKind.NOMS, "A9999ZZ")
OTHER_PNC = Identifier(IdentifierKind.PNC, "2001/0000001Z")


def record(region: str, local_id: str, *ids: Identifier, surname: str = "Smith") -> PersonRecord:
    name = PersonName("Ann", surname, "Jo")
    alias = PersonName("Anne", surname)
    return PersonRecord(region, local_id, ids, name, date(1980, 1, 2), (alias,), "F")


PRISON = record("prison", "P1", NOMS)
PROBATION = record("probation", "A1", NOMS, CRN)
COURT = record("court", "C1", CRN, PNC)


EVERY_REGION = ("prison", "probation", "court", "court-2")
STILL_LINKED = {("probation", "A1"), ("court", "C1"), ("court-2", "D1")}


def seen(*records: PersonRecord, settled: tuple[str, ...] = ()) -> Sighting:
    return Sighting(records, frozenset(settled))


async def test_a_person_is_remembered_with_their_records_and_located_by_any_identifier(
    index: PersonIndex,
) -> None:
    person_id = await index.remember(seen(PRISON, PROBATION), NOW)
    assert person_id.startswith("P") and len(person_id) == 17
    for identifier in (NOMS, CRN):
        found = await index.locate(identifier)
        assert found is not None and found.id == person_id
        assert {r.key for r in found.records} == {("prison", "P1"), ("probation", "A1")}
    found = await index.person(person_id)
    assert found is not None
    stored = {r.key: r.record for r in found.records}
    assert stored[("probation", "A1")] == PROBATION  # the snapshot: name, aliases, dob, gender
    assert all(r.confirmed_at == NOW for r in found.records)
    assert await index.locate(PNC) is None
    stats = await index.stats()
    assert (stats.people, stats.records) == (1, 2) and stats.bytes > 0


async def test_the_id_holds_when_a_region_is_down_and_when_a_record_joins(
    index: PersonIndex,
) -> None:
    first = await index.remember(seen(PRISON, PROBATION, settled=("prison", "probation")), NOW)
    # probation down: the walk found only the prison record, and probation is not settled
    assert await index.remember(seen(PRISON, settled=("prison",)), NOW) == first
    found = await index.person(first)
    assert found is not None and len(found.records) == 2
    # a new record joins by a shared identifier (its region newly holds them)
    assert await index.remember(seen(PRISON, PROBATION, COURT, settled=("court",)), NOW) == first
    # a record joins while the others' regions are down: linked through the index's identifiers
    late = record("wales", "W1", CRN)
    assert await index.remember(seen(late, settled=("wales",)), NOW) == first
    found = await index.person(first)
    assert found is not None and len(found.records) == 4


async def test_a_link_between_two_people_keeps_the_older_id_and_retires_the_other(
    index: PersonIndex,
) -> None:
    older = await index.remember(seen(PRISON), NOW)
    newer = await index.remember(seen(COURT), NOW + timedelta(seconds=1))
    assert older != newer
    # the probation record holds NOMS and CRN: one person
    merged = await index.remember(seen(PRISON, PROBATION, COURT), NOW + timedelta(seconds=2))
    assert merged == older
    for asked in (older, newer):
        found = await index.person(asked)
        assert found is not None and found.id == older  # the retired id answers the survivor
        assert len(found.records) == 3
    # a later merge forwards the earlier retirement too
    third = await index.remember(seen(record("x", "X1", OTHER_NOMS)), NOW - timedelta(days=1))
    await index.remember(
        seen(PRISON, PROBATION, COURT, record("x", "X1", OTHER_NOMS, PNC, surname="Smyth")),
        NOW + timedelta(seconds=3),
    )
    for asked in (older, newer, third):
        found = await index.person(asked)
        assert found is not None and found.id == third
    assert (await index.stats()).people == 1


async def test_an_undone_link_splits_the_person_the_larger_part_keeping_the_id(
    index: PersonIndex,
) -> None:
    court_2 = record("court-2", "D1", CRN)
    person_id = await index.remember(seen(PRISON, PROBATION, COURT, court_2), NOW)
    # a NOMS number removed from the prison record: probation (settled) and the courts link,
    # the prison record no longer does
    prison_now = record("prison", "P1", OTHER_PNC)
    kept = await index.remember(
        seen(PROBATION, COURT, court_2, settled=("prison", "probation", "court", "court-2")), NOW
    )
    assert kept == person_id
    split = await index.locate(NOMS)
    assert split is not None and split.id == person_id  # probation still holds the NOMS number
    left = await index.remember(seen(prison_now, settled=("prison",)), NOW)
    assert left != person_id
    found = await index.person(person_id)
    assert found is not None
    assert {r.key for r in found.records} == {
        ("probation", "A1"),
        ("court", "C1"),
        ("court-2", "D1"),
    }


async def test_the_smaller_part_of_a_split_gets_a_new_id(index: PersonIndex) -> None:
    court_2 = record("court-2", "D1", CRN, PNC)
    person_id = await index.remember(seen(PRISON, PROBATION, COURT, court_2), NOW)
    # looked up from the prison record alone, every region settled: three records left it
    alone = await index.remember(
        seen(
            record("prison", "P1", OTHER_NOMS), settled=("prison", "probation", "court", "court-2")
        ),
        NOW,
    )
    assert alone != person_id
    found = await index.person(person_id)
    assert found is not None
    assert {r.key for r in found.records} == {
        ("probation", "A1"),
        ("court", "C1"),
        ("court-2", "D1"),
    }
    moved = await index.person(alone)
    assert moved is not None and [r.key for r in moved.records] == [("prison", "P1")]


async def test_forgetting_a_record_and_a_conflict_are_misses(index: PersonIndex) -> None:
    person_id = await index.remember(seen(PRISON, PROBATION), NOW)
    await index.forget("prison", "P1")
    found = await index.person(person_id)
    assert found is not None and [r.key for r in found.records] == [("probation", "A1")]
    # a record holding the NOMS number and a PNC the person lacks: the same person
    assert await index.remember(seen(record("y", "Y1", NOMS, OTHER_PNC)), NOW) == person_id
    # one holding their CRN under another PNC contradicts them: never merged
    assert await index.remember(seen(COURT), NOW) != person_id
    # another claims the NOMS number under another CRN: never merged, and locating it misses
    other_crn = Identifier(IdentifierKind.CRN, "X999999")
    assert await index.remember(seen(record("z", "Z1", NOMS, other_crn)), NOW) != person_id
    assert await index.locate(NOMS) is None
    assert await index.locate(CRN) is None  # the court record claims it too
    found = await index.locate(OTHER_PNC)
    assert found is not None and found.id == person_id


async def test_expiry_is_judged_by_when_each_record_was_confirmed(index: PersonIndex) -> None:
    await index.remember(seen(PRISON, PROBATION), NOW - timedelta(days=2))
    await index.remember(seen(PRISON, settled=("prison",)), NOW)  # probation down: not confirmed
    found = await index.locate(NOMS)
    assert found is not None
    assert not found.fresh(NOW, timedelta(days=1))
    await index.remember(seen(PRISON, PROBATION), NOW)
    found = await index.locate(NOMS)
    assert found is not None and found.fresh(NOW, timedelta(days=1))


async def test_candidates_are_the_records_holding_most_of_the_keys(index: PersonIndex) -> None:
    keys = {("prison", "P1"): ("s:SMITH", "d:1980"), ("probation", "A1"): ("s:SMITH",)}
    await index.remember(Sighting((PRISON, PROBATION), keys=keys), NOW)
    found = await index.candidates(["s:SMITH", "d:1980", "s:SMITH"], limit=10)
    assert [r.key for r in found] == [("prison", "P1"), ("probation", "A1")]
    assert found[0].keys == ("s:SMITH", "d:1980")
    assert [r.key for r in await index.candidates(["d:1980"], limit=10)] == [("prison", "P1")]
    assert len(await index.candidates(["s:SMITH"], limit=1)) == 1
    assert await index.candidates(["s:JONES"], limit=10) == []
    # keys are replaced when the record is seen again
    await index.remember(Sighting((PRISON,), keys={("prison", "P1"): ("s:JONES",)}), NOW)
    assert [r.key for r in await index.candidates(["s:JONES"], limit=10)] == [("prison", "P1")]
    assert [r.key for r in await index.candidates(["d:1980"], limit=10)] == []
