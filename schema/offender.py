"""The Offender type: one person merged from every region, resolved through the service.

Each field that loses data to a failed region reports the failure at its own path. Each field but
``id`` and ``restricted`` belongs to a field group (:data:`FIELD_GROUPS`); the service's decision
says which groups the user may see: a field of another group is null (a list empty), unfetched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
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
from gateway import summary
from gateway.context import GatewayContext
from gateway.identity import disagreements
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
    "currentLocation": (Capability.CUSTODY_FOR, Capability.SUPERVISION_FOR),
    "recalled": (Capability.CUSTODY_FOR,),
    "unlawfullyAtLarge": (Capability.CUSTODY_FOR, Capability.MOVEMENTS_FOR),
    "custodyTerms": (Capability.CUSTODY_FOR, Capability.MOVEMENTS_FOR),
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
    "possibleMatches": FieldGroup.IDENTITY,
    "gender": FieldGroup.IDENTITY,
    "conflicts": FieldGroup.IDENTITY,
    "disagreements": FieldGroup.IDENTITY,
    "currentLocation": FieldGroup.LOCATION,
    "custodyTerms": FieldGroup.LOCATION,
    "unlawfullyAtLarge": FieldGroup.LOCATION,
    "recalled": FieldGroup.SENTENCE,
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
        return _identifiers(self.person.merged.identifiers)

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
        return [_episode(c) for c in found.items]

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

    # --- what an analyst needs: disagreements, gender, where they are, custody terms, flags ---

    @strawberry.field(
        description="The gender most records give, normalised from the regions' codes (ties to "
        "the first record in region order); UNKNOWN when none holds one; null without IDENTITY."
    )
    def gender(self) -> types.Gender | None:  # type: ignore[valid-type]
        if not self._may(FieldGroup.IDENTITY):
            return None
        return disagreements.majority_gender(self.person.records)

    @strawberry.field(
        description="Records that share a strong identifier with this offender but contradict "
        "another (same NOMS number, another PNC): never merged, never resolved silently; each "
        "kind with every value and the records holding it. Each also shows as an "
        "IDENTITY_CONFLICT error."
    )
    def conflicts(self) -> list[types.IdentityConflict]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        found = disagreements.identity_conflicts(self.person.merged, self.person.conflicting)
        return [
            types.IdentityConflict(
                kind=c.kind, shared=list(c.shared), values=[_held(v) for v in c.values]
            )
            for c in found
        ]

    @strawberry.field(
        description="Fields (name, dateOfBirth, gender) the merged records give different values "
        "of, each value with the records holding it, the merged value first."
    )
    def disagreements(self) -> list[types.FieldDisagreement]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        return [
            types.FieldDisagreement(field=d.field, values=[_held(v) for v in d.values])
            for d in disagreements.field_disagreements(self.person.merged)
        ]

    @strawberry.field(
        description="The prison of an open booking, else the probation region of the running "
        "supervision, else null; null with an error when a region that could change it failed. "
        "Null without the LOCATION field group."
    )
    async def current_location(self, info: GatewayInfo) -> types.CurrentLocation | None:
        if not self._may(FieldGroup.LOCATION):
            return None
        fact = await info.context.service.current_location(self.person)
        _report(info, fact.failures)
        where = fact.value
        if where is None:
            return None
        converted: types.CurrentLocation = _convert(where, types.CurrentLocation)
        return converted

    @strawberry.field(
        description="True while the person is in custody on recall (an open booking with legal "
        "status RECALL); null with an error when a region that could hold one failed. Null "
        "without the SENTENCE field group."
    )
    async def recalled(self, info: GatewayInfo) -> bool | None:
        if not self._may(FieldGroup.SENTENCE):
            return None
        fact = await info.context.service.recalled(self.person)
        _report(info, fact.failures)
        return fact.value

    @strawberry.field(
        description="True when an open booking's latest movement is an escape, abscond or "
        "failure to return (the simulated estate records none yet); null with an error when a "
        "region that could change it failed. Null without the LOCATION field group."
    )
    async def unlawfully_at_large(self, info: GatewayInfo) -> bool | None:
        if not self._may(FieldGroup.LOCATION):
            return None
        fact = await info.context.service.unlawfully_at_large(self.person)
        _report(info, fact.failures)
        return fact.value

    @strawberry.field(
        description="Custody terms, oldest first: bookings stitched across transfers between "
        "prison systems, each with its prisons in order and how it ended."
    )
    async def custody_terms(self, info: GatewayInfo) -> list[types.CustodyTerm]:
        if not self._may(FieldGroup.LOCATION):
            return []
        found = await info.context.service.custody_terms(self.person)
        _report(info, found.failures)
        return [_term(t) for t in found.items]

    @strawberry.field(description="Provenance: the regional records merged into this offender.")
    def records(self, info: GatewayInfo) -> list[types.SourceRecord]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        directory, service = info.context.directory, info.context.service
        merged = self.person.merged
        return [
            types.SourceRecord(
                region=r.region,
                system_kind=directory[r.region].kind,
                local_id=r.local_id,
                matched_by=_matched_by(self.person, r),
                fetched_at=_utc(service.fetched_at(self.person, r.region)),
                name=_name(r.name),
                aliases=[_name(a) for a in r.aliases],
                date_of_birth=r.date_of_birth,
                gender=disagreements.gender_of(r.gender),
                gender_code=r.gender,
                identifiers=_identifiers({i.kind: i.value for i in r.identifiers}),
                disagreements=disagreements.record_disagreements(merged, r),
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

    @strawberry.field(
        description="People sharing no strong identifier with this one who may be them (similar "
        "name, date of birth, gender), best first: offered, never merged. Two people a strong "
        "identifier tells apart (twins with their own PNCs) are never offered. Empty without "
        "the IDENTITY field group."
    )
    async def possible_matches(self, info: GatewayInfo) -> list[types.PossibleMatch]:
        if not self._may(FieldGroup.IDENTITY):
            return []
        found = await info.context.service.possible_matches(self.person)
        _report(info, found.failures)
        nodes = [
            child
            for s in info.selected_fields[0].selections
            if isinstance(s, SelectedField) and s.name == "offender"
            for child in s.selections
        ]
        return [
            types.PossibleMatch(
                score=m.score, reasons=list(m.reasons), offender=shaped(m.person, nodes)
            )
            for m in found.items
        ]


def _identifiers(ids: Mapping[IdentifierKind, str]) -> types.Identifiers:
    return types.Identifiers(
        noms_number=ids.get(IdentifierKind.NOMS),
        crn=ids.get(IdentifierKind.CRN),
        pnc_number=ids.get(IdentifierKind.PNC),
        cro_number=ids.get(IdentifierKind.CRO),
    )


def _held(value: disagreements.HeldValue) -> types.HeldValue:
    records = [types.RecordRef(region=r, local_id=i) for r, i in value.records]
    return types.HeldValue(value=value.value, merged=value.merged, records=records)


def _term(term: summary.CustodyTerm) -> types.CustodyTerm:
    return types.CustodyTerm(
        start_date=term.start,
        end_date=term.end,
        recall=term.recall,
        ending=term.ending,
        followed_by_recall=term.followed_by_recall,
        prisons=list(term.prisons),
        episodes=[_episode(c) for c in term.episodes],
    )


def _episode(episode: records.CustodyEpisode) -> types.CustodyEpisode:
    converted: types.CustodyEpisode = _convert(
        episode, types.CustodyEpisode, sentence=_convert(episode.sentence, types.SentenceDates)
    )
    return converted


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
