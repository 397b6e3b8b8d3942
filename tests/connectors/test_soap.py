"""The soap-prison connector: against simulators on real sockets, and hostile in-process replies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import etree
from zeep.exceptions import DTDForbidden

from connectors import soap_mapping as m
from connectors.base import PersonSearch
from connectors.config import AuthConfig, RegionConfig
from connectors.errors import (
    ConfigurationError,
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind, parse_identifier
from connectors.records import AlertSource, PersonName, SentenceDates, SystemKind
from connectors.soap import SoapPrisonConnector
from connectors.soap_reply import SOAP11_ENV
from simulators.faults import FaultInjection, Faults, SimState
from simulators.server import ServerGroup, free_port
from simulators.soap_prison import WSSE, create_prison_app, render_wsdl
from tests.fixtures.soap.prisoners import (
    JOHNNY,
    JOHNNY_NOMS,
    MARY,
    MARY_PNC_SHORT,
    SMITH,
    SMITH_CRO,
    SMITH_NOMS,
    SMITH_PNC_LONG,
    SMITH_PNC_SHORT,
    UNKNOWN,
    make_store,
)

REGION = "prison-test"
API_KEY = "prison-key-Qv93"


@dataclass
class System:
    url: str
    state: SimState


def config(url: str, timeout: float = 2.0, **options: Any) -> RegionConfig:
    return RegionConfig(
        name=REGION,
        dialect="soap-prison",
        kind=SystemKind.CUSTODY,
        base_url=url,
        timeout=timeout,
        concurrency=4,
        options=options,
    )


WSSE_USER, WSSE_PASSWORD = "gateway-user", "wsse-pass-Hh41"
SYSTEMS: dict[str, tuple[bool, dict[str, Any]]] = {
    "batch": (True, {}),
    "legacy": (False, {}),
    "flaky": (True, {}),
    "soap12": (True, {"soap_version": "1.2"}),
    "secured": (True, {"wsse": (WSSE_USER, WSSE_PASSWORD)}),
    "secured12": (True, {"wsse": (WSSE_USER, WSSE_PASSWORD), "soap_version": "1.2"}),
}


@pytest.fixture(scope="module")
def estate() -> Iterator[dict[str, System]]:
    """A batch system, a legacy one, a flaky one (batch) whose faults tests change, one on SOAP
    1.2, and two (1.1, 1.2) that require a WS-Security UsernameToken."""
    names = {name: batch for name, (batch, _) in SYSTEMS.items()}
    states = {name: SimState() for name in names}
    apps = [
        (
            FaultInjection(
                create_prison_app(make_store(n, b), states[n], **SYSTEMS[n][1]), states[n]
            ),
            free_port(),
        )
        for n, b in names.items()
    ]
    with ServerGroup(apps) as group:
        yield {n: System(url, states[n]) for n, url in zip(names, group.urls(), strict=True)}


@asynccontextmanager
async def started(system: System, **options: Any) -> AsyncIterator[SoapPrisonConnector]:
    """A started connector for a system with its faults and counters reset."""
    system.state.faults = Faults()
    system.state.counters.clear()
    connector = SoapPrisonConnector(config(system.url, **options))
    try:
        await connector.start()
        yield connector
    finally:
        await connector.aclose()
        system.state.faults = Faults()


@pytest.fixture
async def batch(estate: dict[str, System]) -> AsyncIterator[SoapPrisonConnector]:
    async with started(estate["batch"]) as connector:
        yield connector


@pytest.fixture
async def legacy(estate: dict[str, System]) -> AsyncIterator[SoapPrisonConnector]:
    async with started(estate["legacy"]) as connector:
        yield connector


@pytest.fixture
async def flaky(estate: dict[str, System]) -> AsyncIterator[SoapPrisonConnector]:
    async with started(estate["flaky"], timeout=0.3) as connector:
        yield connector


def ids(*raw: str) -> list[Identifier]:
    return [parse_identifier(r) for r in raw]


# --- reading the estate ----------------------------------------------------------------------


async def test_start_reads_from_the_wsdl_whether_batch_calls_exist(
    batch: SoapPrisonConnector, legacy: SoapPrisonConnector, estate: dict[str, System]
) -> None:
    assert batch.batch is True
    assert legacy.batch is False
    await batch.start()  # already started: no second load
    assert estate["batch"].state.counters["WSDL"] == 1


async def test_find_by_noms_maps_the_whole_person(batch: SoapPrisonConnector) -> None:
    [[person]] = await batch.find_by_identifiers(ids(SMITH_NOMS))
    assert not isinstance(person, ConnectorError)
    assert (person.region, person.local_id) == (REGION, SMITH)
    assert set(person.identifiers) == {
        Identifier(IdentifierKind.NOMS, SMITH_NOMS),
        Identifier(IdentifierKind.PNC, SMITH_PNC_LONG),  # stored short, normalised
        Identifier(IdentifierKind.CRO, SMITH_CRO),
    }
    assert person.name == PersonName("John", "Smith", "Paul")
    assert person.aliases == (PersonName("Jon", "Smyth"),)
    assert (person.date_of_birth, person.gender) == (date(1980, 1, 2), "M")


@pytest.mark.parametrize("system", ["batch", "legacy"])
async def test_find_by_pnc_in_either_form_and_unknown_is_empty(
    estate: dict[str, System], system: str
) -> None:
    async with started(estate[system]) as connector:
        results = await connector.find_by_identifiers(
            ids(SMITH_PNC_SHORT, SMITH_PNC_LONG, MARY_PNC_SHORT, "Z9999ZZ", SMITH_CRO)
        )
        assert [[p.local_id for p in r] for r in results if isinstance(r, list)] == [
            [SMITH],
            [SMITH],
            [MARY],
            [],
            [SMITH],
        ]


async def test_dirty_identifiers_are_dropped(batch: SoapPrisonConnector) -> None:
    [[johnny]] = await batch.find_by_identifiers(ids(JOHNNY_NOMS))
    assert not isinstance(johnny, ConnectorError)
    assert johnny.identifiers == (Identifier(IdentifierKind.NOMS, JOHNNY_NOMS),)


async def test_identifier_kinds_the_region_never_holds_cost_no_call(
    batch: SoapPrisonConnector, estate: dict[str, System]
) -> None:
    assert await batch.find_by_identifiers(ids("X123456")) == [[]]
    assert estate["batch"].state.counters["FindOffenders"] == 0


@pytest.mark.parametrize(
    ("system", "operation", "calls"), [("batch", "FindOffenders", 1), ("legacy", "FindOffender", 4)]
)
async def test_find_batches_or_fans_out(
    estate: dict[str, System], system: str, operation: str, calls: int
) -> None:
    async with started(estate[system]) as connector:
        results = await connector.find_by_identifiers(
            ids(SMITH_NOMS, MARY_PNC_SHORT, JOHNNY_NOMS, "Z9999ZZ")
        )
        assert [len(r) for r in results if isinstance(r, list)] == [1, 1, 1, 0]
        counters = estate[system].state.counters
        assert counters[operation] == calls
        assert counters["FindOffenders"] + counters["FindOffender"] == calls


@pytest.mark.parametrize(
    ("method", "single", "batched"),
    [
        ("custody_for", "GetCustodyHistory", "GetCustodyHistories"),
        ("movements_for", "GetMovements", "GetMovementsBatch"),
        ("alerts_for", "GetAlerts", "GetAlertsBatch"),
    ],
)
async def test_per_offender_calls_batch_or_fan_out_with_equal_results(
    batch: SoapPrisonConnector,
    legacy: SoapPrisonConnector,
    estate: dict[str, System],
    method: str,
    single: str,
    batched: str,
) -> None:
    keys = [SMITH, UNKNOWN, JOHNNY, MARY]
    from_batch = await getattr(batch, method)(keys)
    from_legacy = await getattr(legacy, method)(keys)
    assert from_batch == from_legacy
    assert len(from_batch) == 4 and from_batch[1] == [] and from_batch[0] != []
    assert all(r.local_id == k for k, rs in zip(keys, from_batch, strict=True) for r in rs)
    assert estate["batch"].state.counters[batched] == 1
    assert estate["batch"].state.counters[single] == 0
    assert estate["legacy"].state.counters[single] == 4


async def test_custody_episode_fields(batch: SoapPrisonConnector) -> None:
    [[episode]] = await batch.custody_for([SMITH])
    assert not isinstance(episode, ConnectorError)
    assert (episode.booking_id, episode.book_number) == ("10010", "N1001A")
    assert (episode.prison_id, episode.prison_name) == ("LEI", "Leeds")
    assert (episode.active, episode.in_out_status, episode.legal_status) == (
        True,
        "IN",
        "SENTENCED",
    )
    assert (episode.start_date, episode.end_date) == (date(2020, 3, 1), None)
    assert (episode.security_category, episode.cell_location) == ("C", "A-1-002")
    assert episode.sentence == SentenceDates(
        sentence_start=date(2020, 3, 1), sentence_expiry=date(2026, 3, 1)
    )


async def test_movements_and_alerts_fields(batch: SoapPrisonConnector) -> None:
    [moves] = await batch.movements_for([JOHNNY])
    assert isinstance(moves, list)
    assert [(m.occurred_on, m.movement_type, m.from_location, m.to_location) for m in moves] == [
        (date(2021, 1, 5), "TRANSFERRED", "LEI", "MDI"),
        (date(2022, 6, 1), "RELEASED", "MDI", "OUT"),
    ]
    [[alert]] = await batch.alerts_for([SMITH])
    assert not isinstance(alert, ConnectorError)
    assert (alert.source, alert.type, alert.code) == (AlertSource.PRISON_ALERT, "X", "XER")
    assert (alert.description, alert.active, alert.start_date) == (
        "Escape risk",
        True,
        date(2020, 3, 2),
    )


async def test_large_batches_are_split_into_chunks_in_order(estate: dict[str, System]) -> None:
    async with started(estate["batch"], max_batch=2) as connector:
        keys = [JOHNNY, SMITH, UNKNOWN, MARY, SMITH]
        results = await connector.custody_for(keys)
        assert [[e.local_id for e in r] for r in results if isinstance(r, list)] == [
            [JOHNNY],
            [SMITH],
            [],
            [],
            [SMITH],
        ]
        assert estate["batch"].state.counters["GetCustodyHistories"] == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (PersonSearch("SMITH"), {SMITH, MARY, JOHNNY}),
        (PersonSearch("smith", forename="joh"), {SMITH, JOHNNY}),
        (PersonSearch("Smyth"), {SMITH}),  # alias
        (PersonSearch("Jones", forename="mar"), {MARY}),  # alias, forename prefix
        (PersonSearch("Smith", date_of_birth=date(1975, 5, 6)), {MARY}),
        (PersonSearch("Nobody"), set()),
    ],
)
async def test_search_people(
    legacy: SoapPrisonConnector, query: PersonSearch, expected: set[str]
) -> None:
    people = await legacy.search_people(query)
    assert {p.local_id for p in people} == expected
    assert all(p.region == REGION for p in people)


async def test_search_limit_is_passed_on(batch: SoapPrisonConnector) -> None:
    assert len(await batch.search_people(PersonSearch("Smith", limit=2))) == 2


async def test_empty_batches_cost_no_call(
    batch: SoapPrisonConnector, estate: dict[str, System]
) -> None:
    assert await batch.custody_for([]) == []
    assert await batch.find_by_identifiers([]) == []
    assert estate["batch"].state.counters["_requests"] == 1  # the WSDL only


# --- lifecycle -------------------------------------------------------------------------------


async def test_concurrent_first_calls_load_the_wsdl_once(estate: dict[str, System]) -> None:
    system = estate["batch"]
    system.state.counters.clear()
    connector = SoapPrisonConnector(config(system.url))
    try:
        results = await asyncio.gather(*(connector.alerts_for([SMITH]) for _ in range(5)))
        assert all(len(r[0]) == 1 for r in results if isinstance(r[0], list))
        assert system.state.counters["WSDL"] == 1
    finally:
        await connector.aclose()


async def test_region_down_at_start_works_once_it_is_back(estate: dict[str, System]) -> None:
    system = estate["flaky"]
    system.state.counters.clear()
    system.state.faults = Faults(outage=True)
    connector = SoapPrisonConnector(config(system.url))
    try:
        with pytest.raises(RegionUnavailable):
            await connector.start()
        with pytest.raises(RegionUnavailable):  # a call retries start() and fails again
            await connector.custody_for([SMITH])
        system.state.faults = Faults()
        [episodes] = await connector.custody_for([SMITH])
        assert isinstance(episodes, list) and episodes[0].prison_id == "LEI"
        assert system.state.counters["WSDL"] == 1
    finally:
        system.state.faults = Faults()
        await connector.aclose()


async def test_concurrent_calls_to_a_region_down_share_one_start_attempt(
    estate: dict[str, System],
) -> None:
    system = estate["flaky"]
    system.state.counters.clear()
    system.state.faults = Faults(outage=True, latency_ms=100)
    connector = SoapPrisonConnector(config(system.url))
    try:
        results = await asyncio.gather(
            *(connector.alerts_for([SMITH]) for _ in range(5)), return_exceptions=True
        )
        assert [type(r) for r in results] == [RegionUnavailable] * 5
        assert system.state.counters["_requests"] == 1
    finally:
        system.state.faults = Faults()
        await connector.aclose()


async def test_closing_during_start_fails_waiting_calls_as_unavailable(
    estate: dict[str, System],
) -> None:
    system = estate["flaky"]
    system.state.faults = Faults(latency_ms=300)
    connector = SoapPrisonConnector(config(system.url))
    try:
        call = asyncio.ensure_future(connector.custody_for([SMITH]))
        await asyncio.sleep(0.05)
        await connector.aclose()
        with pytest.raises(RegionUnavailable, match="closed"):
            await call
    finally:
        system.state.faults = Faults()
        await connector.aclose()


async def test_aclose_is_idempotent_and_a_later_call_starts_again(
    estate: dict[str, System],
) -> None:
    system = estate["batch"]
    system.state.counters.clear()
    connector = SoapPrisonConnector(config(system.url))
    await connector.aclose()  # never started
    await connector.start()
    await connector.aclose()
    await connector.aclose()
    assert await connector.alerts_for([UNKNOWN]) == [[]]
    await connector.aclose()
    assert system.state.counters["WSDL"] == 2


async def test_connection_refused_is_region_unavailable() -> None:
    connector = SoapPrisonConnector(config(f"http://127.0.0.1:{free_port()}/"))
    with pytest.raises(RegionUnavailable) as info:
        await connector.start()
    assert type(info.value) is RegionUnavailable
    with pytest.raises(RegionUnavailable):
        await connector.find_by_identifiers(ids(SMITH_NOMS))
    await connector.aclose()


async def test_oauth2_bearer_goes_with_the_wsdl_and_every_call() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 300})
        if request.method == "GET":
            head, tail = WSDL[True]
            return httpx.Response(200, content=head + b'"http://region.test/"' + tail)
        return good_histories(["A"])

    auth = AuthConfig(type="oauth2", token_url="/oauth/token", client_id="c", client_secret="s")
    cfg = replace(config("http://region.test/"), auth=auth)
    connector = SoapPrisonConnector(cfg, transport=httpx.MockTransport(handler))
    try:
        [[episode]] = await connector.custody_for(["A"])
    finally:
        await connector.aclose()
    assert not isinstance(episode, ConnectorError) and episode.local_id == "A"
    calls = [r for r in seen if r.url.path != "/oauth/token"]
    assert [r.method for r in calls] == ["GET", "POST"]
    assert all(r.headers["Authorization"] == "Bearer tok-1" for r in calls)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"wsse_username": "u"}, r"options\.wsse_password is required"),
        ({"wsse_password": {"env": "OG_TEST_WSSE"}}, r"options\.wsse_username is required"),
        ({"wsse_username": "u", "wsse_password": "inline"}, r"options\.wsse_password must be a"),
    ],
)
def test_ws_security_options_are_checked_at_construction(
    options: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OG_TEST_WSSE", "p")
    with pytest.raises(ConfigurationError, match=message) as info:
        SoapPrisonConnector(config("http://x/", **options))
    assert "inline" not in str(info.value)


# --- a failing region ------------------------------------------------------------------------


async def test_outage_is_region_unavailable(flaky: SoapPrisonConnector, estate: Any) -> None:
    estate["flaky"].state.faults = Faults(outage=True)
    with pytest.raises(RegionUnavailable) as info:
        await flaky.custody_for([SMITH])
    assert info.value.region == REGION and "503" in info.value.public_message


async def test_latency_within_the_timeout_is_fine(flaky: SoapPrisonConnector, estate: Any) -> None:
    estate["flaky"].state.faults = Faults(latency_ms=50)
    assert len((await flaky.find_by_identifiers(ids(SMITH_NOMS)))[0]) == 1


async def test_malformed_replies_to_every_call_of_a_legacy_region_raise(
    legacy: SoapPrisonConnector, estate: Any
) -> None:
    estate["legacy"].state.faults = Faults(malformed_rate=1.0)
    with pytest.raises(UpstreamInvalid):
        await legacy.movements_for([SMITH, JOHNNY])
    assert estate["legacy"].state.counters["GetMovements"] == 2  # one call per key, as before


# --- hostile replies, in process -------------------------------------------------------------

WSDL = {batch: render_wsdl(batch, "hostile") for batch in (True, False)}
WSDL12 = render_wsdl(True, "hostile", "1.2")
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
ENV = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:p="urn:offender-graph:prison:v1"><soap:Body>{}</soap:Body></soap:Envelope>'
)


def xml(status: int, body: str) -> httpx.Response:
    return httpx.Response(status, content=body.encode(), headers={"content-type": "text/xml"})


def fault(code: str) -> httpx.Response:
    detail = "<faultstring>stack trace: secret-internal</faultstring>"
    return xml(
        500, ENV.format(f"<soap:Fault><faultcode>soap:{code}</faultcode>{detail}</soap:Fault>")
    )


Reply = httpx.Response | Exception


def hostile(
    reply: Reply,
    batch: bool = True,
    wsdl: Reply | None = None,
    seen: list[httpx.Request] | None = None,
    auth: AuthConfig | None = None,
    version: str = "1.1",
    options: dict[str, Any] | None = None,
) -> SoapPrisonConnector:
    """A connector whose region serves a good WSDL (unless ``wsdl``), then ``reply`` to calls."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        answer = reply if request.method == "POST" else wsdl
        if answer is None:
            head, tail = WSDL12 if version == "1.2" else WSDL[batch]
            return httpx.Response(200, content=head + b'"http://region.test/"' + tail)
        if isinstance(answer, Exception):
            raise answer
        return answer

    cfg = replace(config("http://region.test/", **(options or {})), auth=auth or AuthConfig())
    return SoapPrisonConnector(cfg, transport=httpx.MockTransport(handler))


CALLS: dict[str, Callable[[SoapPrisonConnector], Awaitable[object]]] = {
    "start": lambda c: c.start(),
    "find_by_identifiers": lambda c: c.find_by_identifiers(ids(SMITH_NOMS)),
    "search_people": lambda c: c.search_people(PersonSearch("Smith")),
    "custody_for": lambda c: c.custody_for([SMITH]),
    "movements_for": lambda c: c.movements_for([SMITH]),
    "alerts_for": lambda c: c.alerts_for([SMITH]),
}
FAILURES: dict[str, tuple[Reply, type[ConnectorError]]] = {
    "xml bomb": (xml(200, BOMB + ENV.format("<p:X>&lol9;</p:X>")), UpstreamInvalid),
    "external entity": (
        xml(
            200,
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + ENV.format("<p:X>&e;</p:X>"),
        ),
        UpstreamInvalid,
    ),
    "invalid xml": (xml(200, "<soap:Envelope><unclosed>"), UpstreamInvalid),
    "not an envelope": (xml(200, "<html><body>hello</body></html>"), UpstreamInvalid),
    "unexpected element": (xml(200, ENV.format("<p:Surprise/>")), UpstreamInvalid),
    "empty body": (xml(200, ENV.format("")), UpstreamInvalid),
    "misrouted reply": (xml(200, ENV.format("<p:FindOffenderResponse/>")), UpstreamInvalid),
    "client fault": (fault("Client"), UpstreamRejected),
    "server fault": (fault("Server"), RegionUnavailable),
    "invalid xml 500": (xml(500, "<oops"), RegionUnavailable),
    "empty 502": (httpx.Response(502), RegionUnavailable),
    "json 503": (httpx.Response(503, json={"error": "down"}), RegionUnavailable),
    "429": (httpx.Response(429, text="slow down"), RegionUnavailable),
    "401": (httpx.Response(401), UpstreamAuthFailed),
    "403": (httpx.Response(403, text="<html>no</html>"), UpstreamAuthFailed),
    "404 html": (httpx.Response(404, text="<html>not here</html>"), UpstreamRejected),
    "connect error": (httpx.ConnectError("socket-detail"), RegionUnavailable),
    "read timeout": (httpx.ReadTimeout("slow"), RegionTimeout),
    "remote protocol error": (httpx.RemoteProtocolError("reset"), RegionUnavailable),
}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("method", [m for m in CALLS if m != "start"])
async def test_no_foreign_exception_escapes_a_call(method: str, failure: str) -> None:
    reply, expected = FAILURES[failure]
    connector = hostile(reply)
    try:
        with pytest.raises(ConnectorError) as info:
            await CALLS[method](connector)
        assert type(info.value) is expected
        assert info.value.region == REGION
        for leak in ("secret", "lol", "passwd", "Traceback", "zeep", "lxml", "foresaw", "-detail"):
            assert leak not in str(info.value)
    finally:
        await connector.aclose()


@pytest.mark.parametrize("failure", FAILURES)
async def test_no_foreign_exception_escapes_start(failure: str) -> None:
    reply, expected = FAILURES[failure]
    connector = hostile(xml(200, ENV.format("")), wsdl=reply)
    if failure == "client fault":
        expected = RegionUnavailable  # a fault in answer to GET ?wsdl is just an HTTP 500
    with pytest.raises(ConnectorError) as info:
        await connector.start()
    assert type(info.value) is expected
    await connector.aclose()


async def test_a_dtd_in_a_reply_is_refused_before_any_entity_is_used() -> None:
    body = '<!DOCTYPE x [<!ENTITY e "secret">]>' + ENV.format("<p:GetAlertsBatchResponse/>")
    connector = hostile(xml(200, body))
    with pytest.raises(UpstreamInvalid) as info:
        await connector.alerts_for([SMITH])
    assert isinstance(info.value.__cause__, DTDForbidden)
    await connector.aclose()


@pytest.mark.parametrize(
    "wsdl",
    [
        xml(200, '<!DOCTYPE d [<!ENTITY e "x">]><definitions/>'),
        xml(200, "<wsdl:definitions"),
        xml(200, '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>'),  # no service
    ],
)
async def test_a_hostile_or_empty_wsdl_is_upstream_invalid(wsdl: httpx.Response) -> None:
    connector = hostile(xml(200, ""), wsdl=wsdl)
    with pytest.raises(UpstreamInvalid):
        await connector.start()


BOOKING = (
    "<p:booking><p:bookingId>7</p:bookingId><p:bookNumber>7A</p:bookNumber>"
    "<p:prisonId>LEI</p:prisonId>{name}<p:activeFlag>true</p:activeFlag>"
    "<p:inOutStatus>IN</p:inOutStatus><p:legalStatus>REMAND</p:legalStatus>"
    "<p:bookingBeginDate>{start}</p:bookingBeginDate></p:booking>"
)
LEEDS = "<p:prisonName>Leeds</p:prisonName>"


def histories12(start: str) -> httpx.Response:
    body = (
        "<p:custodyHistory><p:offenderId>A</p:offenderId><p:found>true</p:found>"
        f"{BOOKING.format(name=LEEDS, start=start)}</p:custodyHistory>"
    )
    return xml(
        200, ENV12.format(f"<p:GetCustodyHistoriesResponse>{body}</p:GetCustodyHistoriesResponse>")
    )


def histories(*items: tuple[str, str]) -> httpx.Response:
    body = "".join(
        f"<p:custodyHistory><p:offenderId>{i}</p:offenderId><p:found>true</p:found>{b}"
        "</p:custodyHistory>"
        for i, b in items
    )
    return xml(
        200, ENV.format(f"<p:GetCustodyHistoriesResponse>{body}</p:GetCustodyHistoriesResponse>")
    )


async def test_a_record_that_does_not_map_fails_only_its_key() -> None:
    good = BOOKING.format(name=LEEDS, start="2020-01-01")
    nameless = BOOKING.format(name="<p:prisonName> </p:prisonName>", start="2020-01-01")
    connector = hostile(histories(("A", good), ("B", nameless), ("C", good)))
    results = await connector.custody_for(["A", "B", "C"])
    assert isinstance(results[0], list) and results[0][0].prison_name == "Leeds"
    assert type(results[1]) is UpstreamInvalid
    assert isinstance(results[2], list) and results[2][0].local_id == "C"
    await connector.aclose()


@pytest.mark.parametrize(
    ("reply", "keys"),
    [
        (histories(("A", BOOKING.format(name=LEEDS, start="2020-13-45"))), ["A"]),  # zeep: None
        (
            histories(("A", BOOKING.format(name=LEEDS, start="2020-01-01").replace("true", "yes"))),
            ["A"],
        ),
        (histories(("A", BOOKING.format(name=LEEDS, start="2020-01-01"))), ["A", "B"]),  # one short
        (histories(("B", ""), ("A", "")), ["A", "B"]),  # wrong order
    ],
)
async def test_bad_dates_and_batch_replies_that_do_not_answer_the_keys(
    reply: httpx.Response, keys: list[str]
) -> None:
    connector = hostile(reply)
    with pytest.raises(UpstreamInvalid):
        await connector.custody_for(keys)
    await connector.aclose()


@pytest.mark.parametrize("where", ["transport", "mapping"])
async def test_a_bug_is_not_hidden_as_an_upstream_error(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bug = RuntimeError("something nobody foresaw")
    if where == "transport":
        connector = hostile(bug)
    else:

        def broken(*args: object) -> None:
            raise bug

        monkeypatch.setattr(m, "custody_episode", broken)
        connector = hostile(histories(("A", BOOKING.format(name=LEEDS, start="2020-01-01"))))
    try:
        with pytest.raises(RuntimeError) as info:
            await connector.custody_for(["A"])
        assert info.value is bug
    finally:
        await connector.aclose()


async def test_api_key_is_sent_with_every_request_and_never_shown() -> None:
    seen: list[httpx.Request] = []
    connector = hostile(
        fault("Server"), seen=seen, auth=AuthConfig(type="api_key", api_key=API_KEY)
    )
    with pytest.raises(RegionUnavailable) as info:
        await connector.alerts_for([SMITH])
    assert [r.method for r in seen] == ["GET", "POST"]
    assert all(r.headers.get("X-API-Key") == API_KEY for r in seen)
    assert API_KEY not in str(info.value) and API_KEY not in repr(connector.config)
    await connector.aclose()


# --- the per-key rule: a whole-call failure is raised however many calls it took ---------------

GOOD = BOOKING.format(name=LEEDS, start="2020-01-01")


def by_ids(
    answer: Callable[[list[str]], httpx.Response], batch: bool = True, **options: Any
) -> tuple[SoapPrisonConnector, list[list[str]]]:
    """A connector whose region answers each call by ``answer(the call's offender ids)``."""
    calls: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            head, tail = WSDL[batch]
            return httpx.Response(200, content=head + b'"http://region.test/"' + tail)
        keys = re.findall(r"offenderId>([^<]+)<", request.content.decode())
        calls.append(keys)
        return answer(keys)

    cfg = config("http://region.test/", **options)
    return SoapPrisonConnector(cfg, transport=httpx.MockTransport(handler)), calls


def good_histories(keys: list[str]) -> httpx.Response:
    return histories(*((key, GOOD) for key in keys))


def one_custody(key: str) -> httpx.Response:
    body = f"<p:GetCustodyHistoryResponse>{GOOD}</p:GetCustodyHistoryResponse>"
    return xml(200, ENV.format(body))


@pytest.mark.parametrize(("max_batch", "calls"), [(None, 1), (2, 3)])
@pytest.mark.parametrize("garbage", ["<p:Surprise/>", "not xml"])
async def test_garbage_to_every_call_raises_for_one_chunk_or_several(
    max_batch: int | None, calls: int, garbage: str
) -> None:
    options: dict[str, Any] = {} if max_batch is None else {"max_batch": max_batch}
    reply = xml(200, ENV.format(garbage) if garbage.startswith("<") else garbage)
    connector, seen = by_ids(lambda keys: reply, **options)
    try:
        with pytest.raises(UpstreamInvalid):
            await connector.custody_for(["A", "B", "C", "D", "E"])
    finally:
        await connector.aclose()
    assert len(seen) == calls


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (fault("Client"), UpstreamRejected),
        (httpx.Response(401), UpstreamAuthFailed),
        (fault("Server"), RegionUnavailable),
    ],
)
async def test_a_refusal_of_every_call_raises_for_several_chunks(
    reply: httpx.Response, expected: type[ConnectorError]
) -> None:
    connector, seen = by_ids(lambda keys: reply, max_batch=1)
    try:
        with pytest.raises(ConnectorError) as info:
            await connector.alerts_for(["A", "B", "C"])
    finally:
        await connector.aclose()
    assert type(info.value) is expected
    assert len(seen) == 3


@pytest.mark.parametrize("max_batch", [None, 2])
async def test_one_bad_chunk_or_key_among_good_ones_fails_alone(max_batch: int | None) -> None:
    options: dict[str, Any] = {} if max_batch is None else {"max_batch": max_batch}
    nameless = BOOKING.format(name="<p:prisonName> </p:prisonName>", start="2020-01-01")

    def answer(keys: list[str]) -> httpx.Response:
        if max_batch is not None and "C" in keys:
            return xml(200, ENV.format("<p:Surprise/>"))  # the whole chunk C, D is garbage
        return histories(*((k, nameless if k == "B" else GOOD) for k in keys))

    connector, seen = by_ids(answer, **options)
    try:
        results = await connector.custody_for(["A", "B", "C", "D", "E"])
    finally:
        await connector.aclose()
    kinds = [type(r) if isinstance(r, ConnectorError) else list for r in results]
    bad_chunk = [UpstreamInvalid, UpstreamInvalid] if max_batch else [list, list]
    assert kinds == [list, UpstreamInvalid, *bad_chunk, list]
    assert len(seen) == (3 if max_batch else 1)


@pytest.mark.parametrize("reply", [fault("Client"), xml(200, ENV.format("<p:Surprise/>"))])
async def test_a_legacy_region_failing_every_call_raises(reply: httpx.Response) -> None:
    connector, seen = by_ids(lambda keys: reply, batch=False)
    try:
        with pytest.raises(ConnectorError) as info:
            await connector.custody_for(["A", "B"])
    finally:
        await connector.aclose()
    assert type(info.value) in (UpstreamRejected, UpstreamInvalid)
    assert seen == [["A"], ["B"]]


async def test_a_legacy_region_failing_one_key_fails_it_alone() -> None:
    def answer(keys: list[str]) -> httpx.Response:
        return fault("Client") if keys == ["B"] else one_custody(keys[0])

    connector, seen = by_ids(answer, batch=False)
    try:
        results = await connector.custody_for(["A", "B", "C"])
    finally:
        await connector.aclose()
    assert sorted(seen) == [["A"], ["B"], ["C"]]
    assert type(results[1]) is UpstreamRejected
    assert [r[0].local_id for r in (results[0], results[2]) if isinstance(r, list)] == ["A", "C"]


# --- SOAP 1.2 -------------------------------------------------------------------------------

ENV12 = (
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:p="urn:offender-graph:prison:v1"'
    ' xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    "<env:Body>{}</env:Body></env:Envelope>"
)


def fault12(code: str, subcode: str = "") -> httpx.Response:
    sub = f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode>" if subcode else ""
    body = (
        f"<env:Fault><env:Code><env:Value>env:{code}</env:Value>{sub}</env:Code>"
        '<env:Reason><env:Text xml:lang="en">secret-internal</env:Text></env:Reason></env:Fault>'
    )
    return httpx.Response(
        500, content=ENV12.format(body).encode(), headers={"content-type": "application/soap+xml"}
    )


async def test_a_soap_12_region_is_called_over_its_12_binding(estate: dict[str, System]) -> None:
    system = estate["soap12"]
    async with started(system) as connector:
        assert (connector.soap_version, connector.batch) == ("1.2", True)
        [[person]] = await connector.find_by_identifiers(ids(SMITH_NOMS))
        custody = await connector.custody_for([SMITH, UNKNOWN])
        assert not isinstance(person, ConnectorError) and person.local_id == SMITH
        assert isinstance(custody[0], list) and custody[0][0].prison_id == "LEI"
        assert custody[1] == []
        assert system.state.counters["FindOffenders"] == 1
        assert system.state.counters["GetCustodyHistories"] == 1
    async with httpx.AsyncClient() as client:  # the same system refuses a SOAP 1.1 envelope
        refused = await client.post(system.url, content=ENV.format("<p:GetAlerts/>").encode())
    assert refused.status_code == 500 and b"VersionMismatch" in refused.content


async def test_soap_12_requests_are_12_envelopes() -> None:
    seen: list[httpx.Request] = []
    reply = xml(200, ENV12.format("<p:GetAlertsBatchResponse/>"))
    connector = hostile(reply, seen=seen, version="1.2")
    try:
        assert await connector.alerts_for([]) == []
        with pytest.raises(UpstreamInvalid):  # answers no key
            await connector.alerts_for([SMITH])
    finally:
        await connector.aclose()
    post = next(r for r in seen if r.method == "POST")
    assert post.headers["content-type"].startswith("application/soap+xml")
    assert b"http://www.w3.org/2003/05/soap-envelope" in post.content


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (fault12("Sender"), UpstreamRejected),
        (fault12("VersionMismatch"), UpstreamRejected),
        (fault12("Receiver"), RegionUnavailable),
        (fault12("Sender", "wsse:FailedAuthentication"), UpstreamAuthFailed),
        (xml(200, ENV12.format("<p:FindOffenderResponse/>")), UpstreamInvalid),  # misrouted
        (histories12("2020-13-45"), UpstreamInvalid),  # a date zeep would read as None
        (xml(200, ENV12.format("<p:Surprise/>")), UpstreamInvalid),
    ],
)
async def test_soap_12_faults_and_bad_replies_map_like_soap_11(
    reply: httpx.Response, expected: type[ConnectorError]
) -> None:
    connector = hostile(reply, version="1.2")
    try:
        with pytest.raises(ConnectorError) as info:
            await connector.custody_for([SMITH])
    finally:
        await connector.aclose()
    assert type(info.value) is expected
    assert "secret" not in str(info.value)


# --- WS-Security ----------------------------------------------------------------------------


def wsse_options(
    monkeypatch: pytest.MonkeyPatch, password: str = WSSE_PASSWORD, **more: Any
) -> dict[str, Any]:
    """Options naming the token, its password given by reference (an environment variable)."""
    monkeypatch.setenv("OG_TEST_WSSE_PASSWORD", password)
    return {"wsse_username": WSSE_USER, "wsse_password": {"env": "OG_TEST_WSSE_PASSWORD"}, **more}


@pytest.mark.parametrize("system", ["secured", "secured12"])
@pytest.mark.parametrize("digest", [False, True])
async def test_a_ws_security_username_token_is_sent_and_accepted(
    estate: dict[str, System], system: str, digest: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started(
        estate[system], **wsse_options(monkeypatch, wsse_digest=digest)
    ) as connector:
        assert [len(r) for r in await connector.alerts_for([SMITH, UNKNOWN])] == [1, 0]
        assert len(await connector.search_people(PersonSearch("Smith"))) == 3
        assert WSSE_PASSWORD not in repr(connector.options)
    assert estate[system].state.counters["GetAlertsBatch"] == 1


@pytest.mark.parametrize("system", ["secured", "secured12"])
@pytest.mark.parametrize("token", ["none", "wrong password", "wrong digest"])
async def test_a_missing_or_wrong_token_is_upstream_auth_failed(
    estate: dict[str, System], system: str, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {
        "none": {},
        "wrong password": wsse_options(monkeypatch, "not-it"),
        "wrong digest": wsse_options(monkeypatch, "not-it", wsse_digest=True),
    }[token]
    async with started(estate[system], **options) as connector:
        with pytest.raises(UpstreamAuthFailed) as info:
            await connector.alerts_for([SMITH])
    assert "not-it" not in str(info.value) and WSSE_PASSWORD not in str(info.value)
    assert estate[system].state.counters["GetAlertsBatch"] == 0


@pytest.mark.parametrize("digest", [False, True])
async def test_the_token_header_is_in_every_envelope(
    digest: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[httpx.Request] = []
    connector = hostile(
        fault("Server"), seen=seen, options=wsse_options(monkeypatch, wsse_digest=digest)
    )
    try:
        with pytest.raises(RegionUnavailable):
            await connector.alerts_for([SMITH])
    finally:
        await connector.aclose()
    [post] = [r for r in seen if r.method == "POST"]
    envelope = etree.fromstring(post.content)
    token = envelope.find(f"{{{SOAP11_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    assert token is not None and token.findtext(f"{{{WSSE}}}Username") == WSSE_USER
    password = token.find(f"{{{WSSE}}}Password")
    assert password is not None
    assert password.get("Type", "").endswith("#PasswordDigest" if digest else "#PasswordText")
    assert (password.text == WSSE_PASSWORD) is not digest
