"""Listing people (``list_people``) through each dialect against its real simulator: the people of
a prison, a probation region and a caseload, exactly as the store holds them, in local id order."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from connectors.base import Connector, ListingPage, PersonListing
from connectors.errors import UpstreamInvalid, UpstreamRejected
from connectors.registry import build_connectors
from connectors.testing.subject import walk_listing
from simulators.faults import SimState
from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.stores import ProbationCase, SystemStore, located_at, managed_by

SYSTEMS = ["prison-north", "prison-wales", "probation-london", "probation-wales"]
PAGE = 3  # people per page asked: several pages per listing


@pytest.fixture(scope="module")
def estate() -> Iterator[RunningEstate]:
    with RunningEstate(generate_estate(people=1500)) as running:
        yield running


@dataclass
class Region:
    connector: Connector
    store: SystemStore
    state: SimState


@pytest.fixture(params=SYSTEMS)
async def region(request: pytest.FixtureRequest, estate: RunningEstate) -> AsyncIterator[Region]:
    name = request.param
    (config,) = (c for c in estate.region_configs() if c.name == name)
    connector = build_connectors([config])[name]
    await connector.start()
    system = estate.systems[name]
    system.state.counters.clear()
    yield Region(connector, system.store, system.state)
    await connector.aclose()


def busiest_location(store: SystemStore) -> str:
    located = Counter(
        loc for loc in store.locations for r in store.records.values() if located_at(r, loc)
    )
    return located.most_common(1)[0][0]


async def listed_ids(connector: Connector, listing: PersonListing) -> list[str]:
    pages = await walk_listing(connector, listing)
    assert all(len(page.records) <= listing.limit for page in pages)
    return [record.local_id for page in pages for record in page.records]


async def test_a_location_lists_exactly_its_people_in_local_id_order(
    region: Region,
) -> None:
    connector, store = region.connector, region.store
    location = busiest_location(store)
    expected = sorted(i for i, r in store.records.items() if located_at(r, location))
    assert len(expected) > PAGE
    assert await listed_ids(connector, PersonListing(location=location, limit=PAGE)) == expected


async def test_no_filter_lists_every_record_once(region: Region) -> None:
    connector, store = region.connector, region.store
    listed = await listed_ids(connector, PersonListing(limit=50))
    assert listed == sorted(store.records)


async def test_records_carry_their_identifiers_and_region(
    region: Region,
) -> None:
    connector, store = region.connector, region.store
    page = await connector.list_people(PersonListing(limit=PAGE))
    for record in page.records:
        assert record.region == connector.region
        assert record.name.surname == store.records[record.local_id].surname


async def test_a_caseload_lists_the_cases_of_one_staff_code(
    region: Region,
) -> None:
    connector, store = region.connector, region.store
    cases = [r for r in store.records.values() if isinstance(r, ProbationCase)]
    if not cases:
        page = await connector.list_people(PersonListing(staff_code="ABCD123"))
        assert page == ListingPage(())  # prisons hold no offender managers: nothing asked
        assert not region.state.counters
        return
    staff, count = Counter(m.staff_code for c in cases for m in c.managers).most_common(1)[0]
    expected = sorted(c.local_id for c in cases if managed_by(c, staff))
    assert len(expected) == count
    assert await listed_ids(connector, PersonListing(staff_code=staff, limit=1)) == expected


async def test_a_cursor_the_region_did_not_give_is_refused(
    region: Region,
) -> None:
    connector = region.connector
    forged = "bm90LW91cnM" if connector.dialect != "rest-snake" else "/probation/caseload?AFTER=x"
    with pytest.raises(UpstreamRejected):
        await connector.list_people(PersonListing(cursor=forged))


async def test_a_snake_cursor_to_another_host_is_never_followed(estate: RunningEstate) -> None:
    (config,) = (c for c in estate.region_configs() if c.name == "probation-wales")
    connector = build_connectors([config])["probation-wales"]
    try:
        estate.systems["probation-wales"].state.counters.clear()
        elsewhere = PersonListing(cursor="http://elsewhere.example/probation/caseload?AFTER=x")
        with pytest.raises(UpstreamInvalid):
            await connector.list_people(elsewhere)
        assert not estate.systems["probation-wales"].state.counters
    finally:
        await connector.aclose()


async def test_a_page_walked_after_a_record_went_continues_where_it_was(
    estate: RunningEstate,
) -> None:
    """Keyset pages: removing a record already listed does not shift the next page."""
    (config,) = (c for c in estate.region_configs() if c.name == "probation-north")
    connector = build_connectors([config])["probation-north"]
    store = estate.systems["probation-north"].store
    try:
        first = await connector.list_people(PersonListing(limit=PAGE))
        expected_next = sorted(store.records)[PAGE : PAGE * 2]
        removed = store.remove(first.records[0].local_id)
        try:
            second = await connector.list_people(
                dataclasses.replace(PersonListing(limit=PAGE), cursor=first.cursor)
            )
        finally:
            store.add(removed)
        assert [r.local_id for r in second.records] == expected_next
    finally:
        await connector.aclose()
