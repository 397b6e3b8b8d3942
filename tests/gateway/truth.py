"""What the gateway should answer for a person, computed from the simulators' own stores.

The oracle compares every field an end-to-end query asks for: identifiers, status, manager,
custody, supervision and alerts in their documented order, the timeline in date order, each
record's ``matchedBy``, and every region's outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.identifiers import Identifier, IdentifierKind, try_parse_identifier
from simulators.stores import PrisonerRecord, ProbationCase, Record
from simulators.truth import Estate, TruePerson

STATUS_BY_KIND = {
    "LICENCE": "ON_LICENCE",
    "POST_SENTENCE_SUPERVISION": "POST_SENTENCE_SUPERVISION",
    "COMMUNITY_ORDER": "COMMUNITY_ORDER",
    "SUSPENDED_SENTENCE_ORDER": "COMMUNITY_ORDER",
}


def identifiers_of(record: Record) -> set[Identifier]:
    pairs = [
        (IdentifierKind.NOMS, record.noms_number),
        (IdentifierKind.PNC, record.pnc_number),
        (IdentifierKind.CRO, record.cro_number),
    ]
    if isinstance(record, ProbationCase):
        pairs.append((IdentifierKind.CRN, record.crn))
    return {i for kind, raw in pairs if (i := try_parse_identifier(raw, kind))}


def strongly_linked(estate: Estate, person: TruePerson) -> bool:
    """Whether the person's records form one component through shared strong identifiers, with
    one value of each kind (a stale or wrongly copied NOMS number or CRN is a conflict)."""
    records = [identifiers_of(r) for _, r in estate.records_of(person.person_id)]
    kinds = [i.kind for i in set().union(*records)]
    if len(kinds) != len(set(kinds)):
        return False
    linked, pending = records[:1], records[1:]
    while pending:
        joined = [r for r in pending if any(r & seen for seen in linked)]
        if not joined:
            return False
        linked += joined
        pending = [r for r in pending if r not in joined]
    return True


def spelled_alike(estate: Estate, person: TruePerson) -> bool:
    """Whether every record holds the person's own name and date of birth (no dirt in them)."""
    return all(
        (r.forename, r.surname, r.date_of_birth)
        == (person.forename, person.surname, person.date_of_birth)
        for _, r in estate.records_of(person.person_id)
    )


def true_status(estate: Estate, person: TruePerson) -> str:
    """IN_CUSTODY with an active booking, else the latest-started active supervision."""
    records = [r for _, r in estate.records_of(person.person_id)]
    if any(b.active for r in records if isinstance(r, PrisonerRecord) for b in r.bookings):
        return "IN_CUSTODY"
    active = sorted(
        (s for r in records if isinstance(r, ProbationCase) for s in r.supervisions if s.active),
        key=lambda s: s.start,
    )
    return STATUS_BY_KIND[active[-1].kind] if active else "NOT_SUPERVISED"


def expected(estate: Estate, person: TruePerson) -> dict[str, Any]:
    """The merged answer for a person, field by field, in the gateway's JSON shapes and orders."""
    custody, supervision, timeline, managers, alerts = [], [], [], [], []
    holdings = estate.records_of(person.person_id)
    all_ids = [(system, identifiers_of(record)) for system, record in holdings]
    matched = {}
    for system, record in holdings:
        mine = identifiers_of(record)
        others = (
            set().union(*(ids for s, ids in all_ids if s != system)) if len(all_ids) > 1 else None
        )
        shared = mine & others if others is not None else mine
        matched[(system, record.local_id)] = sorted({i.kind.value for i in shared})
        if isinstance(record, PrisonerRecord):
            custody += [
                (
                    b.start.isoformat(),
                    system,
                    str(b.booking_id),
                    b.prison_id,
                    _iso(b.end),
                    b.legal_status,
                    b.active,
                )
                for b in record.bookings
            ]
            timeline += [
                (m.occurred_on.isoformat(), m.movement_type, system) for m in record.movements
            ]
            alerts += [
                (not a.active, system, a.type, a.code, "PRISON_ALERT") for a in record.alerts
            ]
        else:
            for s in record.supervisions:
                supervision.append(
                    (
                        s.start.isoformat(),
                        system,
                        s.episode_id,
                        s.kind,
                        s.probation_region,
                        _iso(s.end),
                        s.active,
                    )
                )
                timeline.append((s.start.isoformat(), "SUPERVISION_STARTED", system))
                if s.end:
                    timeline.append((s.end.isoformat(), "SUPERVISION_ENDED", system))
            managers += [m for m in record.managers if m.responsible_officer]
            alerts += [
                (not a.active, system, a.type, a.code, "PROBATION_REGISTRATION")
                for a in record.registrations
            ]
    manager = max(managers, key=lambda m: m.allocated_on or date.min, default=None)
    return {
        "records": sorted(person.slices.items()),
        "matchedBy": matched,
        "status": true_status(estate, person),
        "custody": sorted(custody),
        "supervision": sorted(supervision),
        "alerts": sorted(alerts),
        "timeline": sorted(timeline),
        "manager": manager.staff_code if manager else None,
    }


def actual(offender: dict[str, Any]) -> dict[str, Any]:
    """The same view of a gateway answer, keeping the gateway's own order of every list."""
    manager = offender["offenderManager"]
    dates = [t["date"] for t in offender["timeline"]]
    assert dates == sorted(dates), "timeline out of date order"
    return {
        "records": sorted((r["region"], r["localId"]) for r in offender["records"]),
        "matchedBy": {(r["region"], r["localId"]): r["matchedBy"] for r in offender["records"]},
        "status": offender["status"],
        "custody": [
            (
                c["startDate"],
                c["region"],
                c["bookingId"],
                c["prisonId"],
                c["endDate"],
                c["legalStatus"],
                c["active"],
            )
            for c in offender["custody"]
        ],
        "supervision": [
            (
                s["startDate"],
                s["region"],
                s["episodeId"],
                s["kind"],
                s["probationRegion"],
                s["endDate"],
                s["active"],
            )
            for s in offender["supervision"]
        ],
        "alerts": [
            (not a["active"], a["region"], a["type"], a["code"], a["source"])
            for a in offender["alerts"]
        ],
        "timeline": sorted((t["date"], t["type"], t["region"]) for t in offender["timeline"]),
        "manager": manager["staffCode"] if manager else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
