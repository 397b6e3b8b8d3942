"""Facts that came with a record prime the fact loaders (gateway.loaders): not fetched again in
the request, stamped as the answer that brought them, cached and failed with it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from connectors.base import BatchResult, Capability, Connector
from connectors.config import RegionConfig
from connectors.errors import ConnectorError, RegionUnavailable
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import (
    IncludedFacts,
    ManagerRole,
    OffenderManager,
    PersonName,
    PersonRecord,
    SystemKind,
)
from gateway.loaders import FIND, MANAGERS, RegionLoaders
from gateway.pipeline.call import Deadline, Fetched, RequestScope
from gateway.runtime import Runtime, build_runtime
from gateway.settings import CacheSettings, ResilienceSettings
from tests.gateway.inprocess import settings

REGION = "probation-north"
CRN = Identifier(IdentifierKind.CRN, "X100001")


def manager(local_id: str, staff_code: str) -> OffenderManager:
    return OffenderManager(
        REGION, local_id, staff_code, "Sarah", "Khan", ManagerRole.COM, None, None, None, True
    )


class CarryingConnector(Connector):
    """Finds one case whose reply carries its managers (when ``carry``); counts every call."""

    dialect = "fake-carrying"
    capabilities = frozenset({Capability.FIND_BY_IDENTIFIERS, Capability.MANAGERS_FOR})

    def __init__(self, cache_ttl: dict[str, float] | None = None) -> None:
        super().__init__(
            RegionConfig(
                name=REGION,
                dialect=self.dialect,
                kind=SystemKind.PROBATION,
                base_url="http://fake.test/",
                cache_ttl=cache_ttl or {},
            )
        )
        self.carry = True
        self.down = False
        self.finds = 0
        self.manager_calls: list[list[str]] = []

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        self.finds += 1
        if self.down:
            raise RegionUnavailable(REGION, "region is down")
        record = PersonRecord(REGION, "1001", (CRN,), PersonName("John", "Watts"), None)
        if self.carry:
            record = replace(record, included=IncludedFacts(managers=(manager("1001", "CARRIED"),)))
        return [[record] for _ in identifiers]

    async def managers_for(self, local_ids: Sequence[str]) -> BatchResult[list[OffenderManager]]:
        self.manager_calls.append(list(local_ids))
        return [[manager(local_id, "FETCHED")] for local_id in local_ids]


def runtime_for(connector: CarryingConnector, **overrides: object) -> Runtime:
    return build_runtime(settings(**overrides), {REGION: connector})


def request(runtime: Runtime) -> RegionLoaders:
    """One request's loaders."""
    return RegionLoaders(runtime.pipeline, Deadline(5.0), RequestScope())


async def find_then_managers(
    loaders: RegionLoaders,
) -> tuple[Fetched[list[PersonRecord]], Fetched[list[OffenderManager]] | ConnectorError]:
    found = await loaders.load(REGION, FIND, CRN)
    return found, await loaders.try_load(REGION, MANAGERS, "1001")


def staff_codes(outcome: Fetched[list[OffenderManager]] | ConnectorError) -> list[str]:
    assert isinstance(outcome, Fetched)
    return [m.staff_code for m in outcome.value]


async def test_managers_that_came_with_the_record_are_not_fetched_again() -> None:
    connector = CarryingConnector()
    found, managers = await find_then_managers(request(runtime_for(connector)))
    assert staff_codes(managers) == ["CARRIED"]
    assert connector.manager_calls == []
    assert isinstance(managers, Fetched)
    assert (managers.fetched_at, managers.stale) == (found.fetched_at, False)  # as the find


async def test_a_record_without_them_leaves_managers_to_their_own_call() -> None:
    connector = CarryingConnector()
    connector.carry = False
    _, managers = await find_then_managers(request(runtime_for(connector)))
    assert staff_codes(managers) == ["FETCHED"]
    assert connector.manager_calls == [["1001"]]


async def test_a_key_already_asked_keeps_its_own_answer() -> None:
    connector = CarryingConnector()
    loaders = request(runtime_for(connector))
    first = await loaders.try_load(REGION, MANAGERS, "1001")
    _, again = await find_then_managers(loaders)
    assert staff_codes(first) == staff_codes(again) == ["FETCHED"]
    assert connector.manager_calls == [["1001"]]


async def test_a_cached_find_primes_the_next_request_too() -> None:
    connector = CarryingConnector()
    runtime = runtime_for(connector, cache=CacheSettings())
    first_find, _ = await find_then_managers(request(runtime))
    second_find, managers = await find_then_managers(request(runtime))
    assert connector.finds == 1  # the second find came from the cache
    assert staff_codes(managers) == ["CARRIED"]
    assert connector.manager_calls == []
    assert isinstance(managers, Fetched)
    assert managers.fetched_at == second_find.fetched_at == first_find.fetched_at


async def test_a_stale_find_standing_in_primes_stale_managers() -> None:
    connector = CarryingConnector(cache_ttl={"default": 0.01})
    runtime = runtime_for(
        connector, cache=CacheSettings(), resilience=ResilienceSettings(retries=0)
    )
    await find_then_managers(request(runtime))
    await asyncio.sleep(0.02)  # the find's answer is past its freshness, within its grace
    connector.down = True
    found, managers = await find_then_managers(request(runtime))
    assert found.stale is True
    assert isinstance(managers, Fetched)
    assert (staff_codes(managers), managers.stale) == (["CARRIED"], True)
