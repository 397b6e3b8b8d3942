"""The contract kit: pytest checks every connector must pass, for each capability it declares.

An integrator subclasses :class:`ConnectorContract` once (the class name must start with
``Test``), names the ``dialect``, the people the region holds (``known``) and a ``region``
fixture pointing at the system::

    class TestMyRegion(ConnectorContract):
        dialect = MyConnector
        known = KnownPeople(identifiers=["A1234BC"], local_ids=["A1234BC"], surnames=["Smith"])

        @pytest.fixture
        def region(self) -> RegionUnderTest:
            return RegionUnderTest(config=my_config("http://127.0.0.1:8080/"))

Faults are injected by :class:`~connectors.testing.transport.FaultTransport` around the
connector's transport, plus ``_sim/faults`` when ``simulator_url`` is set. A check of a
capability the dialect does not declare is skipped, with the reason. Tests are marked asyncio
explicitly, so they need pytest-asyncio but none of its settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import warnings
from collections.abc import Awaitable, Iterator
from dataclasses import replace
from typing import Any, ClassVar

import httpx
import pytest

from connectors.base import Capability, Connector, ListingPage, PersonListing
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.records import NO_LIMITS, SystemKind
from connectors.registry import check_dialect
from connectors.testing.records import matches_surname, person_problems, result_problems
from connectors.testing.subject import (
    BATCH_CAPABILITIES,
    LISTING_PAGE,
    UNKNOWN_LOCATION,
    UNKNOWN_SURNAME,
    KnownPeople,
    RegionUnderTest,
    call,
    known_keys,
    opened,
    secrets_of,
    unknown_key,
    walk_listing,
)
from connectors.testing.transport import FOREIGN_HOST, GARBAGE, HOSTILE_XML, Fault, FaultTransport

STATUSES = {
    401: UpstreamAuthFailed,
    403: UpstreamAuthFailed,
    429: RegionUnavailable,
    500: RegionUnavailable,
    502: RegionUnavailable,
    503: RegionUnavailable,
}
TIMEOUT = 0.5  # seconds: the region timeout the timeout check configures
CONCURRENCY = 2  # the concurrency the concurrency check configures
capabilities = pytest.mark.parametrize("capability", list(Capability), ids=str)
batch_capabilities = pytest.mark.parametrize("capability", BATCH_CAPABILITIES, ids=str)


async def outcome(awaitable: Awaitable[Any]) -> Any:
    """What a call returned, or the exception it raised."""
    try:
        return await awaitable
    except Exception as exc:
        return exc


def assert_raised(result: object, expected: type[ConnectorError], what: str) -> None:
    """The call raised ``expected`` (the whole-call rule), not a result nor another error."""
    if isinstance(result, BaseException) and not isinstance(result, ConnectorError):
        raise AssertionError(f"{what}: a foreign exception escaped: {result!r}") from result
    assert isinstance(result, expected), (
        f"{what}: expected the call to raise {expected.__name__}, got {result!r}"
    )


def no_problems(problems: list[str]) -> None:
    """Fail listing the problems, if any (the kit's module is not assertion-rewritten)."""
    assert not problems, "; ".join(problems[:10])


class ConnectorContract:
    """Subclass with ``dialect``, ``known`` and a ``region`` fixture; see the module docstring."""

    dialect: ClassVar[type[Connector]]
    known: KnownPeople = KnownPeople()  # or RegionUnderTest.known, when found at run time

    @pytest.fixture
    def region(self) -> RegionUnderTest:
        raise NotImplementedError("a ConnectorContract subclass provides the region fixture")

    @pytest.fixture(autouse=True)
    def _known_of_region(self, region: RegionUnderTest) -> None:
        if region.known is not None:
            self.known = region.known

    # -- helpers ----------------------------------------------------------------------------

    def declared(self, capability: Capability) -> None:
        """Skip, with the reason, a check of a capability the dialect does not declare."""
        if capability not in self.dialect.capabilities:
            pytest.skip(
                f"{self.dialect.dialect or self.dialect.__name__} does not declare {capability}"
            )

    def keys(self, capability: Capability) -> list[Any]:
        """Known keys of a capability (a surname for search); skipped if none are known."""
        keys = self.keys_or_none(capability)
        if not keys:
            pytest.skip(f"no known keys for {capability}: set `known` on the subclass")
        return keys

    async def faulted(
        self,
        region: RegionUnderTest,
        capability: Capability,
        fault: Fault,
        keys: list[Any] | None = None,
    ) -> tuple[object, FaultTransport]:
        """Call ``capability`` with (two) known keys while every call gets ``fault``."""
        keys = keys or self.keys(capability)[:2]
        async with opened(self.dialect, region) as (connector, transport):
            transport.fault = fault
            limit = region.config.timeout * 3 + 5
            result = await outcome(asyncio.wait_for(call(connector, capability, keys), limit))
            return result, transport

    # -- declaration, health, close -----------------------------------------------------------

    def test_declares_a_valid_dialect(self, region: RegionUnderTest) -> None:
        assert self.dialect.capabilities, "the dialect declares no capability"
        check_dialect(region.config, self.dialect)  # methods behind capabilities, options valid
        assert region.config.kind in self.dialect.kinds, (
            f"the dialect does not serve {region.config.kind}"
        )

    @pytest.mark.asyncio
    async def test_health_at_start_up(self, region: RegionUnderTest) -> None:
        async with opened(self.dialect, region) as (connector, _):
            await connector.probe()

    @pytest.mark.asyncio
    async def test_clean_close(self, region: RegionUnderTest) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            transport = FaultTransport(region.transport)
            connector = self.dialect(region.config, transport=transport)
            await connector.start()
            await connector.probe()
            await connector.aclose()
            await connector.aclose()  # idempotent
            await transport.aclose()
            del connector
            gc.collect()
        unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert not unclosed, f"unclosed resources: {[str(w.message) for w in unclosed]}"

    # -- answers ------------------------------------------------------------------------------

    @capabilities
    @pytest.mark.asyncio
    async def test_records_have_the_documented_shape(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        keys = self.keys(capability)
        async with opened(self.dialect, region) as (connector, _):
            if capability is Capability.SEARCH_PEOPLE:
                for surname in keys:
                    found = await call(connector, capability, [surname])
                    assert found, f"search for known surname {surname!r} found no one"
                    for record in found:
                        no_problems(person_problems(record, connector.region))
                        assert matches_surname(record, surname), f"{record} is not a {surname}"
                return
            if capability is Capability.LIST_PEOPLE:
                for listing in keys:
                    page = await call(connector, capability, [listing])
                    assert isinstance(page, ListingPage), f"{listing} answered {page!r}"
                    assert page.records, f"known listing {listing} listed no one"
                    for record in page.records:
                        no_problems(person_problems(record, connector.region))
                return
            results = await call(connector, capability, keys)
        no_problems(result_problems(capability, keys, results, region.config.name))
        failed = [(k, r) for k, r in zip(keys, results, strict=True) if not isinstance(r, list)]
        assert not failed, f"known keys failed: {failed}"
        if capability is Capability.FIND_BY_IDENTIFIERS:
            assert all(results), "a known identifier found no record"
        else:
            assert any(results), f"no known local id has a {capability} record"

    @pytest.mark.asyncio
    async def test_limited_access_people_carry_exactly_their_limits(
        self, region: RegionUnderTest
    ) -> None:
        """Every record of a person named in ``known.limited_access`` carries exactly the
        exclusion and restriction lists the region holds on them."""
        self.declared(Capability.FIND_BY_IDENTIFIERS)
        named = self.known.limited_identifiers()
        if not named:
            pytest.skip("no limited-access person known: set KnownPeople.limited_access")
        keys = [identifier for identifier, _ in named]
        async with opened(self.dialect, region) as (connector, _):
            results = await call(connector, Capability.FIND_BY_IDENTIFIERS, keys)
        find = Capability.FIND_BY_IDENTIFIERS
        no_problems(result_problems(find, keys, results, region.config.name))
        for (identifier, limits), result in zip(named, results, strict=True):
            assert isinstance(result, list) and result, f"{identifier} found no record: {result!r}"
            wrong = [(r.local_id, r.access) for r in result if r.access != limits]
            assert not wrong, f"{identifier}: expected {limits}, got {wrong}"

    @pytest.mark.asyncio
    async def test_custody_records_carry_no_access_limits(self, region: RegionUnderTest) -> None:
        """Limited-access lists are probation's: a prison system's people carry none."""
        self.declared(Capability.FIND_BY_IDENTIFIERS)
        if region.config.kind is not SystemKind.CUSTODY:
            pytest.skip("the region is not a custody system")
        keys = self.keys(Capability.FIND_BY_IDENTIFIERS)
        async with opened(self.dialect, region) as (connector, _):
            results = await call(connector, Capability.FIND_BY_IDENTIFIERS, keys)
        records = [r for found in results if isinstance(found, list) for r in found]
        assert records, "no known identifier found a record"
        limited = [r.local_id for r in records if r.access != NO_LIMITS]
        assert not limited, f"custody records with access limits: {limited}"

    @batch_capabilities
    @pytest.mark.asyncio
    async def test_one_result_per_key_in_order(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        known = self.keys(capability)
        async with opened(self.dialect, region) as (connector, _):
            unknown = unknown_key(capability, connector, self.known)
            keys = [*known, unknown, known[0]]  # not a palindrome: reversal shows
            limit = connector.batch_limit
            keys = keys[:limit] if limit else keys
            together = await call(connector, capability, keys)
            alone = [(await call(connector, capability, [key]))[0] for key in keys]
        no_problems(result_problems(capability, keys, together, region.config.name))
        assert list(together) == alone, "a batch answer differs from its keys asked one by one"

    @batch_capabilities
    @pytest.mark.asyncio
    async def test_unknown_key_is_an_empty_list(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        async with opened(self.dialect, region) as (connector, _):
            unknown = unknown_key(capability, connector, self.known)
            answer = list(await call(connector, capability, [unknown]))
        assert answer == [[]], f"unknown key {unknown!r} got {answer!r}, not [[]]"

    @pytest.mark.asyncio
    async def test_unknown_surname_finds_no_one(self, region: RegionUnderTest) -> None:
        self.declared(Capability.SEARCH_PEOPLE)
        async with opened(self.dialect, region) as (connector, _):
            found = await call(connector, Capability.SEARCH_PEOPLE, [UNKNOWN_SURNAME])
        assert found == [], f"an unknown surname found {len(found)} people"

    @pytest.mark.asyncio
    async def test_listing_walks_every_page_once_in_a_stable_order(
        self, region: RegionUnderTest
    ) -> None:
        """Small pages of a known listing: none larger than asked, more than one, every person
        once, and the same people in the same order when walked again."""
        self.declared(Capability.LIST_PEOPLE)
        listing = replace(self.keys(Capability.LIST_PEOPLE)[0], limit=LISTING_PAGE)
        async with opened(self.dialect, region) as (connector, _):
            first = await walk_listing(connector, listing)
            again = await walk_listing(connector, listing)
        sizes = [len(page.records) for page in first]
        assert max(sizes) <= LISTING_PAGE, f"pages of {sizes} people, {LISTING_PAGE} asked"
        assert len(first) >= 2, f"{listing} fitted one page: name a larger listing first"
        ids = [r.local_id for page in first for r in page.records]
        assert len(ids) == len(set(ids)), "a person came back twice across pages"
        assert ids == [r.local_id for page in again for r in page.records], (
            "walking the listing again gave other people or another order"
        )

    @pytest.mark.asyncio
    async def test_unknown_location_lists_no_one(self, region: RegionUnderTest) -> None:
        self.declared(Capability.LIST_PEOPLE)
        async with opened(self.dialect, region) as (connector, _):
            page = await connector.list_people(PersonListing(location=UNKNOWN_LOCATION))
        assert page == ListingPage(()), f"an unknown location listed {page!r}"

    @batch_capabilities
    @pytest.mark.asyncio
    async def test_batch_limit_honoured(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        known = self.keys(capability)
        async with opened(self.dialect, region) as (connector, transport):
            limit = connector.batch_limit
            size = min(limit or 25, 60)
            unknown = unknown_key(capability, connector, self.known)
            keys = [*known, *[unknown] * size][:size]
            results = await call(connector, capability, keys)
        no_problems(result_problems(capability, keys, results, region.config.name))
        assert transport.exchanges, "no upstream call was made"
        if limit is not None:
            for exchange in transport.exchanges:
                carried = sum(exchange.mentions(str(key)) for key in set(map(str, known)))
                assert carried <= limit, f"{exchange.url} carried {carried} keys > {limit}"

    @capabilities
    @pytest.mark.asyncio
    async def test_concurrency_honoured(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        known = self.keys(capability)
        limited = region.with_config(concurrency=CONCURRENCY)
        recorder = FaultTransport(region.transport, delay=0.02)
        async with opened(self.dialect, limited, recorder) as (connector, transport):
            if capability is Capability.SEARCH_PEOPLE:
                keys = [self.known.paged_surname or known[0]]
            else:
                size = min(connector.batch_limit or 12, 12)
                keys = (known * size)[:size]
            await call(connector, capability, keys)
        assert transport.max_in_flight <= CONCURRENCY, (
            f"{transport.max_in_flight} calls in flight at once, concurrency is {CONCURRENCY}"
        )

    @pytest.mark.asyncio
    async def test_search_follows_every_page(self, region: RegionUnderTest) -> None:
        self.declared(Capability.SEARCH_PEOPLE)
        surname = self.known.paged_surname
        if surname is None:
            pytest.skip("no paged_surname known: set KnownPeople.paged_surname")
        async with opened(self.dialect, region) as (connector, transport):
            found = await call(connector, Capability.SEARCH_PEOPLE, [surname])
        assert len(transport.exchanges) >= 2, f"{surname!r} fitted one page: pick a commoner one"
        strays = [r.local_id for r in found if not matches_surname(r, surname)]
        assert not strays, f"{strays} matched {surname!r} without holding it"
        ids = [r.local_id for r in found]
        assert len(ids) == len(set(ids)), "a person came back twice across pages"

    # -- errors -------------------------------------------------------------------------------

    @capabilities
    @pytest.mark.parametrize("status", sorted(STATUSES))
    @pytest.mark.asyncio
    async def test_status_is_mapped(
        self, region: RegionUnderTest, capability: Capability, status: int
    ) -> None:
        self.declared(capability)
        result, _ = await self.faulted(region, capability, Fault(status=status))
        assert_raised(result, STATUSES[status], f"HTTP {status}")

    @capabilities
    @pytest.mark.asyncio
    async def test_not_found_status(self, region: RegionUnderTest, capability: Capability) -> None:
        """404 is the region refusing the request, or (for a per-key resource) that key not
        found: raised as UpstreamRejected, or an empty answer; never a record nor another error."""
        self.declared(capability)
        result, _ = await self.faulted(region, capability, Fault(status=404))
        if isinstance(result, BaseException):
            assert_raised(result, UpstreamRejected, "HTTP 404")
            assert not isinstance(result, UpstreamAuthFailed), (
                "HTTP 404 is not a refusal of credentials"
            )
        else:
            empty = (
                all(r == [] for r in result)
                if isinstance(result, list)
                else result in ([], ListingPage(()))
            )
            assert empty, f"HTTP 404 answered {result!r}: raise UpstreamRejected or answer nothing"

    @capabilities
    @pytest.mark.asyncio
    async def test_stalled_region_times_out(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        began = time.monotonic()
        result, _ = await self.faulted(
            region.with_config(timeout=TIMEOUT), capability, Fault(stall=True)
        )
        assert_raised(result, RegionTimeout, "a stalled region")
        assert time.monotonic() - began < TIMEOUT * 2 + 1, "the region's timeout was not kept"

    @capabilities
    @pytest.mark.asyncio
    async def test_refused_connection(
        self, region: RegionUnderTest, capability: Capability
    ) -> None:
        self.declared(capability)
        result, _ = await self.faulted(region, capability, Fault(refuse=True))
        assert_raised(result, RegionUnavailable, "a refused connection")
        assert not isinstance(result, RegionTimeout), "a refused connection is not a timeout"

    @capabilities
    @pytest.mark.parametrize(
        "body", [GARBAGE, HOSTILE_XML, b""], ids=["garbage", "doctype", "empty"]
    )
    @pytest.mark.asyncio
    async def test_malformed_or_hostile_reply(
        self, region: RegionUnderTest, capability: Capability, body: bytes
    ) -> None:
        self.declared(capability)
        result, _ = await self.faulted(region, capability, Fault(body=body))
        assert_raised(result, UpstreamInvalid, "an unreadable reply")

    @pytest.mark.asyncio
    async def test_foreign_links_are_never_followed(self, region: RegionUnderTest) -> None:
        self.declared(Capability.SEARCH_PEOPLE)
        surname = self.known.paged_surname or self.keys(Capability.SEARCH_PEOPLE)[0]
        result, transport = await self.faulted(
            region, Capability.SEARCH_PEOPLE, Fault(foreign_links=True), [surname]
        )
        assert FOREIGN_HOST not in transport.hosts(), "a link to another host was followed"
        if isinstance(result, BaseException):
            assert_raised(result, UpstreamInvalid, "a link to another host")

    # -- secrets ------------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_no_secret_in_any_error_or_log(
        self, region: RegionUnderTest, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        faults = [Fault(status=401), Fault(status=500), Fault(body=GARBAGE), Fault(refuse=True)]
        errors: list[BaseException] = []
        for capability in sorted(self.dialect.capabilities):
            if not self.keys_or_none(capability):
                continue
            for fault in faults:
                result, _ = await self.faulted(region, capability, fault)
                errors += _errors_in(result)
        probe = FaultTransport(region.transport)
        connector = self.dialect(region.config, transport=probe)
        secrets = secrets_of(connector, region.secrets)
        texts = [repr(connector.config), repr(connector.options), caplog.text]
        texts += [text for error in errors for text in (str(error), repr(error))]
        await probe.aclose()
        assert errors, "no fault produced an error to inspect"
        leaked = [s for s in secrets for text in texts if s in text]
        assert not leaked, f"{len(leaked)} secret(s) shown in an error, a repr or a log line"

    def keys_or_none(self, capability: Capability) -> list[Any]:
        if capability is Capability.SEARCH_PEOPLE:
            return list(self.known.surnames)
        if capability is Capability.LIST_PEOPLE:
            return list(self.known.listings)
        return known_keys(capability, self.known)

    # -- the simulator's own faults -------------------------------------------------------------

    @pytest.mark.parametrize(
        ("faults", "expected"),
        [
            ({"outage": True}, RegionUnavailable),
            ({"reject_credentials": True}, UpstreamAuthFailed),
            ({"malformed_rate": 1.0}, UpstreamInvalid),
        ],
        ids=["outage", "credentials-rejected", "malformed"],
    )
    @pytest.mark.asyncio
    async def test_simulator_faults(
        self, region: RegionUnderTest, faults: dict[str, Any], expected: type[ConnectorError]
    ) -> None:
        if region.simulator_url is None:
            pytest.skip("the region is not a simulator (RegionUnderTest.simulator_url unset)")
        async with opened(self.dialect, region) as (connector, _):
            with _simulator_faults(region.simulator_url, faults):
                for capability in sorted(self.dialect.capabilities):
                    keys = self.keys_or_none(capability)[:2]
                    if keys:
                        result = await outcome(call(connector, capability, keys))
                        assert_raised(result, expected, f"{capability} under {faults}")


def _errors_in(result: object) -> list[BaseException]:
    if isinstance(result, BaseException):
        return [result]
    if isinstance(result, list):
        return [r for r in result if isinstance(r, BaseException)]
    return []


@contextlib.contextmanager
def _simulator_faults(url: str, faults: dict[str, Any]) -> Iterator[None]:
    """Set a simulator's faults (``PUT _sim/faults``) for a block, then clear them all."""
    control = url.rstrip("/") + "/_sim/faults"
    httpx.put(control, json=faults, timeout=5).raise_for_status()
    try:
        yield
    finally:
        httpx.put(control, json={}, timeout=5).raise_for_status()
