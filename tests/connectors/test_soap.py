"""The soap-prison connector: against simulators on real sockets, and hostile in-process replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import httpx
import pytest
from zeep.exceptions import DTDForbidden

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
from simulators.faults import FaultInjection, Faults, SimState
from simulators.server import ServerGroup, free_port
from simulators.soap_prison import create_prison_app, render_wsdl
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


@pytest.fixture(scope="module")
def estate() -> Iterator[dict[str, System]]:
    """A batch system, a legacy one and a flaky one (batch) whose faults tests change."""
    names = {"batch": True, "legacy": False, "flaky": True}
    states = {name: SimState() for name in names}
    apps = [
        (FaultInjection(create_prison_app(make_store(n, b), states[n]), states[n]), free_port())
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


def test_oauth2_is_refused_at_construction() -> None:
    auth = AuthConfig(type="oauth2", token_url="http://t/", client_id="c", client_secret="s")
    bad = RegionConfig(REGION, "soap-prison", SystemKind.CUSTODY, "http://x/", auth=auth)
    with pytest.raises(ConfigurationError, match=r"auth\.type"):
        SoapPrisonConnector(bad)


# --- a failing region ------------------------------------------------------------------------


async def test_outage_is_region_unavailable(flaky: SoapPrisonConnector, estate: Any) -> None:
    estate["flaky"].state.faults = Faults(outage=True)
    with pytest.raises(RegionUnavailable) as info:
        await flaky.custody_for([SMITH])
    assert info.value.region == REGION and "503" in info.value.public_message


async def test_outage_of_a_legacy_region_fails_the_whole_fan_out(
    legacy: SoapPrisonConnector, estate: Any
) -> None:
    estate["legacy"].state.faults = Faults(outage=True)
    with pytest.raises(RegionUnavailable):
        await legacy.alerts_for([SMITH, MARY])


async def test_error_rate_is_region_unavailable(flaky: SoapPrisonConnector, estate: Any) -> None:
    estate["flaky"].state.faults = Faults(error_rate=1.0)
    with pytest.raises(RegionUnavailable):
        await flaky.search_people(PersonSearch("Smith"))


async def test_latency_beyond_the_timeout_is_region_timeout(
    flaky: SoapPrisonConnector, estate: Any
) -> None:
    estate["flaky"].state.faults = Faults(latency_ms=600)
    with pytest.raises(RegionTimeout):
        await flaky.find_by_identifiers(ids(SMITH_NOMS))


async def test_latency_within_the_timeout_is_fine(flaky: SoapPrisonConnector, estate: Any) -> None:
    estate["flaky"].state.faults = Faults(latency_ms=50)
    assert len((await flaky.find_by_identifiers(ids(SMITH_NOMS)))[0]) == 1


async def test_malformed_replies_are_upstream_invalid(
    flaky: SoapPrisonConnector, estate: Any
) -> None:
    estate["flaky"].state.faults = Faults(malformed_rate=1.0)
    with pytest.raises(UpstreamInvalid):
        await flaky.movements_for([SMITH, JOHNNY])


async def test_malformed_replies_fail_each_key_of_a_legacy_fan_out(
    legacy: SoapPrisonConnector, estate: Any
) -> None:
    estate["legacy"].state.faults = Faults(malformed_rate=1.0)
    results = await legacy.movements_for([SMITH, JOHNNY])
    assert [type(r) for r in results] == [UpstreamInvalid, UpstreamInvalid]


# --- hostile replies, in process -------------------------------------------------------------

WSDL = {batch: render_wsdl(batch, "hostile") for batch in (True, False)}
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
) -> SoapPrisonConnector:
    """A connector whose region serves a good WSDL (unless ``wsdl``), then ``reply`` to calls."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        answer = reply if request.method == "POST" else wsdl
        if answer is None:
            head, tail = WSDL[batch]
            return httpx.Response(200, content=head + b'"http://region.test/"' + tail)
        if isinstance(answer, Exception):
            raise answer
        return answer

    cfg = replace(config("http://region.test/"), auth=auth or AuthConfig())
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
    "foreign bug": (RuntimeError("something nobody foresaw"), UpstreamInvalid),
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


async def test_legacy_fan_out_keeps_per_key_errors() -> None:
    connector = hostile(fault("Client"), batch=False)
    results = await connector.custody_for(["A", "B"])
    assert [type(r) for r in results] == [UpstreamRejected, UpstreamRejected]
    await connector.aclose()
