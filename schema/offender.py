"""The Offender type: one person merged from every region, resolved through the loaders."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from connectors import records
from connectors.base import Capability
from connectors.identifiers import IdentifierKind
from gateway.context import GatewayContext
from gateway.fetch import Collected, collect
from gateway.identity import MergedPerson
from gateway.summary import derive_status, responsible_officer, timeline
from schema import types

GatewayInfo = Info[GatewayContext, None]


def _path(info: GatewayInfo) -> tuple[str | int, ...]:
    return tuple(info.path.as_list())


async def _collect(info: GatewayInfo, person: MergedPerson, capability: Capability) -> Collected:
    return await collect(info.context, person, capability, _path(info))


@strawberry.type(description="One person, merged from every region that knows them.")
class Offender:
    person: strawberry.Private[MergedPerson]

    @strawberry.field(description="Stable gateway id, derived from strong identifiers.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.person.id)

    @strawberry.field
    def identifiers(self) -> types.Identifiers:
        ids = self.person.identifiers
        return types.Identifiers(
            noms_number=ids.get(IdentifierKind.NOMS),
            crn=ids.get(IdentifierKind.CRN),
            pnc_number=ids.get(IdentifierKind.PNC),
            cro_number=ids.get(IdentifierKind.CRO),
        )

    @strawberry.field(description="The spelling most regions agree on.")
    def name(self) -> types.PersonName:
        return _name(self.person.name)

    @strawberry.field(description="Every other spelling or alias any region holds.")
    def aliases(self) -> list[types.PersonName]:
        return [_name(n) for n in self.person.aliases]

    @strawberry.field(description="The date of birth most regions agree on.")
    def date_of_birth(self) -> date | None:
        return self.person.date_of_birth

    @strawberry.field(description="Derived from custody and supervision in every region.")
    async def status(self, info: GatewayInfo) -> types.OffenderStatus:
        custody, supervision = await asyncio.gather(
            _collect(info, self.person, Capability.CUSTODY_FOR),
            _collect(info, self.person, Capability.SUPERVISION_FOR),
        )
        complete = not (custody.failed_regions or supervision.failed_regions)
        return types.OffenderStatus(derive_status(custody.items, supervision.items, complete))

    @strawberry.field(description="The responsible officer (POM or COM), end to end.")
    async def offender_manager(self, info: GatewayInfo) -> types.OffenderManager | None:
        managers = await _collect(info, self.person, Capability.MANAGERS_FOR)
        manager = responsible_officer(managers.items)
        if manager is None:
            return None
        converted: types.OffenderManager = _convert(
            manager, types.OffenderManager, allocated=manager.allocated
        )
        return converted

    @strawberry.field(description="Custody episodes from every prison system, oldest first.")
    async def custody(self, info: GatewayInfo) -> list[types.CustodyEpisode]:
        found = await _collect(info, self.person, Capability.CUSTODY_FOR)
        episodes = sorted(found.items, key=lambda c: c.start_date)
        return [
            _convert(c, types.CustodyEpisode, sentence=_convert(c.sentence, types.SentenceDates))
            for c in episodes
        ]

    @strawberry.field(description="Supervision episodes from every probation system, oldest first.")
    async def supervision(self, info: GatewayInfo) -> list[types.SupervisionEpisode]:
        found = await _collect(info, self.person, Capability.SUPERVISION_FOR)
        return [
            _convert(s, types.SupervisionEpisode)
            for s in sorted(found.items, key=lambda s: s.start_date)
        ]

    @strawberry.field(description="Every movement and supervision change, in time order.")
    async def timeline(self, info: GatewayInfo) -> list[types.TimelineEvent]:
        movements, supervision = await asyncio.gather(
            _collect(info, self.person, Capability.MOVEMENTS_FOR),
            _collect(info, self.person, Capability.SUPERVISION_FOR),
        )
        known = set(types.TimelineEventType.__members__)
        return [
            types.TimelineEvent(
                date=e.on,
                type=types.TimelineEventType[e.type if e.type in known else "OTHER"],
                description=e.description,
                region=e.region,
                location=e.location,
            )
            for e in timeline(movements.items, supervision.items)
        ]

    @strawberry.field(description="Prison alerts and probation registrations, active first.")
    async def alerts(self, info: GatewayInfo) -> list[types.Alert]:
        found = await _collect(info, self.person, Capability.ALERTS_FOR)
        ordered = sorted(found.items, key=lambda a: (not a.active, a.region, a.type, a.code))
        return [_convert(a, types.Alert) for a in ordered]

    @strawberry.field(description="Provenance: the regional records merged into this offender.")
    def records(self, info: GatewayInfo) -> list[types.SourceRecord]:
        return [
            types.SourceRecord(
                region=r.region,
                system_kind=info.context.connectors[r.region].config.kind,
                local_id=r.local_id,
                matched_by=_matched_by(self.person, r),
                fetched_at=info.context.loaders.fetched_at.get(r.region),
            )
            for r in self.person.records
        ]


def _matched_by(person: MergedPerson, record: records.PersonRecord) -> list[str]:
    others = {i for r in person.records if r is not record for i in r.identifiers}
    shared = [i for i in record.identifiers if i in others] if others else list(record.identifiers)
    return sorted({i.kind.value for i in shared})


def _name(name: records.PersonName) -> types.PersonName:
    return types.PersonName(
        forename=name.forename, middle_names=name.middle_names, surname=name.surname
    )


def _convert(record: Any, cls: Any, **overrides: Any) -> Any:
    """Build a GraphQL object from a domain record with the same field names."""
    values = {
        f.name: getattr(record, f.name)
        for f in dataclasses.fields(cls)
        if f.name not in overrides and hasattr(record, f.name)
    }
    return cls(**values, **overrides)
