"""Finding people without an identifier: by name (typing errors too), by where they are, and the
possible matches of a person; a page at a time, each person completed in every region.

**Name search.** The candidates are the regions' own search results (exact-ish: surname, forename
prefix) and the people the person index holds under the query's blocking keys
(:func:`gateway.identity.names.search_keys`); an indexed person any of whose records a region
found is left to that region's answer, so what pages show does not change as walks teach the index.
Candidates are ranked by :func:`gateway.identity.name_match.rank`'s kind (exact > alias >
phonetic > fuzzy), then in name order, and every hit says why it matched. An index entry is only a
pointer: it is completed from its identifiers like any hit, and shown only from what regions said.

**Listing.** The people of a prison, a probation region or a caseload: every region offering
``LIST_PEOPLE`` walks its pages through the loaders (at most :data:`MAX_LISTED` records a region),
grouped, in name order.

Cursors are positions in that order (:func:`gateway.inputs.encode_cursor`). A status filter, like
a principal the policy limits, completes and decides every candidate before paging (at most
:data:`MAX_FILTERED`), so totals and cursors count only the people shown.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from auth.policy import FieldGroup, Visibility
from connectors.base import Capability, ListingPage, PersonListing, PersonSearch
from connectors.errors import ConnectorError
from connectors.records import PersonRecord, SystemKind
from gateway.facts import Facts
from gateway.identity import MergedPerson, RecordKey, conflicts_with, group_records, record_key
from gateway.identity.index import IndexedRecord
from gateway.identity.name_match import KIND_ORDER, NameMatch, NameQuery, match, rank
from gateway.identity.names import search_keys
from gateway.identity.weak_links import Reason, blocking_keys, possible_matches, profile
from gateway.inputs import BadInput, decode_cursor, search_query
from gateway.loaders import LIST, SEARCH
from gateway.outcomes import RegionFailure, Stage
from gateway.pipeline.call import Fetched
from gateway.resolution import confirm, questions, walk
from gateway.summary import Status

if TYPE_CHECKING:
    from gateway.service import OffenderService, Person

log = logging.getLogger("offender_graph.search")

MAX_INDEX_CANDIDATES = 500  # index records a name search (or a possible-match look-up) reads
LISTING_PAGE = 200  # people per listing page asked of a region
MAX_LISTED = 2000  # records a listing walks per region; past it the listing is refused
MAX_FILTERED = 500  # candidates a status filter completes before paging; past it, refused
MAX_POSSIBLE = 10  # possible matches offered for one person
PROBATION_CODE = re.compile(r"N\d\d")


@dataclass(frozen=True)
class SearchRequest:
    """What ``offenders`` asks: a name, or where people are (a prison, a probation region, a
    caseload), optionally only those of one status; a page of ``first`` after a cursor."""

    name: str | None = None
    date_of_birth: date | None = None
    region: str | None = None
    prison: str | None = None
    probation_region: str | None = None
    staff_code: str | None = None
    status: Status | None = None
    first: int = 20
    after: str | None = None

    @property
    def listing(self) -> bool:
        return self.name is None


@dataclass(frozen=True)
class Hit:
    """One person on a page: their position in the whole order, and why they matched (None for a
    listing, or a person only a region's own search matched)."""

    position: int
    person: Person
    match: NameMatch | None


@dataclass(frozen=True)
class SearchPage:
    """One page: the hits, and what the search missed."""

    hits: list[Hit]
    total: int | None  # None when a searched region failed: the count would be a guess
    has_next: bool
    failures: tuple[RegionFailure, ...]

    @property
    def people(self) -> list[tuple[int, Person]]:
        return [(h.position, h.person) for h in self.hits]


@dataclass(frozen=True)
class Candidate:
    """A person before completion: their records (``pointers``: those read from the index, asked
    again by their identifiers) and the name match."""

    merged: MergedPerson
    match: NameMatch | None
    pointers: frozenset[RecordKey] = frozenset()
    query: NameQuery | None = None


@dataclass(frozen=True)
class Offered:
    """A possible match of a person: the candidate (completed), its score and the reasons."""

    person: Person
    score: float
    reasons: tuple[str, ...]


def index_keys(records: Iterable[PersonRecord]) -> dict[RecordKey, tuple[str, ...]]:
    """The search keys the index files each record under: its surnames' name-search keys and
    its weak-link blocking keys (see docs/matching.md)."""
    keys: dict[RecordKey, tuple[str, ...]] = {}
    for record in records:
        found: set[str] = set()
        for name in (record.name, *record.aliases):
            found |= search_keys(name.surname)
        found |= blocking_keys(profile(record))
        keys[record_key(record)] = tuple(sorted(found))
    return keys


def name_query(query: PersonSearch) -> NameQuery:
    try:
        return NameQuery(query.surname, query.forename, query.date_of_birth)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def match_reasons(found: NameMatch) -> list[str]:
    """Why a hit matched, one line a field: what the query met, how."""
    reasons = [
        f"{f.field} '{f.query}' matched {f.matched} '{f.value}' ({f.how.value})"
        for f in found.fields
    ]
    if found.alias:
        reasons.append("the name matched is an alias or another region's spelling")
    if found.transposed:
        reasons.append("forename and surname are transposed")
    return reasons


def weak_reasons(reasons: Iterable[Reason]) -> tuple[str, ...]:
    """A possible match's evidence, one line a feature, with what it added to the score."""
    return tuple(_weak_reason(r) for r in reasons)


def _weak_reason(reason: Reason) -> str:
    notes = [" (alias)"] if reason.alias else []
    if reason.their_feature is not reason.feature:
        notes.append(f" (their {reason.their_feature.value.lower()})")
    values = f"{reason.ours or '-'} / {reason.theirs or '-'}"
    return (
        f"{reason.feature.value} {reason.level.value}: {values}{''.join(notes)}"
        f" +{reason.contribution:.4f}"
    )


class PeopleSearch:
    """Search, listing and possible matches for one request, through its service."""

    def __init__(self, service: OffenderService) -> None:
        self.service = service
        self.directory = service.directory
        self.loaders = service.loaders
        self._answers: dict[str, Fetched[Any]] = {}  # each region's answer that brought records

    # --- one page ---------------------------------------------------------------------------

    async def page(self, request: SearchRequest, asked: frozenset[FieldGroup]) -> SearchPage:
        """A page of ``request``'s people (see the module)."""
        first, limit = request.first, self.service.max_page_size
        if not 1 <= first <= limit:
            raise BadInput(f"first must be between 1 and {limit}")
        self._check_region(request.region)
        start = decode_cursor(request.after) + 1 if request.after else 0
        if request.listing:
            candidates, failures = await self._listed(request)
        else:
            candidates, failures = await self._named(request)
        if self.service.access.unrestricted and request.status is None:
            return await self._paged(candidates, start, first, failures, asked)
        return await self._filtered(candidates, request, start, failures, asked)

    def _check_region(self, region: str | None) -> None:
        if region is None or region in self.directory:
            return
        if PROBATION_CODE.fullmatch(region.strip().upper()):
            raise BadInput(
                f"'{region}' looks like a probation region code, not a system: use "
                f'probationRegion: "{region.strip().upper()}"; region takes a name from the '
                "regions query"
            )
        raise BadInput(f"unknown region '{region}'; see the regions query")

    def _regions(self, region: str | None, capability: Capability) -> list[str]:
        names = [region] if region else self.directory.names
        return [n for n in names if self.directory[n].offers(capability)]

    async def _paged(
        self,
        candidates: list[Candidate],
        start: int,
        first: int,
        failures: tuple[RegionFailure, ...],
        asked: frozenset[FieldGroup],
    ) -> SearchPage:
        page = candidates[start : start + first]
        completed = await asyncio.gather(*map(self.complete, page))
        hits = [
            Hit(start + i, person, _rematched(candidate, person))
            for i, (candidate, person) in _distinct(list(zip(page, completed, strict=True)))
        ]
        for hit in hits:
            self.service._audit(hit.person, asked)
        return SearchPage(
            hits=hits,
            total=None if failures else len(candidates),
            has_next=start + first < len(candidates),
            failures=failures,
        )

    async def _filtered(
        self,
        candidates: list[Candidate],
        request: SearchRequest,
        start: int,
        failures: tuple[RegionFailure, ...],
        asked: frozenset[FieldGroup],
    ) -> SearchPage:
        """A page of the people the principal may see (and of the status asked): every
        candidate is completed and decided first, positions count only those kept."""
        if request.status is not None and len(candidates) > MAX_FILTERED:
            raise BadInput(
                f"a status filter completes every match first, and this one has "
                f"{len(candidates)} (at most {MAX_FILTERED}): narrow the search"
            )
        completed = await asyncio.gather(*map(self.complete, candidates))
        distinct = [pair for _, pair in _distinct(list(zip(candidates, completed, strict=True)))]
        decisions = await asyncio.gather(*(self.service.decide(p) for _, p in distinct))
        visible: list[tuple[Candidate, Person]] = []
        for (candidate, person), decision in zip(distinct, decisions, strict=True):
            if decision.visibility is Visibility.HIDDEN:
                self.service._audit(person, asked)  # resolved for the user, shown nothing
            else:
                visible.append((candidate, person))
        missed = list(failures)
        if request.status is not None:
            visible, unknown = await self._of_status(visible, request.status)
            missed += [f for f in unknown if f not in missed]
        hits = [
            Hit(i, person, _rematched(candidate, person))
            for i, (candidate, person) in enumerate(visible)
        ][start : start + request.first]
        for hit in hits:
            self.service._audit(hit.person, asked)
        return SearchPage(
            hits=hits,
            total=None if missed else len(visible),
            has_next=start + request.first < len(visible),
            failures=tuple(missed),
        )

    async def _of_status(
        self, people: list[tuple[Candidate, Person]], wanted: Status
    ) -> tuple[list[tuple[Candidate, Person]], list[RegionFailure]]:
        """Those of status ``wanted``, and the failures that left anyone's status unknown (a
        person whose status is UNKNOWN is not shown as of another). Only people whose status
        the principal may see (the SENTENCE field group) are filtered in: a filter never
        tells what a field would not."""
        people = [(c, p) for c, p in people if p.allows(FieldGroup.SENTENCE)]
        statuses = await asyncio.gather(*(self.service.status(p) for _, p in people))
        kept, failures = [], []
        for pair, status in zip(people, statuses, strict=True):
            if status.value is wanted:
                kept.append(pair)
            elif status.value is Status.UNKNOWN and wanted is not Status.UNKNOWN:
                failures += [f for f in status.failures if f not in failures]
        return kept, failures

    async def complete(self, candidate: Candidate) -> Person | None:
        """The candidate with the records its identifiers lead to in every region; None when
        every record of it came from the index and no region holds them any more. A person the
        index knows freshly is confirmed in one round instead of walked (:meth:`_located`)."""
        person = await self._located(candidate) or await self._walked(candidate)
        if person is not None:  # the regions whose answers brought their records answered
            for region in {r.region for r in candidate.merged.records} - {
                region for region, _ in candidate.pointers
            }:
                if region in self._answers:
                    person.ledger.answered(region, self._answers[region])
        return person

    async def _walked(self, candidate: Candidate) -> Person | None:
        """The candidate walked from its records (and its index records' identifiers)."""
        merged = candidate.merged
        live = [r for r in merged.records if record_key(r) not in candidate.pointers]
        pointed = {
            i for r in merged.records if record_key(r) in candidate.pointers for i in r.identifiers
        }
        found = await walk(self.loaders, self.directory, live, pointed)
        wanted = {record_key(r) for r in merged.records}
        groups = [g for g in group_records(found.records.values()) if _keys(g) & wanted]
        if not groups:
            return None
        best = max(groups, key=lambda g: len(_keys(g) & wanted))
        return await self.service._person(best, found)

    async def _located(self, candidate: Candidate) -> Person | None:
        """A hit whose person the index knows freshly, completed as a lookup through the index
        is: their other records are each asked once, by an identifier, all in one round (the
        records the search brought are not asked again). None (walk instead) when the index
        does not know them all, the entry is stale, or the regions disagree with it."""
        service = self.service
        identifiers = sorted(candidate.merged.all_identifiers, key=str)
        if service.index is None or not identifiers:
            return None
        indexed = await service._indexed(identifiers[0])
        if indexed is None or not indexed.fresh(datetime.now(UTC), service.index_ttl):
            return None
        held = {r.key: r.record for r in indexed.records}
        wanted = _keys(candidate.merged.records)
        live = {
            record_key(r): r
            for r in candidate.merged.records
            if record_key(r) not in candidate.pointers
        }
        if not wanted <= held.keys() or any(
            set(r.identifiers) != set(held[k].identifiers) for k, r in live.items()
        ):
            return None
        others = [r for k, r in held.items() if k not in live]
        asked = questions(self.directory, others, None)
        if asked is None:
            return None
        confirmed = await confirm(self.loaders, others, asked)
        for key in confirmed.missing:
            await service._forget(*key)
        records = [*live.values(), *confirmed.records]
        if not confirmed.holds or not records:
            return None
        groups = group_records(records)
        best = max(groups, key=lambda g: len(_keys(g) & wanted))
        if not wanted <= _keys(best):
            return None
        person = service._indexed_person(MergedPerson(tuple(best)), indexed.id)
        person.conflicting = tuple(conflicts_with(best, records))
        person.ledger.absorb(confirmed.ledger)
        if not service.access.unrestricted:
            for kind in service._deciding_kinds():
                service._prefetch(person, kind)
        return person

    # --- candidates -------------------------------------------------------------------------

    async def _named(
        self, request: SearchRequest
    ) -> tuple[list[Candidate], tuple[RegionFailure, ...]]:
        """The regions' matches and the index's, ranked."""
        if any((request.prison, request.probation_region, request.staff_code)):
            raise BadInput("name cannot be combined with prison, probationRegion or staffCode")
        query = search_query(request.name, request.date_of_birth)
        wanted = name_query(query)
        regions = self._regions(request.region, SEARCH.capability)
        results = await asyncio.gather(*(self.loaders.try_load(r, SEARCH, query) for r in regions))
        records, failures = self._searched(regions, results)
        keys = search_keys(wanted.surname) | (
            search_keys(wanted.forename) if wanted.forename else set()
        )
        pointers = _unfound(await self._indexed(keys), records, request.region)
        people = [MergedPerson(tuple(g)) for g in group_records([*records, *pointers])]
        people.sort(key=lambda p: p.sort_key)
        pointed = frozenset(record_key(r) for r in pointers)
        ranked = sorted(
            rank(wanted, people), key=lambda pair: (KIND_ORDER[pair[1].kind], pair[0].sort_key)
        )
        matched = {id(p) for p, _ in ranked}
        candidates = [Candidate(p, m, pointed & _keys(p.records), wanted) for p, m in ranked]
        # a region's own match the model does not explain is still shown, last, without a match
        candidates += [
            Candidate(p, None)
            for p in people
            if id(p) not in matched and not _keys(p.records) <= pointed
        ]
        return candidates, tuple(failures)

    def _searched(
        self, regions: Sequence[str], results: Sequence[Fetched[list[PersonRecord]] | Exception]
    ) -> tuple[list[PersonRecord], list[RegionFailure]]:
        """The records the regions' searches answered (each answer kept, for the ledgers of the
        people completed from them), and the regions that failed."""
        records: list[PersonRecord] = []
        failures: list[RegionFailure] = []
        for region, result in zip(regions, results, strict=True):
            if isinstance(result, Fetched):
                records.extend(result.value)
                self._answers.setdefault(region, result)
            elif isinstance(result, ConnectorError):
                failures.append(RegionFailure.of(result, Stage.SEARCH))
        return records, failures

    async def _indexed(self, keys: Iterable[str]) -> list[IndexedRecord]:
        """The index's records under ``keys``; an index that fails costs only its candidates."""
        index = self.service.index
        if index is None:
            return []
        try:
            return await index.candidates(sorted(keys), MAX_INDEX_CANDIDATES)
        except Exception as exc:  # any store failure: the regions' answers alone
            log.warning("person index unavailable: %s", type(exc).__name__)
            return []

    async def _listed(
        self, request: SearchRequest
    ) -> tuple[list[Candidate], tuple[RegionFailure, ...]]:
        """The people every listing region holds at the location or in the caseload, grouped,
        in name order."""
        if request.date_of_birth is not None:
            raise BadInput("dateOfBirth needs a name")
        if request.prison and request.probation_region:
            raise BadInput("give prison or probationRegion, not both")
        location = request.prison or request.probation_region
        if not (location or request.staff_code):
            raise BadInput("give a name, prison, probationRegion or staffCode")
        kind = (
            SystemKind.CUSTODY
            if request.prison
            else SystemKind.PROBATION
            if request.probation_region
            else None
        )
        regions = [
            n
            for n in self._regions(request.region, LIST.capability)
            if kind is None or self.directory[n].kind is kind
        ]
        listing = PersonListing(
            location=location.strip().upper() if location else None,
            staff_code=request.staff_code.strip() if request.staff_code else None,
            limit=LISTING_PAGE,
        )
        walks = await asyncio.gather(*(self._list(r, listing) for r in regions))
        records = [record for found, _ in walks for record in found]
        failures = tuple(failure for _, failure in walks if failure is not None)
        people = sorted(
            (MergedPerson(tuple(g)) for g in group_records(records)), key=lambda p: p.sort_key
        )
        return [Candidate(p, None) for p in people], failures

    async def _list(
        self, region: str, listing: PersonListing
    ) -> tuple[list[PersonRecord], RegionFailure | None]:
        """Every record ``region`` lists, page by page; a failed page ends the walk."""
        records: list[PersonRecord] = []
        while True:
            result = await self.loaders.try_load(region, LIST, listing)
            if not isinstance(result, Fetched):
                return records, RegionFailure.of(result, Stage.SEARCH)
            page: ListingPage = result.value
            records.extend(page.records)
            self._answers.setdefault(region, result)
            if len(records) > MAX_LISTED:
                raise BadInput(
                    f"region '{region}' lists more than {MAX_LISTED} people here: narrow the "
                    "listing (a region, a staffCode)"
                )
            if page.cursor is None:
                return records, None
            listing = dataclasses.replace(listing, cursor=page.cursor)

    # --- possible matches -------------------------------------------------------------------

    async def possible_matches(self, person: Person) -> Facts[Offered]:
        """People sharing no strong identifier with ``person`` who may be them (never merged):
        candidates from the index by weak-link blocking keys and from the regions' search by
        the person's surname, each completed before it is scored and offered."""
        own = _keys(person.records)
        query = PersonSearch(surname=person.merged.name.surname)
        regions = self._regions(None, SEARCH.capability)
        results, indexed = await asyncio.gather(
            asyncio.gather(*(self.loaders.try_load(r, SEARCH, query) for r in regions)),
            self._indexed(blocking_keys(profile(person.merged))),
        )
        records, failures = self._searched(regions, results)
        pointers = _unfound(indexed, records, None)
        pointed = frozenset(record_key(r) for r in pointers)
        groups = [g for g in group_records([*records, *pointers]) if not _keys(g) & own]
        scored = possible_matches(person.merged, [MergedPerson(tuple(g)) for g in groups])
        candidates = [Candidate(m.person, None, pointed & _keys(m.person.records)) for m in scored]
        completed = await asyncio.gather(*map(self.complete, candidates[:MAX_POSSIBLE]))
        people = {
            id(p.merged): p for p in completed if p is not None and not _keys(p.records) & own
        }
        offered: list[Offered] = []
        for found in possible_matches(person.merged, [p.merged for p in people.values()]):
            candidate = people[id(found.person)]
            if (await self.service.decide(candidate)).visibility is Visibility.HIDDEN:
                continue
            self.service._audit(candidate, frozenset({FieldGroup.IDENTITY}))
            offered.append(Offered(candidate, found.score, weak_reasons(found.reasons)))
        return Facts(tuple(offered), tuple(failures))


def _unfound(
    indexed: Sequence[IndexedRecord], found: Sequence[PersonRecord], region: str | None
) -> list[PersonRecord]:
    """The index's records of people none of whose records the regions' answers hold (those
    are left to the answers), in ``region`` when one is asked."""
    live = {record_key(r) for r in found}
    covered = {r.person_id for r in indexed if r.key in live}
    return [
        r.record
        for r in indexed
        if r.person_id not in covered and (region is None or r.record.region == region)
    ]


def _rematched(candidate: Candidate, person: Person) -> NameMatch | None:
    """The match shown: against what the regions said of the person when the candidate came
    from the index (its entry may be out of date), else the candidate's own."""
    if candidate.query is None or not candidate.pointers:
        return candidate.match
    return match(candidate.query, person.merged) or candidate.match


def _keys(records: Iterable[PersonRecord]) -> set[RecordKey]:
    return {record_key(r) for r in records}


def _distinct(
    pairs: list[tuple[Candidate, Person | None]],
) -> list[tuple[int, tuple[Candidate, Person]]]:
    """Each person once, with their position: completing two hits can reveal that they are one
    person (linked only through a record the search did not find); a hit gone is left out."""
    seen: set[RecordKey] = set()
    kept = []
    for index, (candidate, person) in enumerate(pairs):
        if person is None:
            continue
        keys = _keys(person.records)
        if not keys & seen:
            kept.append((index, (candidate, person)))
        seen |= keys
    return kept
