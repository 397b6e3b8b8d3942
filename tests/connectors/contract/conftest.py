"""The simulated estate the shipped dialects are certified against, and what each system holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from connectors.base import PersonListing
from connectors.identifiers import IdentifierKind, try_parse_identifier
from connectors.records import AccessLimits
from connectors.testing import KnownPeople, RegionUnderTest
from connectors.testing.subject import LISTING_PAGE
from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.stores import ProbationCase, Record, SystemStore, located_at

PEOPLE = 1500  # enough for every system to hold a surname spanning several pages of 3


@pytest.fixture(scope="session")
def contract_estate() -> Iterator[RunningEstate]:
    """A small estate of its own: the kit sets faults on its systems."""
    with RunningEstate(generate_estate(people=PEOPLE)) as running:
        yield running


def region_under_test(running: RunningEstate, system: str, **options: Any) -> RegionUnderTest:
    """One simulated system as the kit's region, with dialect options added."""
    (config,) = (c for c in running.region_configs() if c.name == system)
    config = replace(config, options={**config.options, **options})
    return RegionUnderTest(config=config, simulator_url=running.systems[system].url)


def known_people(store: SystemStore, count: int = 3, paged: bool = True) -> KnownPeople:
    """A few people of the store: their identifiers, local ids and surnames; with ``paged``, its
    commonest surname (more hits than a page of 3)."""
    probation = store.kind == "PROBATION"
    people = [
        r
        for r in store.records.values()
        if try_parse_identifier(r.pnc_number, IdentifierKind.PNC) and all(_holdings(r))
    ][:count]
    own = IdentifierKind.CRN if probation else IdentifierKind.NOMS
    identifiers = [
        parsed
        for r in people
        for kind, raw in ((own, r.local_id), (IdentifierKind.PNC, r.pnc_number))
        if (parsed := try_parse_identifier(raw, kind))
    ]
    common, hits = Counter(r.surname for r in store.records.values()).most_common(1)[0]
    assert hits > 3, "no surname spans more than one page of 3"
    return KnownPeople(
        identifiers=identifiers,
        local_ids=[r.local_id for r in people],
        surnames=sorted({r.surname for r in people}),
        paged_surname=common if paged else None,
        limited_access=limited_access(store),
        listings=listings(store),
    )


def listings(store: SystemStore) -> list[PersonListing]:
    """The store's busiest location (more people than a listing page of the kit) and, for a
    probation store, its busiest offender manager's caseload."""
    records = list(store.records.values())
    located = Counter(loc for loc in store.locations for r in records if located_at(r, loc))
    location, people = located.most_common(1)[0]
    assert people > LISTING_PAGE, f"{store.name}: no location holds more than a listing page"
    found = [PersonListing(location=location)]
    staff = Counter(
        m.staff_code for r in records if isinstance(r, ProbationCase) for m in r.managers
    )
    if staff:
        found.append(PersonListing(staff_code=staff.most_common(1)[0][0]))
    return found


def limited_access(store: SystemStore, count: int = 4) -> dict[str, AccessLimits]:
    """A probation store's limited-access cases by CRN with their limits, and one case it does
    not limit (empty for a prison store)."""
    cases = [r for r in store.records.values() if isinstance(r, ProbationCase)]
    limited = [c for c in cases if c.exclusions or c.restrictions][:count]
    if not cases:
        return {}
    assert limited, f"{store.name} holds no limited-access case"
    plain = next(c for c in cases if not (c.exclusions or c.restrictions))
    return {
        c.crn: AccessLimits(frozenset(c.exclusions), frozenset(c.restrictions))
        for c in [*limited, plain]
    }


def _holdings(record: Record) -> tuple[list[Any], ...]:
    """What a record holds behind each ``*_for`` capability."""
    if isinstance(record, ProbationCase):
        return record.supervisions, record.managers, record.registrations
    return record.bookings, record.movements, record.alerts


def certified(
    running: RunningEstate, system: str, *, paged: bool = True, **options: Any
) -> RegionUnderTest:
    """A simulated system with the people it holds, ready for the kit (``paged``: its search
    pages, so the multi-page check runs)."""
    return replace(
        region_under_test(running, system, **options),
        known=known_people(running.systems[system].store, paged=paged),
    )
