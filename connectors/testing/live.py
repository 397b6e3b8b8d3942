"""``check-connector``: the contract kit's read-only checks against a live region, as a report.

No fault is injected and nothing is written: start-up health, then each declared capability with
the identifiers and surnames given (plus keys no one holds, which must come back empty), the
``*_for`` capabilities with the local ids those found. The report gives pass/fail per check,
latency per connector call (p50/max) and upstream calls, the share of people records carrying
each strong identifier, and mapping failures. Needs no pytest.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from connectors.base import Capability, Connector, ListingPage, PersonListing
from connectors.config import RegionConfig
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonRecord
from connectors.testing.records import matches_surname, person_problems, result_problems
from connectors.testing.subject import (
    BATCH_CAPABILITIES,
    LISTING_PAGE,
    UNKNOWN_LOCATION,
    UNKNOWN_SURNAME,
    KnownPeople,
    call,
    unknown_key,
)
from connectors.testing.transport import FaultTransport

DEFAULT_SURNAMES = ("Smith",)
MAX_LOCAL_IDS = 5


@dataclass
class Check:
    """One check's outcome: ``passed`` None when skipped; ``seconds`` of each connector call."""

    name: str
    passed: bool | None = True
    detail: str = ""
    seconds: list[float] = field(default_factory=list)
    upstream_calls: int = 0

    def fail(self, detail: str) -> None:
        self.passed, self.detail = False, detail


@dataclass
class LiveReport:
    region: str
    dialect: str
    checks: list[Check] = field(default_factory=list)
    people: list[PersonRecord] = field(default_factory=list)
    mapping_failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks) and not self.mapping_failures

    def identifier_shares(self) -> dict[IdentifierKind, float]:
        """Share of distinct people records carrying each strong identifier."""
        unique = {p.local_id: p for p in self.people}.values()
        held = Counter(i.kind for p in unique for i in p.identifiers)
        return {kind: held[kind] / len(unique) for kind in IdentifierKind} if unique else {}

    def lines(self) -> list[str]:
        verdict = "PASS" if self.passed else "FAIL"
        out = [f"check-connector {self.region} ({self.dialect}): {verdict}", ""]
        for check in self.checks:
            mark = {True: "pass", False: "FAIL", None: "skip"}[check.passed]
            timing = ""
            if check.seconds:
                p50 = statistics.median(check.seconds) * 1000
                timing = f"  p50 {p50:.0f} ms, max {max(check.seconds) * 1000:.0f} ms"
                timing += f", {len(check.seconds)} calls, {check.upstream_calls} upstream"
            out.append(f"  {mark:4}  {check.name:<24}{timing}")
            if check.detail:
                out.append(f"        {check.detail}")
        shares = self.identifier_shares()
        people = len({p.local_id for p in self.people})
        out += ["", f"identifiers carried by {people} people records:"]
        out += [f"  {kind:<5} {share:6.1%}" for kind, share in shares.items()] or ["  (none seen)"]
        out += ["", f"mapping failures: {len(self.mapping_failures)}"]
        out += [f"  {failure}" for failure in self.mapping_failures[:20]]
        return out


class _Timed:
    """Runs connector calls for one check, timing each and counting upstream calls."""

    def __init__(self, check: Check, transport: FaultTransport) -> None:
        self.check, self.transport = check, transport

    async def __call__(self, make: Callable[[], Awaitable[Any]]) -> Any:
        before = len(self.transport.exchanges)
        began = time.perf_counter()
        try:
            return await make()
        finally:
            self.check.seconds.append(time.perf_counter() - began)
            self.check.upstream_calls += len(self.transport.exchanges) - before


async def check_live(
    dialect: type[Connector],
    config: RegionConfig,
    identifiers: Sequence[Identifier] = (),
    surnames: Sequence[str] = DEFAULT_SURNAMES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LiveReport:
    """Run the read-only checks against ``config``'s region; never raises a ConnectorError."""
    report = LiveReport(config.name, config.dialect)
    recorder = FaultTransport(transport)
    connector = dialect(config, transport=recorder)
    try:
        health = Check("start-up health")
        report.checks.append(health)
        try:
            await _Timed(health, recorder)(connector.start)
            await _Timed(health, recorder)(connector.probe)
        except ConnectorError as exc:
            health.fail(f"{exc.code}: {exc.public_message}")
            untried = "not tried: the region failed its start-up health check"
            report.checks += [Check(str(c), None, untried) for c in sorted(dialect.capabilities)]
            return report
        known = KnownPeople(identifiers=identifiers, surnames=surnames)
        if Capability.FIND_BY_IDENTIFIERS in dialect.capabilities:
            report.checks.append(await _find(connector, recorder, known, report))
        if Capability.SEARCH_PEOPLE in dialect.capabilities:
            report.checks.append(await _search(connector, recorder, known, report))
        if Capability.LIST_PEOPLE in dialect.capabilities:
            report.checks.append(await _listing(connector, recorder, report))
        local_ids = list(dict.fromkeys(p.local_id for p in report.people))[:MAX_LOCAL_IDS]
        for capability in BATCH_CAPABILITIES[1:]:
            if capability in dialect.capabilities:
                report.checks.append(
                    await _lookup(connector, recorder, capability, local_ids, report)
                )
        return report
    finally:
        await connector.aclose()
        await recorder.aclose()


async def _batch(
    connector: Connector,
    timed: _Timed,
    capability: Capability,
    keys: list[Any],
    report: LiveReport,
) -> list[Any]:
    """The batch answer for ``keys`` plus an unheld key (which must be empty), checked."""
    unknown = unknown_key(capability, connector, KnownPeople())
    if connector.batch_limit is not None:
        keys = keys[: connector.batch_limit - 1]
    asked = [*keys, unknown]
    results = list(await timed(lambda: call(connector, capability, asked)))
    problems = result_problems(capability, asked, results, connector.region)
    report.mapping_failures += problems
    if len(results) != len(asked):
        raise _Failed(f"{len(asked)} keys got {len(results)} results")
    if results[-1] != []:
        raise _Failed(f"a key no one holds ({unknown}) did not come back empty")
    for key, result in zip(asked, results, strict=True):
        if isinstance(result, ConnectorError):
            report.mapping_failures.append(f"{capability} {key}: {result.code}")
    if keys:
        alone = [(await timed(partial(call, connector, capability, [key])))[0] for key in keys]
        if alone != results[:-1]:
            raise _Failed("the batch answer differs from its keys asked one by one")
    if problems:
        raise _Failed(f"{len(problems)} record(s) break the contract")
    return results[:-1]


class _Failed(Exception):
    """A check failed; the message says why."""


async def _guarded(check: Check, run: Callable[[], Awaitable[None]]) -> Check:
    try:
        await run()
    except _Failed as exc:
        check.fail(str(exc))
    except ConnectorError as exc:
        check.fail(f"{exc.code}: {exc.public_message}")
    return check


async def _find(
    connector: Connector, recorder: FaultTransport, known: KnownPeople, report: LiveReport
) -> Check:
    check = Check(str(Capability.FIND_BY_IDENTIFIERS))
    timed = _Timed(check, recorder)

    async def run() -> None:
        keys = [i for i in known.parsed_identifiers() if i.kind in connector.identifier_kinds]
        results = await _batch(connector, timed, Capability.FIND_BY_IDENTIFIERS, keys, report)
        report.people += [r for result in results if isinstance(result, list) for r in result]
        if keys and not any(isinstance(r, list) and r for r in results):
            check.detail = "none of the identifiers given is held here"

    return await _guarded(check, run)


async def _search(
    connector: Connector, recorder: FaultTransport, known: KnownPeople, report: LiveReport
) -> Check:
    check = Check(str(Capability.SEARCH_PEOPLE))
    timed = _Timed(check, recorder)
    search = Capability.SEARCH_PEOPLE

    async def run() -> None:
        if await timed(lambda: call(connector, search, [UNKNOWN_SURNAME])):
            raise _Failed(f"a surname no one has ({UNKNOWN_SURNAME}) found people")
        for surname in known.surnames:
            found = await timed(partial(call, connector, search, [surname]))
            for record in found:
                problems = person_problems(record, connector.region)
                if not problems and not matches_surname(record, surname):
                    problems = [f"{record.local_id} found for {surname!r} without that name"]
                report.mapping_failures += problems
            report.people += [r for r in found if isinstance(r, PersonRecord)]
            if len({r.local_id for r in found}) != len(found):
                raise _Failed(f"a person came back twice searching {surname!r}")
        check.detail = f"{len(report.people)} people found by {', '.join(known.surnames)}"

    return await _guarded(check, run)


async def _listing(connector: Connector, recorder: FaultTransport, report: LiveReport) -> Check:
    """The first two small pages of everyone the region lists (no person twice, each record
    within the contract), and an unknown location listing no one."""
    check = Check(str(Capability.LIST_PEOPLE))
    timed = _Timed(check, recorder)

    async def run() -> None:
        unknown = await timed(
            lambda: connector.list_people(PersonListing(location=UNKNOWN_LOCATION))
        )
        if unknown != ListingPage(()):
            raise _Failed(f"an unknown location ({UNKNOWN_LOCATION}) listed people")
        listing = PersonListing(limit=LISTING_PAGE)
        pages = [await timed(lambda: connector.list_people(listing))]
        if pages[0].cursor is not None:
            after = PersonListing(cursor=pages[0].cursor, limit=LISTING_PAGE)
            pages.append(await timed(lambda: connector.list_people(after)))
        records = [r for page in pages for r in page.records]
        if any(len(page.records) > LISTING_PAGE for page in pages):
            raise _Failed(f"a page held more than the {LISTING_PAGE} people asked")
        if len({r.local_id for r in records}) != len(records):
            raise _Failed("a person came back twice across pages")
        for record in records:
            report.mapping_failures += person_problems(record, connector.region)
        check.detail = f"{len(records)} people on the first {len(pages)} page(s)"

    return await _guarded(check, run)


async def _lookup(
    connector: Connector,
    recorder: FaultTransport,
    capability: Capability,
    local_ids: list[str],
    report: LiveReport,
) -> Check:
    check = Check(str(capability))
    timed = _Timed(check, recorder)

    async def run() -> None:
        results = await _batch(connector, timed, capability, local_ids, report)
        records = sum(len(r) for r in results if isinstance(r, list))
        check.detail = f"{records} records for {len(local_ids)} people"
        if not local_ids:
            check.detail = "only keys no one holds tried: give --identifier or --surname"

    return await _guarded(check, run)
