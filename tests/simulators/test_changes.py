"""People moving and records merging while the estate runs (simulators/changes.py), directly and
through each system's ``/_sim/move`` and ``/_sim/merge`` endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connectors.identifiers import IdentifierKind
from simulators import changes
from simulators.changes import ChangeError
from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.stores import PrisonerRecord, ProbationCase
from simulators.truth import Estate, TruePerson


@pytest.fixture
def small() -> Estate:
    return generate_estate(seed=5, people=400)


def in_custody(estate: Estate, system: str) -> TruePerson:
    """Someone with an active booking in ``system`` and an identifier on it."""
    for person in estate.people.values():
        record = estate.systems[system].records.get(person.slices.get(system, ""))
        if (
            isinstance(record, PrisonerRecord)
            and record.noms_number
            and any(b.active for b in record.bookings)
            and len([s for s in person.slices if s.startswith("prison-")]) == 1
        ):
            return person
    raise AssertionError(f"nobody in custody in {system}")


def supervised(estate: Estate, system: str) -> TruePerson:
    for person in estate.people.values():
        record = estate.systems[system].records.get(person.slices.get(system, ""))
        if isinstance(record, ProbationCase) and any(s.active for s in record.supervisions):
            return person
    raise AssertionError(f"nobody supervised in {system}")


def test_a_transfer_within_the_system_moves_the_active_booking(small: Estate) -> None:
    person = in_custody(small, "prison-north")
    record = small.systems["prison-north"].records[person.slices["prison-north"]]
    assert isinstance(record, PrisonerRecord)
    booking = next(b for b in record.bookings if b.active)
    target = next(p for p in ("LEI", "MDI") if p != booking.prison_id)
    moved = changes.move(small, "prison-north", record.local_id, target)
    assert moved == changes.Moved("prison-north", record.local_id)
    assert booking.prison_id == target
    assert (record.movements[-1].movement_type, record.movements[-1].to_location) == (
        "TRANSFERRED",
        target,
    )


def test_a_move_to_another_system_takes_the_record_there_under_a_new_id(small: Estate) -> None:
    person = in_custody(small, "prison-north")
    old_id = person.slices["prison-north"]
    noms = small.systems["prison-north"].records[old_id].noms_number
    assert noms is not None
    moved = changes.move(small, "prison-north", old_id, "WWI")
    assert moved.system == "prison-south" and moved.local_id.startswith("PS")
    assert moved.local_id not in {old_id} and "prison-north" not in person.slices
    assert person.slices["prison-south"] == moved.local_id
    assert small.systems["prison-north"].find(IdentifierKind.NOMS, noms) == []
    found = small.systems["prison-south"].find(IdentifierKind.NOMS, noms)
    assert [r.local_id for r in found] == [moved.local_id]
    assert small.owners()[("prison-south", moved.local_id)] == person.person_id


def test_a_probation_case_moves_region(small: Estate) -> None:
    person = supervised(small, "probation-london")
    local_id = person.slices["probation-london"]
    moved = changes.move(small, "probation-london", local_id, "N54")
    assert moved.system == "probation-north"
    case = small.systems["probation-north"].records[moved.local_id]
    assert isinstance(case, ProbationCase)
    assert next(s for s in case.supervisions if s.active).probation_region == "N54"


def test_moves_the_estate_cannot_make_say_why(small: Estate) -> None:
    person = in_custody(small, "prison-north")
    local_id = person.slices["prison-north"]
    with pytest.raises(ChangeError, match="'N07' is not a prison id of the estate"):
        changes.move(small, "prison-north", local_id, "N07")
    with pytest.raises(changes.UnknownRecord, match="holds no record 'nope'"):
        changes.move(small, "prison-north", "nope", "LEI")


def test_a_merge_retires_the_losers_number_and_moves_its_history(small: Estate) -> None:
    store = small.systems["probation-london"]
    survivor_person = supervised(small, "probation-london")
    loser_person = next(
        p
        for p in small.people.values()
        if "probation-london" in p.slices and p is not survivor_person and p.crn
    )
    survivor = store.records[survivor_person.slices["probation-london"]]
    loser = store.records[loser_person.slices["probation-london"]]
    assert isinstance(survivor, ProbationCase) and isinstance(loser, ProbationCase)
    episodes = len(survivor.supervisions) + len(loser.supervisions)
    loser_crn, loser_id = loser.crn, loser.local_id
    retired = changes.merge(small, "probation-london", loser_id, survivor.local_id)
    assert retired == [loser_crn]
    assert survivor_person.retired_crns == {loser_crn: survivor.crn}
    assert loser_id not in store.records and "probation-london" not in loser_person.slices
    assert store.find(IdentifierKind.CRN, loser_crn) == []
    assert len(survivor.supervisions) == episodes
    assert (loser.forename, loser.surname) in {(a.forename, a.surname) for a in survivor.aliases}
    assert survivor in store.search(loser.surname)
    with pytest.raises(ChangeError, match="into itself"):
        changes.merge(small, "probation-london", survivor.local_id, survivor.local_id)


def test_a_new_local_id_follows_the_highest() -> None:
    estate = generate_estate(seed=5, people=50)
    store = estate.systems["prison-wales"]
    highest = max(store.records, key=lambda i: (len(i), i))
    assert changes.next_local_id(store) == str(int(highest) + 1)


# ---- over HTTP ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def running() -> Iterator[RunningEstate]:
    with RunningEstate(generate_estate(seed=6, people=300)) as running:
        yield running


def test_the_move_endpoint_moves_a_person_between_systems(running: RunningEstate) -> None:
    person = in_custody(running.estate, "prison-north")
    url = running.systems["prison-north"].url + "_sim/move"
    answer = httpx.post(url, json={"localId": person.slices["prison-north"], "to": "EXI"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["system"] == "prison-south" and person.slices["prison-south"] == body["localId"]


def test_the_merge_endpoint_merges_two_records(running: RunningEstate) -> None:
    store = running.estate.systems["prison-south"]
    loser, survivor = [r for r in store.records.values() if r.noms_number][:2]
    loser_noms = loser.noms_number
    url = running.systems["prison-south"].url + "_sim/merge"
    answer = httpx.post(url, json={"loser": loser.local_id, "survivor": survivor.local_id})
    assert answer.status_code == 200
    assert answer.json() == {
        "system": "prison-south",
        "localId": survivor.local_id,
        "retired": [loser_noms],
    }
    assert loser.local_id not in store.records


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("_sim/move", {"localId": "nope", "to": "LEI"}, 404, "prison-north holds no record 'nope'"),
        ("_sim/move", {"localId": 7}, 400, "expected a JSON object with localId and to (strings)"),
        ("_sim/merge", ["a"], 400, "expected a JSON object with loser and survivor (strings)"),
    ],
)
def test_the_endpoints_refuse_what_they_cannot_do(
    running: RunningEstate, path: str, body: object, status: int, error: str
) -> None:
    answer = httpx.post(running.systems["prison-north"].url + path, json=body)
    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_other_control_endpoints_still_answer(running: RunningEstate) -> None:
    assert httpx.get(running.systems["prison-north"].url + "_sim/counters").status_code == 200
