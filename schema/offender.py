"""The Offender type: one person merged from every region, resolved through the service.

Each field that loses data to a failed region reports the failure at its own path. Each field but
``id`` and ``restricted`` belongs to a field group (:data:`FIELD_GROUPS`); the service's decision
says which groups the user may see: a field of another group is null (a list empty), unfetched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from auth.policy import FieldGroup
from connectors import records
from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from gateway.context import GatewayContext
from gateway.inputs import BadInput
from gateway.outcomes import RegionFailure
from gateway.service import Person, Wanted
from schema import types

GatewayInfo = Info[GatewayContext, None]

# The kinds of facts each Offender field needs: what `sources` waits for.
FIELD_KINDS: dict[str, tuple[Capability, ...]] = {
    "status": (Capability.CUSTODY_FOR, Capability.SUPERVISION_FOR),
    "offenderManager": (Capability.MANAGERS_FOR,),
    "custody": (Capability.CUSTODY_FOR,),
    "supervision": (Capability.SUPERVISION_FOR,),
    "timeline": (Capability.MOVEMENTS_FOR, Capability.SUPERVISION_FOR),
    "alerts": (Capability.ALERTS_FOR,),
}

# The field group of each Offender field (README "Roles, scopes and the policy file").
FIELD_GROUPS: dict[str, FieldGroup] = {
    "identifiers": FieldGroup.IDENTITY,
    "name": FieldGroup.IDENTITY,
    "aliases": FieldGroup.IDENTITY,
    "dateOfBirth": FieldGroup.IDENTITY,
    "records": FieldGroup.IDENTITY,
    "sources": FieldGroup.IDENTITY,
    "custody": FieldGroup.LOCATION,
    "timeline": FieldGroup.LOCATION,
    "status": FieldGroup.SENTENCE,
    "supervision": FieldGroup.SENTENCE,
    "alerts": FieldGroup.RISK,
    "offenderManager": FieldGroup.MANAGER,
}


def _path(info: GatewayInfo) -> tuple[str | int, ...]:
    return tuple(info.path.as_list())


def _report(info: GatewayInfo, failures: tuple[RegionFailure, ...]) -> None:
    info.context.report(failures, _path(info))


def selected_fields(selections: Iterable[Selection]) -> frozenset[str]:
    """The Offender fields a selection set asks for, through fragments too."""
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            names |= selected_fields(selection.selections)
    return frozenset(names)


def selected_kinds(selections: Iterable[Selection]) -> frozenset[Capability]:
    """The fact kinds an Offender selection set asks for, through fragments too."""
    return frozenset(k for name in selected_fields(selections) for k in FIELD_KINDS.get(name, ()))


def selected_groups(selections: Iterable[Selection]) -> frozenset[FieldGroup]:
    """The field groups an Offender selection set asks for (what the audit records)."""
    return frozenset(FIELD_GROUPS[n] for n in selected_fields(selections) if n in FIELD_GROUPS)


def shaped(person: Person, selections: Iterable[Selection]) -> Offender:
    """An Offender for the fields selected; ``sources`` waits only for facts the user may see."""
    names = [n for n in selected_fields(selections) if n in FIELD_KINDS]
    kinds = frozenset(k for n in names if person.allows(FIELD_GROUPS[n]) for k in FIELD_KINDS[n])
    return Offender(person=person, kinds=kinds)


@strawberry.interface(description="An object with a global id, fetchable by `node(id:)` (Relay).")
class Node:
    @strawberry.field(description="Opaque global id; reveals no personal data.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


@strawberry.federation.type(
    description="One person, merged from every region that knows them. A federation entity: "
    "other subgraphs may refer to a person by `id`, NOMS number or CRN.",
    keys=["id", "identifiers { nomsNumber }", "identifiers { crn }"],
)
class Offender(Node):
    person: strawberry.Private[Person]
    kinds: strawberry.Private[frozenset[Capability]]

    @classmethod
    async def resolve_reference(cls, info: GatewayInfo, **key: Any) -> Offender | None:
        """A reference from another subgraph (``_entities``) by one of the keys, resolved
        exactly as ``offender(identifier:)``: the same service, identity walk and errors."""
        try:
            identifier = _key_identifier(info, key)
        except BadInput as exc:
            raise bad_input(exc) from None
        return await lookup_offender(info, identifier)

    @strawberry.field(description="Opaque gateway id; reveals no personal data.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.person.id)

    @strawberry.field(
        description="True for a limited-access person this user may not see: the node then "
        "holds only `id` (every other field is null or empty)."
    )
    def restricted(self) -> bool:
        return self.person.restricted

    def _may(self, group: FieldGroup) -> bool:
        return self.person.allows(group)

    @strawberry.field(
        description="The strong identifiers every merged record holds; null without the "
        "IDENTITY field group."
    )
    def identifiers(self) -> types.Identifiers | None:
        if not self._may(FieldGroup.IDENTITY):
            return None
        ids = self.person.merged.identifiers
        return types.Identifiers(
            noms_number=ids.get(IdentifierKind.NOMS),
            crn=ids.get(IdentifierKind.CRN),
            pnc_number=ids.get(IdentifierKind.PNC),
            cro_number=ids.get(IdentifierKind.CRO),
        )

    @strawberry.field(
        description="The spelling most regions agree on; null without the IDENTITY field group."
    )
    def name(self) -> types.PersonName | None:
        if not self._may(FieldGroup.IDENTITY):
            return None
        return _name(self.person.merged.name)

    @strawberry.field(description="Every other spelling or alias any region holds.")
    def aliases(self) -> list[types.PersonName]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        return [_name(n) for n in self.person.merged.aliases]

    @strawberry.field(description="The date of birth most regions agree on.")
    def date_of_birth(self) -> date | None:
        if not self._may(FieldGroup.IDENTITY):
            return None
        return self.person.merged.date_of_birth

    @strawberry.field(
        description="Derived from custody and supervision in every region; UNKNOWN when a "
        "region that could change it failed; null without the SENTENCE field group."
    )
    async def status(self, info: GatewayInfo) -> types.OffenderStatus | None:  # type: ignore[valid-type]
        if not self._may(FieldGroup.SENTENCE):
            return None
        fact = await info.context.service.status(self.person)
        _report(info, fact.failures)
        return fact.value

    @strawberry.field(
        description="The responsible officer (POM or COM), end to end; null with an error when "
        "a region that could hold a later allocation failed."
    )
    async def offender_manager(self, info: GatewayInfo) -> types.OffenderManager | None:
        if not self._may(FieldGroup.MANAGER):
            return None
        fact = await info.context.service.manager(self.person)
        _report(info, fact.failures)
        manager = fact.value
        if manager is None:
            return None
        converted: types.OffenderManager = _convert(
            manager, types.OffenderManager, allocated=manager.allocated
        )
        return converted

    @strawberry.field(description="Custody episodes from every prison system, oldest first.")
    async def custody(self, info: GatewayInfo) -> list[types.CustodyEpisode]:
        if not self._may(FieldGroup.LOCATION):
            return []
        found = await info.context.service.custody(self.person)
        _report(info, found.failures)
        return [
            _convert(c, types.CustodyEpisode, sentence=_convert(c.sentence, types.SentenceDates))
            for c in found.items
        ]

    @strawberry.field(description="Supervision episodes from every probation system, oldest first.")
    async def supervision(self, info: GatewayInfo) -> list[types.SupervisionEpisode]:
        if not self._may(FieldGroup.SENTENCE):
            return []
        found = await info.context.service.supervision(self.person)
        _report(info, found.failures)
        return [_convert(s, types.SupervisionEpisode) for s in found.items]

    @strawberry.field(description="Every movement and supervision change, in time order.")
    async def timeline(self, info: GatewayInfo) -> list[types.TimelineEvent]:
        if not self._may(FieldGroup.LOCATION):
            return []
        found = await info.context.service.timeline(self.person)
        _report(info, found.failures)
        known = set(types.TimelineEventType.__members__)
        return [
            types.TimelineEvent(
                date=e.on,
                type=types.TimelineEventType[e.type if e.type in known else "OTHER"],
                description=e.description,
                region=e.region,
                location=e.location,
            )
            for e in found.items
        ]

    @strawberry.field(description="Prison alerts and probation registrations, active first.")
    async def alerts(self, info: GatewayInfo) -> list[types.Alert]:
        if not self._may(FieldGroup.RISK):
            return []
        found = await info.context.service.alerts(self.person)
        _report(info, found.failures)
        return [_convert(a, types.Alert) for a in found.items]

    @strawberry.field(description="Provenance: the regional records merged into this offender.")
    def records(self, info: GatewayInfo) -> list[types.SourceRecord]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        directory, service = info.context.directory, info.context.service
        return [
            types.SourceRecord(
                region=r.region,
                system_kind=directory[r.region].kind,
                local_id=r.local_id,
                matched_by=_matched_by(self.person, r),
                fetched_at=_utc(service.fetched_at(self.person, r.region)),
            )
            for r in self.person.records
        ]

    @strawberry.field(
        description="Every configured region and how it did for this person in this answer: "
        "OK, STALE (with when it was fetched), FAILED (with the code) or SKIPPED (with why). "
        "A front-end can show 'partial' from this alone."
    )
    async def sources(self, info: GatewayInfo) -> list[types.RegionOutcome]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        outcomes = await info.context.service.sources(self.person, self.kinds)
        return [
            types.RegionOutcome(
                region=o.region,
                outcome=o.outcome,
                fetched_at=o.fetched_at,
                code=o.failure.code if o.failure else None,
                stage=o.failure.stage if o.failure else None,
                message=o.failure.message if o.failure else None,
                reason=o.reason,
            )
            for o in outcomes
        ]


def _utc(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _matched_by(person: Person, record: records.PersonRecord) -> list[IdentifierKind]:
    others = {i for r in person.records if r is not record for i in r.identifiers}
    shared = [i for i in record.identifiers if i in others] if others else list(record.identifiers)
    return sorted({i.kind for i in shared})


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


def bad_input(exc: BadInput) -> GraphQLError:
    """A refused argument as a client error with its code."""
    return GraphQLError(str(exc), extensions={"code": exc.code})


async def lookup_offender(info: GatewayInfo, identifier: Wanted) -> Offender | None:
    """Find one person and shape them for the fields the query selected; failures reported at
    the field's path."""
    selections = info.selected_fields[0].selections
    found = await info.context.service.find(
        identifier, selected_groups(selections), selected_kinds(selections)
    )
    info.context.report(found.failures, _path(info))
    if found.person is None:
        return None
    return shaped(found.person, selections)


_KEY_KINDS = {"nomsNumber": IdentifierKind.NOMS, "crn": IdentifierKind.CRN}


def _key_identifier(info: GatewayInfo, key: dict[str, Any]) -> Wanted:
    """The identifier an entity representation names: ``{id}``, ``{identifiers: {nomsNumber}}``
    or ``{identifiers: {crn}}``."""
    service = info.context.service
    if isinstance(key.get("id"), str) and len(key) == 1:
        return service.parse_offender_id(key["id"])
    nested = key.get("identifiers")
    if len(key) == 1 and isinstance(nested, dict) and len(nested) == 1:
        ((field, value),) = nested.items()
        kind = _KEY_KINDS.get(field)
        if kind is not None and isinstance(value, str):
            identifier = service.parse_identifier(value)
            if isinstance(identifier, Identifier) and identifier.kind is kind:
                return identifier
    raise BadInput(
        "an Offender reference needs one key: id, identifiers { nomsNumber } or "
        "identifiers { crn }",
        "BAD_USER_INPUT",
    )
