"""The kit itself: its fault transport, its record checks, and that its checks fail broken
connectors (each a one-line mutation of rest-camel)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest

import connectors
import connectors.testing
from connectors.base import BatchResult, Capability
from connectors.errors import ConnectorError, UpstreamAuthFailed
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import NO_LIMITS, AccessLimits, PersonName, PersonRecord
from connectors.rest_camel import CamelProbationConnector
from connectors.testing import ConnectorContract, Fault, FaultTransport, RegionUnderTest
from connectors.testing.records import person_problems, result_problems
from connectors.testing.transport import FOREIGN_HOST
from simulators.runner import RunningEstate
from tests.connectors.contract.conftest import certified

PNC = Identifier(IdentifierKind.PNC, "2012/0394773H")


def echo(request: httpx.Request) -> httpx.Response:
    body = b'{"next": "/api/people?page=2", "self": "http://up.example:81/api/x"}'
    return httpx.Response(200, headers={"content-type": "application/json"}, content=body)


async def send(transport: FaultTransport, url: str = "http://up.example:81/api/people") -> bytes:
    async with httpx.AsyncClient(transport=transport, timeout=0.2) as client:
        reply = await client.get(url)
        return reply.content + f" {reply.status_code}".encode()


@pytest.mark.asyncio
async def test_fault_transport_passes_through_and_records() -> None:
    transport = FaultTransport(httpx.MockTransport(echo))
    assert (await send(transport)).endswith(b"200")
    assert [str(e.url) for e in transport.exchanges] == ["http://up.example:81/api/people"]
    assert transport.exchanges[0].mentions("/api/people") and transport.max_in_flight == 1


@pytest.mark.asyncio
async def test_fault_transport_rewrites_statuses_bodies_and_links() -> None:
    transport = FaultTransport(httpx.MockTransport(echo), fault=Fault(status=429))
    assert (await send(transport)).endswith(b"429")
    transport.fault = Fault(body=b"junk")
    assert await send(transport) == b"junk 200"
    transport.fault = Fault(foreign_links=True)
    rewritten = await send(transport)
    assert rewritten.count(FOREIGN_HOST.encode()) == 2 and b"up.example" not in rewritten


@pytest.mark.asyncio
async def test_fault_transport_stalls_until_the_read_timeout_and_refuses() -> None:
    transport = FaultTransport(httpx.MockTransport(echo), fault=Fault(stall=True))
    began = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await send(transport)
    assert 0.2 <= time.monotonic() - began < 1.0
    transport.fault = Fault(refuse=True)
    with pytest.raises(httpx.ConnectError):
        await send(transport)


@pytest.mark.asyncio
async def test_fault_transport_counts_calls_in_flight() -> None:
    transport = FaultTransport(httpx.MockTransport(echo), delay=0.05)
    await asyncio.gather(*(send(transport) for _ in range(3)))
    assert transport.max_in_flight == 3


def person(**changes: object) -> PersonRecord:
    record = PersonRecord("r", "X123456", (PNC,), PersonName("Ann", "Smith"), date(1980, 1, 2))
    return replace(record, **changes)  # type: ignore[arg-type]


def test_record_checks_find_what_breaks_the_contract() -> None:
    assert person_problems(person(), "r") == []
    bad_check = (Identifier(IdentifierKind.PNC, "2012/0394773A"),)
    short = (Identifier(IdentifierKind.PNC, "12/394773H"),)
    assert "check character" in person_problems(person(identifiers=bad_check), "r")[0]
    assert "not canonical" in person_problems(person(identifiers=short), "r")[0]
    assert "region" in person_problems(person(), "other")[0]
    assert "date_of_birth" in person_problems(person(date_of_birth=datetime(1980, 1, 2)), "r")[0]
    assert "held twice" in person_problems(person(identifiers=(PNC, PNC)), "r")[0]
    find = Capability.FIND_BY_IDENTIFIERS
    assert result_problems(find, [PNC], [[person()]], "r") == []
    assert "1 keys got 2" in result_problems(find, [PNC], [[], []], "r")[0]
    other = Identifier(IdentifierKind.CRN, "X654321")
    assert "does not hold it" in result_problems(find, [other], [[person()]], "r")[0]
    untrimmed = AccessLimits(excluded=frozenset({" probation.excluded"}))
    assert "untrimmed" in person_problems(person(access=untrimmed), "r")[0]
    listed = AccessLimits(restricted_to=["a.b"])  # type: ignore[arg-type]
    assert "not a frozenset" in person_problems(person(access=listed), "r")[0]


class Reversed(CamelProbationConnector):
    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        return list(reversed(await super().find_by_identifiers(identifiers)))


class Swallowing(CamelProbationConnector):
    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        try:
            return await super().find_by_identifiers(identifiers)
        except ConnectorError:
            return [[] for _ in identifiers]  # a down region passed off as "nobody"


class Leaky(CamelProbationConnector):
    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        try:
            return await super().find_by_identifiers(identifiers)
        except ConnectorError:
            secret = self.config.auth.client_secret
            raise UpstreamAuthFailed(self.region, f"refused {secret}") from None


class Unbounded(CamelProbationConnector):
    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        answers = await asyncio.gather(
            *(super(Unbounded, self).find_by_identifiers([key]) for key in identifiers)
        )
        return [answer[0] for answer in answers]


class Unlimiting(CamelProbationConnector):
    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        answers = await super().find_by_identifiers(identifiers)
        return [  # the limited-access lists dropped
            [replace(r, access=NO_LIMITS) for r in a] if isinstance(a, list) else a for a in answers
        ]


def kit_for(dialect: type[CamelProbationConnector], region: RegionUnderTest) -> ConnectorContract:
    kit: ConnectorContract = type("Kit", (ConnectorContract,), {"dialect": dialect})()
    assert region.known is not None
    kit.known = region.known
    return kit


@pytest.fixture
def camel_region(contract_estate: RunningEstate) -> RegionUnderTest:
    return certified(contract_estate, "probation-london", page_size=3)


@pytest.mark.asyncio
async def test_the_kit_fails_a_connector_answering_out_of_order(
    camel_region: RegionUnderTest,
) -> None:
    kit = kit_for(Reversed, camel_region)
    with pytest.raises(AssertionError, match=r"does not hold it|differs from its keys"):
        await kit.test_one_result_per_key_in_order(camel_region, Capability.FIND_BY_IDENTIFIERS)


@pytest.mark.asyncio
async def test_the_kit_fails_a_connector_hiding_a_whole_call_failure(
    camel_region: RegionUnderTest,
) -> None:
    kit = kit_for(Swallowing, camel_region)
    with pytest.raises(AssertionError, match="expected the call to raise RegionUnavailable"):
        await kit.test_status_is_mapped(camel_region, Capability.FIND_BY_IDENTIFIERS, 503)


@pytest.mark.asyncio
async def test_the_kit_fails_a_connector_showing_a_secret(
    camel_region: RegionUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    kit = kit_for(Leaky, camel_region)
    with pytest.raises(AssertionError, match="secret"):
        await kit.test_no_secret_in_any_error_or_log(camel_region, caplog)


@pytest.mark.asyncio
async def test_the_kit_fails_a_connector_exceeding_its_concurrency(
    camel_region: RegionUnderTest,
) -> None:
    kit = kit_for(Unbounded, camel_region)
    with pytest.raises(AssertionError, match="in flight at once"):
        await kit.test_concurrency_honoured(camel_region, Capability.FIND_BY_IDENTIFIERS)


@pytest.mark.asyncio
async def test_the_kit_fails_a_connector_dropping_limited_access_lists(
    camel_region: RegionUnderTest,
) -> None:
    kit = kit_for(Unlimiting, camel_region)
    with pytest.raises(AssertionError, match="expected AccessLimits"):
        await kit.test_limited_access_people_carry_exactly_their_limits(camel_region)


def test_the_package_and_check_connector_run_without_pytest() -> None:
    code = (
        "import sys, connectors, connectors.testing, connectors.testing.live, gateway.cli; "
        "assert 'pytest' not in sys.modules, 'pytest imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_kit_is_covered_by_the_packages_py_typed() -> None:
    package = Path(connectors.__file__).parent
    assert (package / "py.typed").is_file()
    assert Path(connectors.testing.__file__).parent.parent == package  # PEP 561: a subpackage
