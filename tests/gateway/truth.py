"""What the gateway should answer for a person, computed from the simulators' own stores."""

from __future__ import annotations

from typing import Any

from connectors.identifiers import Identifier, IdentifierKind, try_parse_identifier
from simulators.stores import PrisonerRecord, ProbationCase, Record
from simulators.truth import Estate, TruePerson


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
    """Whether the person's records form one component through shared strong identifiers."""
    records = [identifiers_of(r) for _, r in estate.records_of(person.person_id)]
    linked, pending = records[:1], records[1:]
    while pending:
        joined = [r for r in pending if any(r & seen for seen in linked)]
        if not joined:
            return False
        linked += joined
        pending = [r for r in pending if r not in joined]
    return True


def expected(estate: Estate, person: TruePerson) -> dict[str, Any]:
    """The merged answer for a person, field by field, in the gateway's JSON shapes."""
    custody, supervision, timeline, managers = [], [], [], []
    for system, record in estate.records_of(person.person_id):
        if isinstance(record, PrisonerRecord):
            custody += [
                (system, b.prison_id, b.start.isoformat(), _iso(b.end), b.legal_status, b.active)
                for b in record.bookings
            ]
            timeline += [
                (m.occurred_on.isoformat(), m.movement_type, system) for m in record.movements
            ]
        else:
            for s in record.supervisions:
                supervision.append(
                    (system, s.kind, s.probation_region, s.start.isoformat(), _iso(s.end), s.active)
                )
                timeline.append((s.start.isoformat(), "SUPERVISION_STARTED", system))
                if s.end:
                    timeline.append((s.end.isoformat(), "SUPERVISION_ENDED", system))
            managers += [m.staff_code for m in record.managers if m.responsible_officer]
    return {
        "records": sorted(person.slices.items()),
        "custody": sorted(custody),
        "supervision": sorted(supervision),
        "timeline": sorted(timeline),
        "manager": managers[0] if managers else None,
    }


def actual(offender: dict[str, Any]) -> dict[str, Any]:
    """The same view of a gateway answer."""
    manager = offender["offenderManager"]
    return {
        "records": sorted((r["region"], r["localId"]) for r in offender["records"]),
        "custody": sorted(
            (
                c["region"],
                c["prisonId"],
                c["startDate"],
                c["endDate"],
                c["legalStatus"],
                c["active"],
            )
            for c in offender["custody"]
        ),
        "supervision": sorted(
            (
                s["region"],
                s["kind"],
                s["probationRegion"],
                s["startDate"],
                s["endDate"],
                s["active"],
            )
            for s in offender["supervision"]
        ),
        "timeline": sorted((t["date"], t["type"], t["region"]) for t in offender["timeline"]),
        "manager": manager["staffCode"] if manager else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
