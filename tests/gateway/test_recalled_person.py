"""A recalled person end to end: found in the simulated estate's truth, queried through GraphQL,
and compared field by field with what the simulators' stores hold (and, the same way, one held on
recall now).

The life the analyst asks about: custody in one prison group, licence, recall to custody in
another prison group, licence again in another probation system. The default estate holds such
lives (the test says so if it ever does not); one supervised now is preferred, so status,
location and manager are not all empty. A second person, held on recall now, covers ``recalled``
and a prison location; a third, who escaped from an open booking (``simulators.lives.escape``),
covers ``unlawfullyAtLarge``, which :func:`at_large` reads from the stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from simulators.layout import PRISONS
from simulators.stores import Booking, ManagerRow, MovementRow, PrisonerRecord, ProbationCase
from simulators.truth import Estate, TruePerson
from tests.conftest import GraphQLCall
from tests.gateway.truth import spelled_alike, strongly_linked, true_status

QUERY = """
query($id: String!) {
  offender(identifier: $id) {
    status recalled unlawfullyAtLarge
    currentLocation { kind region prisonId prisonName probationRegion }
    offenderManager { region staffCode forename surname role team responsibleOfficer allocatedOn }
    timeline { date type region location description }
    custodyTerms {
      startDate endDate recall ending followedByRecall prisons
      episodes { region bookingId prisonId startDate endDate legalStatus }
    }
  }
}
"""

# The same-day order of the domain (docs: cause before effect), restated here from the brief,
# not imported: what ends, then leaving a prison, entering one, anything else, what starts.
SAME_DAY = {
    "SUPERVISION_ENDED": 0,
    "TRANSFERRED": 1,
    "RELEASED": 1,
    "ADMISSION": 2,
    "SUPERVISION_STARTED": 4,
}


# --- finding the people in the truth --------------------------------------------------------------


def bookings(estate: Estate, person: TruePerson) -> list[tuple[str, Booking]]:
    held = [
        (system, b)
        for system, record in estate.records_of(person.person_id)
        if isinstance(record, PrisonerRecord)
        for b in record.bookings
    ]
    return sorted(held, key=lambda sb: (sb[1].start, sb[0], sb[1].booking_id))


def licences(estate: Estate, person: TruePerson) -> list[tuple[str, date]]:
    found = [
        (system, s.start)
        for system, record in estate.records_of(person.person_id)
        if isinstance(record, ProbationCase)
        for s in record.supervisions
        if s.kind == "LICENCE"
    ]
    return sorted(found, key=lambda sd: sd[1])


def clean(estate: Estate, person: TruePerson) -> bool:
    """Records one lookup finds whole, with names as the truth has them, visible to all."""
    return bool(person.noms) and strongly_linked(estate, person) and spelled_alike(estate, person)


def the_life(estate: Estate, person: TruePerson) -> bool:
    """Custody, licence, recall in another prison group, licence in another probation system."""
    held = bookings(estate, person)
    recalls = [(s, b) for s, b in held if b.legal_status == "RECALL"]
    firsts = [(s, b) for s, b in held if b.legal_status != "RECALL"]
    if not recalls or not firsts or recalls[0][0] == firsts[0][0]:
        return False
    recalled_on = recalls[0][1].start
    before = [s for s, on in licences(estate, person) if on < recalled_on]
    after = [s for s, on in licences(estate, person) if on >= recalled_on]
    return bool(before and after) and before[0] != after[-1]


def recalled_life(estate: Estate) -> TruePerson:
    people = [p for p in estate.people.values() if clean(estate, p) and the_life(estate, p)]
    assert people, "the default estate holds no custody-licence-recall-licence life"
    supervised = [p for p in people if true_status(estate, p) != "NOT_SUPERVISED"]
    return (supervised or people)[0]


def held_on_recall(estate: Estate) -> TruePerson:
    people = [
        p
        for p in estate.people.values()
        if clean(estate, p)
        and any(b.active and b.legal_status == "RECALL" for _, b in bookings(estate, p))
    ]
    assert people, "the default estate holds nobody in custody on recall"
    return people[0]


def escaped(estate: Estate) -> TruePerson:
    people = [p for p in estate.people.values() if clean(estate, p) and at_large(estate, p)]
    assert people, "the default estate holds nobody unlawfully at large"
    return people[0]


# --- the truth, field by field -------------------------------------------------------------------


def true_timeline(estate: Estate, person: TruePerson) -> list[dict[str, Any]]:
    """Every movement (each system's in the order it recorded them) and every start and end of
    supervision, by date, then in the same-day order of causes and effects."""
    events: list[tuple[date, str, str, str | None, str]] = []
    supervision = []
    for system, record in estate.records_of(person.person_id):
        if isinstance(record, PrisonerRecord):
            events += [_movement(system, m) for m in record.movements]
        else:
            supervision += [(s.start, system, s.episode_id, s) for s in record.supervisions]
    for _, system, _, s in sorted(supervision, key=lambda row: row[:3]):
        what = s.kind.replace("_", " ").lower()
        events.append(
            (s.start, "SUPERVISION_STARTED", system, s.probation_region, f"{what} started")
        )
        if s.end:
            events.append((s.end, "SUPERVISION_ENDED", system, s.probation_region, f"{what} ended"))
    events.sort(key=lambda e: (e[0], SAME_DAY.get(e[1], 3)))
    return [
        {
            "date": on.isoformat(),
            "type": kind,
            "region": region,
            "location": where,
            "description": text,
        }
        for on, kind, region, where, text in events
    ]


def _movement(system: str, m: MovementRow) -> tuple[date, str, str, str | None, str]:
    return m.occurred_on, m.movement_type, system, m.to_location, m.description


def true_terms(estate: Estate, person: TruePerson) -> list[dict[str, Any]]:
    """Bookings stitched where one closed without a release (a transfer out of its prison group)
    and the next opened that day or the next; prisons from the movements in the term."""
    terms: list[list[tuple[str, Booking]]] = []
    for system, b in bookings(estate, person):
        last = terms[-1][-1][1] if terms else None
        transferred = last is not None and last.end is not None and last.release is None
        if last is not None and transferred and 0 <= (b.start - last.end).days <= 1:
            terms[-1].append((system, b))
        else:
            terms.append([(system, b)])
    moves = sorted(
        (
            m
            for system, record in estate.records_of(person.person_id)
            if isinstance(record, PrisonerRecord)
            for m in record.movements
        ),
        key=lambda m: m.occurred_on,
    )
    answer = []
    for i, term in enumerate(terms):
        first, last = term[0][1], term[-1][1]
        ending = "IN_CUSTODY" if last.active else ("RELEASED" if last.release else "ENDED")
        prisons: list[str] = []
        for m in moves:
            inside = first.start <= m.occurred_on and (last.end is None or m.occurred_on < last.end)
            stop = m.to_location if m.movement_type in ("ADMISSION", "TRANSFERRED") else None
            if inside and stop and (not prisons or prisons[-1] != stop):
                prisons.append(stop)
        nxt = terms[i + 1][0][1] if i + 1 < len(terms) else None
        answer.append(
            {
                "startDate": first.start.isoformat(),
                "endDate": None if last.active else _iso(last.end),
                "recall": first.legal_status == "RECALL",
                "ending": ending,
                "followedByRecall": ending == "RELEASED"
                and nxt is not None
                and nxt.legal_status == "RECALL",
                "prisons": prisons,
                "episodes": [
                    {
                        "region": system,
                        "bookingId": str(b.booking_id),
                        "prisonId": b.prison_id,
                        "startDate": b.start.isoformat(),
                        "endDate": _iso(b.end),
                        "legalStatus": b.legal_status,
                    }
                    for system, b in term
                ],
            }
        )
    return answer


def true_location(estate: Estate, person: TruePerson) -> dict[str, Any] | None:
    held = [(s, b) for s, b in bookings(estate, person) if b.active]
    if held:
        system, b = held[-1]
        return {
            "kind": "PRISON",
            "region": system,
            "prisonId": b.prison_id,
            "prisonName": PRISONS[b.prison_id],
            "probationRegion": None,
        }
    running = sorted(
        (s.start, system, s.probation_region)
        for system, record in estate.records_of(person.person_id)
        if isinstance(record, ProbationCase)
        for s in record.supervisions
        if s.active
    )
    if not running:
        return None
    _, system, code = running[-1]
    return {
        "kind": "PROBATION",
        "region": system,
        "prisonId": None,
        "prisonName": None,
        "probationRegion": code,
    }


def true_manager(estate: Estate, person: TruePerson) -> dict[str, Any] | None:
    flagged: list[tuple[str, ManagerRow]] = [
        (system, m)
        for system, record in estate.records_of(person.person_id)
        if isinstance(record, ProbationCase)
        for m in record.managers
        if m.responsible_officer
    ]
    if not flagged:
        return None
    system, m = max(flagged, key=lambda sm: (sm[1].allocated_on or date.min, sm[0]))
    return {
        "region": system,
        "staffCode": m.staff_code,
        "forename": m.forename,
        "surname": m.surname,
        "role": m.role,
        "team": m.team,
        "responsibleOfficer": True,
        "allocatedOn": _iso(m.allocated_on),
    }


def at_large(estate: Estate, person: TruePerson) -> bool:
    """Escaped: the simulators' last movement of a record with an open booking is ESCAPED."""
    return any(
        record.movements[-1].movement_type == "ESCAPED"
        for _, record in estate.records_of(person.person_id)
        if isinstance(record, PrisonerRecord)
        and record.movements
        and any(b.active for b in record.bookings)
    )


def truth(estate: Estate, person: TruePerson) -> dict[str, Any]:
    held = [b for _, b in bookings(estate, person) if b.active]
    return {
        "status": true_status(estate, person),
        "recalled": any(b.legal_status == "RECALL" for b in held),
        "unlawfullyAtLarge": at_large(estate, person),
        "currentLocation": true_location(estate, person),
        "offenderManager": true_manager(estate, person),
        "timeline": true_timeline(estate, person),
        "custodyTerms": true_terms(estate, person),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- the tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(estate: Estate) -> Iterator[dict[str, TruePerson]]:
    yield {
        "recalled life": recalled_life(estate),
        "held on recall": held_on_recall(estate),
        "escaped": escaped(estate),
    }


@pytest.mark.parametrize("which", ["recalled life", "held on recall", "escaped"])
def test_a_recalled_person_equals_the_ground_truth_field_by_field(
    which: str, people: dict[str, TruePerson], estate: Estate, gql: GraphQLCall
) -> None:
    person = people[which]
    status, body = gql(QUERY, id=person.noms)
    assert status == 200
    assert "errors" not in body, body["errors"]
    offender = body["data"]["offender"]
    expected = truth(estate, person)
    for field, value in expected.items():
        assert offender[field] == value, (which, person.person_id, field)
    assert offender == expected


def test_the_recalled_life_shows_each_cause_before_its_effect(
    people: dict[str, TruePerson], estate: Estate, gql: GraphQLCall
) -> None:
    person = people["recalled life"]
    _, body = gql(QUERY, id=person.noms)
    offender = body["data"]["offender"]
    events = [(e["date"], e["type"], e["region"]) for e in offender["timeline"]]
    terms = offender["custodyTerms"]
    recall = next(t for t in terms if t["recall"])
    before = terms[terms.index(recall) - 1]
    assert before["ending"] == "RELEASED" and before["followedByRecall"]
    on = recall["startDate"]
    day = [t for d, t, _ in events if d == on]
    assert day.index("SUPERVISION_ENDED") < day.index("ADMISSION")  # licence ends, then recall
    released = [t for d, t, _ in events if d == before["endDate"]]
    assert released.index("RELEASED") < released.index("SUPERVISION_STARTED")
    regions = {e["region"] for e in recall["episodes"]} | {e["region"] for e in before["episodes"]}
    assert len(regions) >= 2  # the recall is in another prison group
