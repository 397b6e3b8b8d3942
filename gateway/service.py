"""The per-request service: find a person, search, and a person's facts by kind.

``schema/`` calls only this. It returns typed results plus the region failures that touched
them; it holds the domain policy (which facts make up status, when an answer is complete, the
order of lists, how a search page is completed). Regions are reached only through the request's
typed loaders, so every call goes through the pipeline. With a person index, a person it knows
(freshly) is confirmed in their own regions in one round, together with the facts the query
needs; every walk tells the index what it linked, and the index's stable id is the person's id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from auth.policy import SHOW_ALL, Decision, FieldGroup, Scope, Visibility
from connectors.base import Capability
from connectors.identifiers import Identifier, InvalidIdentifier, parse_identifier
from connectors.records import PersonRecord
from gateway import summary
from gateway.access import RequestAccess
from gateway.directory import RegionDirectory, RegionInfo
from gateway.facts import Fact, Facts
from gateway.identity import MergedPerson, conflicts_with, group_records, record_key
from gateway.identity.index import IndexedPerson, PersonIndex, Sighting
from gateway.identity.stable_ids import PersonId
from gateway.ids import OffenderIds
from gateway.inputs import BadInput
from gateway.loaders import (
    ALERTS,
    CUSTODY,
    MANAGERS,
    MOVEMENTS,
    SUPERVISION,
    Operation,
    RegionLoaders,
)
from gateway.outcomes import IDENTITY_CONFLICT, Ledger, RegionFailure, RegionOutcome, Stage
from gateway.pipeline.call import Fetched
from gateway.resolution import Walk, confirm, questions, walk
from gateway.search import Offered, PeopleSearch, SearchPage, SearchRequest, index_keys
from gateway.summary import Status, TimelineEntry

log = logging.getLogger("offender_graph.service")
T = TypeVar("T")
Wanted = Identifier | PersonId  # what offender(identifier:) and node(id:) look up
DEFAULT_INDEX_TTL = timedelta(days=1)
FACT_OPERATIONS: dict[Capability, Operation[str, Any]] = {
    op.capability: op for op in (CUSTODY, MOVEMENTS, SUPERVISION, MANAGERS, ALERTS)
}


@dataclass(eq=False)
class Person:
    """One person found in this request: merged records, their id, and what every region did."""

    merged: MergedPerson
    id: str
    ledger: Ledger
    decision: Decision = SHOW_ALL  # what this request's principal may see of them
    located: bool = False  # confirmed through the index: only their own regions were asked
    conflicting: tuple[PersonRecord, ...] = ()  # records claiming part of them, not merged
    _facts: dict[Capability, asyncio.Future[Facts[Any]]] = field(default_factory=dict)

    def allows(self, group: FieldGroup) -> bool:
        """Whether the fields of ``group`` may be shown (a gated field is empty, not fetched)."""
        return self.decision.allows(group)

    @property
    def restricted(self) -> bool:
        return self.decision.visibility is Visibility.REDACTED

    @property
    def records(self) -> tuple[PersonRecord, ...]:
        return self.merged.records

    @property
    def identity_failures(self) -> tuple[RegionFailure, ...]:
        return tuple(f for f in self.ledger.failures if f.stage is Stage.IDENTITY)


@dataclass(frozen=True)
class Lookup:
    """The answer to "who holds this identifier?" and the failures met finding out."""

    person: Person | None
    failures: tuple[RegionFailure, ...]


class OffenderService:
    """Built fresh for every request around its loaders."""

    def __init__(
        self,
        loaders: RegionLoaders,
        directory: RegionDirectory,
        ids: OffenderIds,
        *,
        max_page_size: int = 100,
        access: RequestAccess | None = None,
        index: PersonIndex | None = None,
        index_ttl: timedelta = DEFAULT_INDEX_TTL,
    ) -> None:
        self.loaders = loaders
        self.directory = directory
        self.ids = ids
        self.max_page_size = max_page_size
        self.access = access or RequestAccess()  # default: unrestricted, no audit
        self.index = index
        self.index_ttl = index_ttl

    # --- finding people -------------------------------------------------------------------

    def parse_identifier(self, text: str) -> Wanted:
        """A NOMS number, CRN, PNC or CRO number in any usual spelling, or an offender id."""
        try:
            return parse_identifier(text)
        except InvalidIdentifier as exc:
            try:
                decoded = self.ids.decode(text.strip())
            except InvalidIdentifier:
                raise BadInput(str(exc), "BAD_IDENTIFIER") from None
        if isinstance(decoded, Identifier | PersonId):
            return decoded
        region, local_id = decoded
        raise BadInput(
            f"this offender id names a record ({region} {local_id}) that holds no NOMS number, "
            "CRN, PNC or CRO number, so it cannot be looked up again; search by name instead",
            "BAD_IDENTIFIER",
        )

    def parse_offender_id(self, text: str) -> Wanted:
        """An offender id the gateway gave (``node(id:)``): raw identifiers are refused, so a
        global id never doubles as a way to type a PNC number."""
        try:
            decoded = self.ids.decode(text.strip())
        except InvalidIdentifier:
            raise BadInput("not an offender id given by this gateway", "BAD_IDENTIFIER") from None
        if isinstance(decoded, Identifier | PersonId):
            return decoded
        return self.parse_identifier(text)  # a record-only id: the same refusal as offender()

    async def find(
        self,
        wanted: Wanted,
        asked: frozenset[FieldGroup] = frozenset(),
        kinds: frozenset[Capability] = frozenset(),
    ) -> Lookup:
        """The person holding an identifier (or with a stable id), merged across every region,
        or None; with the regions that failed while they were looked for (a None then means
        "not found where we could look", not "nobody holds it"). A person the principal may not
        see is None, as if nobody held it; ``asked``: the field groups the query selected (for
        the audit), ``kinds``: the facts it needs (asked with the index's one round)."""
        indexed = await self._indexed(wanted)
        person = await self._located(indexed, wanted, kinds) if indexed else None
        failures: tuple[RegionFailure, ...] = ()
        if person is None:
            person, failures = await self._walked(wanted, indexed)
        if person is None:
            return Lookup(None, failures)
        decision = await self.decide(person)
        self._audit(person, asked)
        if decision.visibility is Visibility.HIDDEN:
            return Lookup(None, _lookup_failures(person))
        return Lookup(
            person, person.identity_failures if person.allows(FieldGroup.IDENTITY) else ()
        )

    async def _walked(
        self, wanted: Wanted, indexed: IndexedPerson | None
    ) -> tuple[Person | None, tuple[RegionFailure, ...]]:
        """The full walk: from the identifier, or from every identifier a stable id's records
        held; the group that holds the identifier (or most of the id's records)."""
        if isinstance(wanted, Identifier):
            start = [wanted]
        else:
            start = sorted(indexed.identifiers, key=str) if indexed else []
        found = await walk(self.loaders, self.directory, [], start)
        if isinstance(wanted, Identifier):
            groups = [g for g in group_records(found.records.values()) if _holds(g, wanted)]
        else:
            held = {r.key for r in indexed.records} if indexed else set()
            groups = [g for g in group_records(found.records.values()) if _keys(g) & held]
        if not groups:
            return None, tuple(found.ledger.failures)
        best = max(groups, key=len)  # two claimants of one identifier: a conflict, reported
        return await self._person(best, found), ()

    async def _indexed(self, wanted: Wanted) -> IndexedPerson | None:
        """What the index holds for ``wanted``; an index that fails costs only the shortcut."""
        if self.index is None:
            return None
        try:
            if isinstance(wanted, PersonId):
                return await self.index.person(wanted.value)
            return await self.index.locate(wanted)
        except Exception as exc:  # any store failure: walk as if the index were empty
            log.warning("person index unavailable: %s", type(exc).__name__)
            return None

    async def _located(
        self, indexed: IndexedPerson, wanted: Wanted, kinds: frozenset[Capability]
    ) -> Person | None:
        """The indexed person confirmed in their own regions, in one round with the facts
        ``kinds``; None (walk instead) when the entry is stale or the regions disagree with it
        (a record gone is forgotten)."""
        assert self.index is not None
        records = tuple(r.record for r in indexed.records)
        wanted_identifier = wanted if isinstance(wanted, Identifier) else None
        asked = questions(self.directory, records, wanted_identifier)
        if asked is None or not indexed.fresh(datetime.now(UTC), self.index_ttl):
            return None
        person = self._indexed_person(MergedPerson(records), indexed.id)
        for kind in kinds if self.access.unrestricted else self._deciding_kinds():
            if not self._comes_with_find(records, kind):  # else primed by the confirmation
                self._prefetch(person, kind)  # loaded in the same tick as the confirmations
        confirmed = await confirm(self.loaders, records, asked)
        for key in confirmed.missing:
            await self._forget(*key)
        if not confirmed.holds or not confirmed.records:
            return None
        groups = group_records(confirmed.records)
        if wanted_identifier is not None:
            groups = [g for g in groups if _holds(g, wanted_identifier)] or groups
        best = max(groups, key=len)
        if len(best) != len(records):
            person._facts.clear()  # facts come from confirmed records only: asked again
        person.merged = MergedPerson(tuple(best))
        person.conflicting = tuple(conflicts_with(best, confirmed.records))
        person.ledger.absorb(confirmed.ledger)
        return person

    def _indexed_person(self, merged: MergedPerson, stable_id: str) -> Person:
        person_id = self.ids.encode_person(PersonId(stable_id))
        return Person(merged, person_id, Ledger(), located=True)

    def _deciding_kinds(self) -> list[Capability]:
        """The facts a decision about a limited principal needs (only those are asked before
        it: a gated field is never fetched)."""
        scopes = self.access.scopes
        needed = {Scope.CASELOAD: Capability.CUSTODY_FOR, Scope.REGIONS: Capability.SUPERVISION_FOR}
        return [kind for scope, kind in needed.items() if scope in scopes]

    def _comes_with_find(self, records: Sequence[PersonRecord], kind: Capability) -> bool:
        """Whether every region holding facts of ``kind`` for these records may send them with
        its find reply (the confirmation then primes them: asking beside it would ask twice)."""
        holding = [
            self.directory[r.region] for r in records if self.directory[r.region].offers(kind)
        ]
        return bool(holding) and all(kind in region.find_includes for region in holding)

    def _prefetch(self, person: Person, capability: Capability) -> None:
        if capability not in person._facts:
            task = asyncio.ensure_future(self._gather(person, FACT_OPERATIONS[capability]))
            person._facts[capability] = task

    async def _forget(self, region: str, local_id: str) -> None:
        assert self.index is not None
        try:
            await self.index.forget(region, local_id)
        except Exception as exc:  # the entry is left to expire
            log.warning("person index unavailable: %s", type(exc).__name__)

    async def decide(self, person: Person) -> Decision:
        """What the principal may see of ``person`` (kept on it), from the facts the policy's
        scopes need, read through the request's loaders like any other."""
        if self.access.unrestricted:
            return person.decision
        scopes = self.access.scopes
        custody = supervision = ()
        if Scope.CASELOAD in scopes:
            custody = (await self.facts(person, Capability.CUSTODY_FOR)).items
        if Scope.REGIONS in scopes:
            supervision = (await self.facts(person, Capability.SUPERVISION_FOR)).items
        person.decision = self.access.decide(person.records, custody, supervision)
        return person.decision

    def _audit(self, person: Person, asked: frozenset[FieldGroup]) -> None:
        identifiers = [Identifier(k, v) for k, v in person.merged.identifiers.items()]
        self.access.record(person.id, identifiers, self.ids, person.decision, asked)

    async def search(
        self,
        name: str | None,
        date_of_birth: Any,
        region: str | None,
        first: int,
        after: str | None,
        asked: frozenset[FieldGroup] = frozenset(),
        **where: Any,
    ) -> SearchPage:
        """People whose name matches (typing errors too), or who are in a prison, a probation
        region or a caseload (``where``: prison, probation_region, staff_code, status), a page
        at a time, each completed with their records in every region (:mod:`gateway.search`).
        For a principal the policy limits, people they may not see are left out before counting
        and paging, so totals and cursors never reveal them."""
        request = SearchRequest(name, date_of_birth, region, first=first, after=after, **where)
        return await PeopleSearch(self).page(request, asked)

    async def possible_matches(self, person: Person) -> Facts[Offered]:
        """People who may be ``person`` with no strong identifier shared: offered, never merged."""
        return await PeopleSearch(self).possible_matches(person)

    async def _person(self, group: list[PersonRecord], found: Walk) -> Person:
        ledger = Ledger()
        ledger.absorb(found.ledger)
        conflicting = conflicts_with(group, found.records.values())
        for record in conflicting:
            ledger.failed(
                RegionFailure(
                    record.region,
                    IDENTITY_CONFLICT,
                    f"record {record.local_id} shares an identifier with this person but "
                    "contradicts another of theirs; it was not merged",
                    Stage.IDENTITY,
                )
            )
        merged = MergedPerson(tuple(group))
        stable_id = await self._remember(merged, found, conflicted=bool(conflicting))
        if stable_id is not None:
            person_id = self.ids.encode_person(PersonId(stable_id))
            return Person(merged, person_id, ledger, conflicting=tuple(conflicting))
        canonical = merged.canonical
        person_id = (
            self.ids.encode(canonical)
            if isinstance(canonical, Identifier)
            else self.ids.encode_record(*canonical)
        )
        return Person(merged, person_id, ledger, conflicting=tuple(conflicting))

    async def _remember(
        self, merged: MergedPerson, found: Walk, *, conflicted: bool = False
    ) -> str | None:
        """The stable id of what a walk linked, from the index (None without one, for a person
        with no strong identifier, or when the index fails). A walk that met a conflicting
        record is not remembered as fresh: confirming the entry would ask only the person's own
        records, and the conflict (``Offender.conflicts``) would go unseen."""
        if self.index is None or not merged.identifiers:
            return None
        sighting = Sighting(merged.records, found.settled, index_keys(merged.records))
        try:
            if found.ledger.failures or conflicted:  # an incomplete walk: never a fresh entry
                known = await self.index.locate(next(iter(merged.all_identifiers)))
                return known.id if known else None
            return await self.index.remember(sighting, datetime.now(UTC))
        except Exception as exc:  # any store failure: the id minted from the identifier
            log.warning("person index unavailable: %s", type(exc).__name__)
            return None

    # --- a person's facts -----------------------------------------------------------------

    async def facts(self, person: Person, capability: Capability) -> Facts[Any]:
        """Facts of one kind from every record whose region offers it, all regions at once;
        asked once per person and request however many fields need them."""
        future = person._facts.get(capability)
        if future is None:
            future = asyncio.ensure_future(self._gather(person, FACT_OPERATIONS[capability]))
            person._facts[capability] = future
        return await asyncio.shield(future)

    async def _gather(self, person: Person, operation: Operation[str, Any]) -> Facts[Any]:
        records = [
            r for r in person.records if self.directory[r.region].offers(operation.capability)
        ]
        results = await asyncio.gather(
            *(self.loaders.try_load(r.region, operation, r.local_id) for r in records)
        )
        items: list[Any] = []
        failures = list(person.identity_failures)
        for record, result in zip(records, results, strict=True):
            if isinstance(result, Fetched):
                person.ledger.answered(record.region, result)
                items.extend(result.value)
            else:
                failure = RegionFailure.of(result, Stage.DETAILS)
                person.ledger.failed(failure)
                if failure not in failures:
                    failures.append(failure)
        return Facts(tuple(items), tuple(failures))

    async def custody(self, person: Person) -> Facts[Any]:
        found = await self.facts(person, Capability.CUSTODY_FOR)
        return Facts(tuple(summary.custody_order(found.items)), found.failures)

    async def supervision(self, person: Person) -> Facts[Any]:
        found = await self.facts(person, Capability.SUPERVISION_FOR)
        return Facts(tuple(summary.supervision_order(found.items)), found.failures)

    async def alerts(self, person: Person) -> Facts[Any]:
        found = await self.facts(person, Capability.ALERTS_FOR)
        return Facts(tuple(summary.alert_order(found.items)), found.failures)

    async def status(self, person: Person) -> Fact[Status]:
        custody, supervision = await asyncio.gather(
            self.facts(person, Capability.CUSTODY_FOR),
            self.facts(person, Capability.SUPERVISION_FOR),
        )
        failures = _union(custody.failures, supervision.failures)
        status = summary.derive_status(custody.items, supervision.items, complete=not failures)
        return Fact(status, () if status is Status.IN_CUSTODY else failures)

    async def manager(self, person: Person) -> Fact[Any]:
        """The responsible officer; None with the failures when a failed region could hold a
        later allocation (a manager that may be out of date is not shown as the answer)."""
        managers = await self.facts(person, Capability.MANAGERS_FOR)
        if managers.failures:
            return Fact(None, managers.failures)
        return Fact(summary.responsible_officer(managers.items))

    async def timeline(self, person: Person) -> Facts[TimelineEntry]:
        movements, supervision = await asyncio.gather(
            self.facts(person, Capability.MOVEMENTS_FOR),
            self.facts(person, Capability.SUPERVISION_FOR),
        )
        entries = summary.timeline(movements.items, supervision.items)
        return Facts(tuple(entries), _union(movements.failures, supervision.failures))

    async def custody_terms(self, person: Person) -> Facts[summary.CustodyTerm]:
        """Custody episodes stitched into terms across transfers (:func:`summary.custody_terms`)."""
        custody, movements = await asyncio.gather(
            self.facts(person, Capability.CUSTODY_FOR),
            self.facts(person, Capability.MOVEMENTS_FOR),
        )
        terms = summary.custody_terms(custody.items, movements.items)
        return Facts(tuple(terms), _union(custody.failures, movements.failures))

    async def current_location(self, person: Person) -> Fact[summary.Location | None]:
        """Where the person is now; None with the failures when a failed region could change it."""
        custody, supervision = await asyncio.gather(
            self.facts(person, Capability.CUSTODY_FOR),
            self.facts(person, Capability.SUPERVISION_FOR),
        )
        failures = _union(custody.failures, supervision.failures)
        location = summary.current_location(custody.items, supervision.items, not failures)
        return Fact(location, failures if location is None else ())

    async def recalled(self, person: Person) -> Fact[bool | None]:
        """Whether the person is in custody on recall; None with the failures when unknown."""
        custody = await self.facts(person, Capability.CUSTODY_FOR)
        value = summary.recalled(custody.items, custody.complete)
        return Fact(value, custody.failures if value is None else ())

    async def unlawfully_at_large(self, person: Person) -> Fact[bool | None]:
        """Whether the person is unlawfully at large; None with the failures when unknown."""
        custody, movements = await asyncio.gather(
            self.facts(person, Capability.CUSTODY_FOR),
            self.facts(person, Capability.MOVEMENTS_FOR),
        )
        failures = _union(custody.failures, movements.failures)
        value = summary.unlawfully_at_large(custody.items, movements.items, not failures)
        return Fact(value, failures if value is None else ())

    async def sources(self, person: Person, kinds: Iterable[Capability]) -> list[RegionOutcome]:
        """Every configured region with its outcome for this person, once the facts of
        ``kinds`` (those the query asked for) are in."""
        await asyncio.gather(*(self.facts(person, k) for k in kinds))
        return [person.ledger.outcome(r.name, _skip_reason(r, person)) for r in self.directory]

    def fetched_at(self, person: Person, region: str) -> float | None:
        """When ``region`` first gave an answer about this person (the record came with it),
        even if a later call to it failed."""
        return person.ledger.first_fetched(region)


def _skip_reason(region: RegionInfo, person: Person) -> str:
    if not region.offers(Capability.FIND_BY_IDENTIFIERS):
        return "the region cannot look people up by identifier"
    if person.located:
        return "the person index holds no record of this person there"
    return "the region accepts none of the identifier kinds this person has"


def _lookup_failures(person: Person) -> tuple[RegionFailure, ...]:
    """The failures of looking for a person, not what is known of them (no conflicts)."""
    return tuple(f for f in person.identity_failures if f.code != IDENTITY_CONFLICT)


def _holds(group: Sequence[PersonRecord], identifier: Identifier) -> bool:
    return any(identifier in r.identifiers for r in group)


def _keys(group: Sequence[PersonRecord]) -> set[tuple[str, str]]:
    return {record_key(r) for r in group}


def _union(*lists: tuple[RegionFailure, ...]) -> tuple[RegionFailure, ...]:
    return tuple(dict.fromkeys(f for failures in lists for f in failures))
