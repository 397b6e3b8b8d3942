"""Limited-access lists arrive end to end: simulators over real sockets → connectors → pipeline →
service, with authentication off. Every record of a limited-access person carries the limits its
system holds in the ground truth (enforcing them is the policy's: tests/gateway/
test_permission_matrix.py); a prison record or an unlimited case carries none."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from auth.principal import Principal
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import NO_LIMITS
from gateway.runtime import Runtime, build_runtime
from simulators.runner import RunningEstate
from simulators.truth import Estate, TruePerson
from tests.gateway.inprocess import settings
from tests.gateway.truth import strongly_linked


@pytest.fixture
async def runtime(running_estate: RunningEstate) -> AsyncIterator[Runtime]:
    built = build_runtime(settings(regions=tuple(running_estate.region_configs())))
    await built.start()
    yield built
    await built.aclose()


def linked(estate: Estate, people: list[TruePerson], count: int) -> list[TruePerson]:
    return [p for p in people if p.crn and strongly_linked(estate, p)][:count]


async def records_by_crn(runtime: Runtime, person: TruePerson) -> dict[str, object]:
    assert person.crn is not None
    service = runtime.context(Principal.development()).service
    lookup = await service.find(Identifier(IdentifierKind.CRN, person.crn))
    assert lookup.person is not None and not lookup.failures, person.person_id
    return {record.region: record.access for record in lookup.person.records}


async def test_limited_access_people_carry_the_limits_of_the_truth(
    estate: Estate, runtime: Runtime
) -> None:
    people = linked(estate, estate.limited_people(), 12)
    assert len(people) == 12
    assert any(len(p.slices) > len(p.access) for p in people)  # unlimited records beside
    for person in people:
        got = await records_by_crn(runtime, person)
        assert set(got) == set(person.slices), person.person_id
        assert got == {s: estate.access_of(person.person_id, s) for s in person.slices}
    limits = [limits for p in people for limits in p.access.values()]
    assert any(x.excluded for x in limits) and any(x.restricted_to for x in limits)


async def test_people_without_limits_carry_none(estate: Estate, runtime: Runtime) -> None:
    plain = [p for p in estate.people.values() if not p.limited and len(p.slices) >= 3]
    sample = linked(estate, plain, 5)
    assert len(sample) == 5
    for person in sample:
        got = await records_by_crn(runtime, person)
        assert got == dict.fromkeys(person.slices, NO_LIMITS)
