"""The SOAP prison simulator: its WSDL, every operation through zeep, faults, hostile requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault

from simulators.faults import FaultInjection, SimState
from simulators.server import ServerGroup, free_port
from simulators.soap_prison import BATCH_OPERATIONS, MAX_BATCH, SOAP_ENV, create_prison_app
from simulators.stores import SystemStore
from tests.fixtures.soap.prisoners import make_store

NS = "urn:offender-graph:prison:v1"
SINGLE_OPERATIONS = {
    "FindOffender",
    "SearchOffenders",
    "ListOffenders",
    "GetCustodyHistory",
    "GetMovements",
    "GetAlerts",
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, tuple[str, SimState]]]:
    states = {"batch": SimState(), "legacy": SimState()}
    apps = [
        (FaultInjection(create_prison_app(make_store(n, n == "batch"), s), s), free_port())
        for n, s in states.items()
    ]
    with ServerGroup(apps) as group:
        yield {n: (url, s) for (n, s), url in zip(states.items(), group.urls(), strict=True)}


@pytest.fixture
def batch_url(servers: dict[str, tuple[str, SimState]]) -> str:
    servers["batch"][1].counters.clear()
    return servers["batch"][0]


@pytest.fixture
def legacy_url(servers: dict[str, tuple[str, SimState]]) -> str:
    servers["legacy"][1].counters.clear()
    return servers["legacy"][0]


@pytest.fixture
def client(batch_url: str) -> Iterator[Any]:
    with zeep.Client(batch_url + "?wsdl") as c:
        yield c.service


def envelope(body: str, prefix: str = "") -> bytes:
    return (
        f'{prefix}<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:p="{NS}">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def post(url: str, body: bytes) -> tuple[int, etree._Element]:
    response = httpx.post(url, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return response.status_code, etree.fromstring(response.content)


def fault_of(root: etree._Element) -> tuple[str, str]:
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


# --- the WSDL --------------------------------------------------------------------------------


def test_wsdl_names_the_server_as_its_address(batch_url: str, servers: Any) -> None:
    response = httpx.get(batch_url + "?wsdl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == batch_url
    assert servers["batch"][1].counters["WSDL"] == 1
    assert httpx.get(batch_url + "?WSDL").status_code == 200
    assert httpx.get(batch_url).status_code == 404


@pytest.mark.parametrize(
    ("system", "expected"),
    [("batch", SINGLE_OPERATIONS | BATCH_OPERATIONS), ("legacy", SINGLE_OPERATIONS)],
)
def test_zeep_parses_each_wsdl_and_sees_its_operations(
    servers: dict[str, tuple[str, SimState]], system: str, expected: set[str]
) -> None:
    with zeep.Client(servers[system][0] + "?wsdl") as c:
        binding = next(iter(c.wsdl.bindings.values()))
        assert set(binding.all()) == expected
        assert c.wsdl.services["PrisonOffenderService"].ports["PrisonOffenderPort"]


# --- every operation through zeep ------------------------------------------------------------


def test_find_offender_by_noms_returns_the_summary_as_stored(client: Any) -> None:
    [offender] = client.FindOffender(identifierType="NOMS", value="A1234AA")
    assert offender.offenderId == "N1001"
    assert offender.pncNumber == "12/394773H"  # as stored: the simulator does not clean data
    assert offender.croNumber == "29906/12J"
    assert (offender.firstName, offender.middleNames, offender.lastName) == (
        "John",
        "Paul",
        "Smith",
    )
    assert offender.dateOfBirth == date(1980, 1, 2)
    assert offender.gender == "M"
    assert [(a.firstName, a.lastName) for a in offender.alias] == [("Jon", "Smyth")]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("PNC", "2012/0394773H", ["N1001"]),  # long form finds a short-form record
        ("PNC", "12/394773H", ["N1001"]),
        ("PNC", "12/52494Q", ["N1002"]),  # short form finds a long-form record
        ("CRO", "29906/12J", ["N1001"]),
        ("NOMS", "Z9999ZZ", []),
        ("PNC", "2012/0394773X", []),  # wrong check character: nobody
    ],
)
def test_find_offender_by_any_spelling(
    client: Any, kind: str, value: str, expected: list[str]
) -> None:
    assert [o.offenderId for o in client.FindOffender(identifierType=kind, value=value)] == expected


def test_find_offenders_answers_each_identifier_in_order(client: Any, servers: Any) -> None:
    matches = client.FindOffenders(
        identifier=[
            {"identifierType": "PNC", "value": "12/52494Q"},
            {"identifierType": "NOMS", "value": "Z9999ZZ"},
            {"identifierType": "NOMS", "value": "A1234AA"},
        ]
    )
    assert [(m.identifierType, m.value) for m in matches] == [
        ("PNC", "12/52494Q"),
        ("NOMS", "Z9999ZZ"),
        ("NOMS", "A1234AA"),
    ]
    assert [[o.offenderId for o in m.offender] for m in matches] == [["N1002"], [], ["N1001"]]
    assert servers["batch"][1].counters["FindOffenders"] == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"lastName": "SMITH"}, ["N1001", "N1002", "N1003"]),
        ({"lastName": "smith", "firstName": "joh"}, ["N1001", "N1003"]),
        ({"lastName": "Smith", "firstName": "Johnny"}, ["N1003"]),
        ({"lastName": "Smyth"}, ["N1001"]),  # alias
        ({"lastName": "Jones", "firstName": "Mar"}, ["N1002"]),  # alias with forename prefix
        ({"lastName": "Smith", "dateOfBirth": date(1975, 5, 6)}, ["N1002"]),
        ({"lastName": "Nobody"}, []),
    ],
)
def test_search_offenders(client: Any, fields: dict[str, Any], expected: list[str]) -> None:
    reply = client.SearchOffenders(**fields)
    assert [o.offenderId for o in reply.offender] == expected
    assert reply.truncated is False


def test_search_offenders_caps_results_and_says_so(client: Any) -> None:
    reply = client.SearchOffenders(lastName="Smith", maxResults=2)
    assert len(reply.offender) == 2
    assert reply.truncated is True


def test_custody_history_has_every_booking_field(client: Any) -> None:
    [booking] = client.GetCustodyHistory(offenderId="N1001")
    assert (booking.bookingId, booking.bookNumber) == (10010, "N1001A")
    assert (booking.prisonId, booking.prisonName) == ("LEI", "Leeds")
    assert (booking.activeFlag, booking.inOutStatus, booking.legalStatus) == (
        True,
        "IN",
        "SENTENCED",
    )
    assert (booking.bookingBeginDate, booking.bookingEndDate) == (date(2020, 3, 1), None)
    assert (booking.securityCategory, booking.cellLocation) == ("C", "A-1-002")
    assert booking.sentenceDates.sentenceExpiryDate == date(2026, 3, 1)
    assert booking.sentenceDates.releaseDate is None


@pytest.mark.parametrize("operation", ["GetCustodyHistory", "GetMovements", "GetAlerts"])
def test_single_calls_for_an_unknown_offender_are_empty(client: Any, operation: str) -> None:
    assert client[operation](offenderId="NOPE") == []


@pytest.mark.parametrize(
    ("operation", "item", "field"),
    [
        ("GetCustodyHistories", "custodyHistory", "booking"),
        ("GetMovementsBatch", "offenderMovements", "movement"),
        ("GetAlertsBatch", "offenderAlerts", "alert"),
    ],
)
def test_batch_calls_flag_unknown_offenders_without_failing(
    client: Any, servers: Any, operation: str, item: str, field: str
) -> None:
    replies = client[operation](offenderId=["N1001", "NOPE", "N1002"])
    assert [(r.offenderId, r.found) for r in replies] == [
        ("N1001", True),
        ("NOPE", False),
        ("N1002", True),
    ]
    assert [len(r[field]) for r in replies] == [1, 0, 0]
    assert servers["batch"][1].counters[operation] == 1


def test_movements_and_alerts(client: Any) -> None:
    [movement] = client.GetMovements(offenderId="N1001")
    assert (movement.movementDate, movement.movementType) == (date(2020, 3, 1), "ADMISSION")
    assert (movement.fromAgency, movement.toAgency, movement.description) == (
        "CRT",
        "LEI",
        "Admitted",
    )
    [alert] = client.GetAlerts(offenderId="N1001")
    assert (alert.alertType, alert.alertCode, alert.alertCodeDescription) == (
        "X",
        "XER",
        "Escape risk",
    )
    assert (alert.dateCreated, alert.active) == (date(2020, 3, 2), True)


def test_legacy_system_serves_single_calls_and_refuses_batch_calls(
    legacy_url: str, servers: Any
) -> None:
    with zeep.Client(legacy_url + "?wsdl") as c:
        assert [
            o.offenderId for o in c.service.FindOffender(identifierType="NOMS", value="B2345BB")
        ] == ["N1003"]
    status, root = post(
        legacy_url,
        envelope(
            "<p:GetCustodyHistories><p:offenderId>N1001</p:offenderId></p:GetCustodyHistories>"
        ),
    )
    assert status == 500
    assert fault_of(root)[0] == "soap:Client"
    assert servers["legacy"][1].counters["GetCustodyHistories"] == 0
    assert servers["legacy"][1].counters["FindOffender"] == 1


# --- faults for bad requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<soap:Envelope", "soap:Client"),  # not well-formed
        (b"<hello/>", "soap:Client"),
        (envelope(""), "soap:Client"),  # empty body
        (
            envelope("<p:DeleteOffender><p:offenderId>N1</p:offenderId></p:DeleteOffender>"),
            "soap:Client",
        ),
        (
            envelope(
                '<x:GetAlerts xmlns:x="urn:other"><x:offenderId>N1</x:offenderId></x:GetAlerts>'
            ),
            "soap:Client",
        ),
        (envelope("<p:GetAlerts/>"), "soap:Client"),  # missing field
        (
            envelope(
                "<p:FindOffender><p:identifierType>CRN</p:identifierType><p:value>X1</p:value></p:FindOffender>"
            ),
            "soap:Client",
        ),
        (
            envelope(
                "<p:SearchOffenders><p:lastName>Smith</p:lastName><p:dateOfBirth>2/1/80</p:dateOfBirth></p:SearchOffenders>"
            ),
            "soap:Client",
        ),
        (
            envelope("<p:SearchOffenders><p:firstName>John</p:firstName></p:SearchOffenders>"),
            "soap:Client",
        ),
        (
            envelope(
                "<p:GetAlertsBatch>"
                + "<p:offenderId>N1</p:offenderId>" * (MAX_BATCH + 1)
                + "</p:GetAlertsBatch>"
            ),
            "soap:Client",
        ),
        (
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
            "soap:VersionMismatch",
        ),
    ],
)
def test_bad_requests_get_a_client_fault(batch_url: str, body: bytes, code: str) -> None:
    status, root = post(batch_url, body)
    assert status == 500
    assert fault_of(root)[0] == code


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def test_entity_bomb_is_refused_without_expanding(batch_url: str, servers: Any) -> None:
    body = envelope(
        "<p:FindOffender><p:identifierType>NOMS</p:identifierType><p:value>&lol9;</p:value></p:FindOffender>",
        prefix=BOMB,
    )
    started = time.perf_counter()
    response = httpx.post(batch_url, content=body)
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 500
    assert len(response.content) < 1000 and b"lollol" not in response.content
    assert fault_of(etree.fromstring(response.content)) == ("soap:Client", "DTDs are not allowed")
    assert servers["batch"][1].counters["FindOffender"] == 0


def test_external_entity_is_refused(batch_url: str) -> None:
    body = envelope(
        "<p:SearchOffenders><p:lastName>&xxe;</p:lastName></p:SearchOffenders>",
        prefix='<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    )
    status, root = post(batch_url, body)
    assert status == 500
    assert fault_of(root)[0] == "soap:Client"
    assert b"root:" not in etree.tostring(root)


def test_a_doctype_the_byte_scan_cannot_see_is_refused_after_parsing(batch_url: str) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "N1001">]>'
    text += envelope("<p:GetAlerts><p:offenderId>&a;</p:offenderId></p:GetAlerts>").decode()
    status, root = post(batch_url, text.encode("utf-16"))
    assert status == 500
    assert fault_of(root) == ("soap:Client", "DTDs are not allowed")


class BrokenStore(SystemStore):
    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("database on fire")


async def test_an_internal_error_is_a_server_fault_without_details() -> None:
    store = BrokenStore("broken", "CUSTODY", "soap-prison", "Broken", ("LEI",))
    app = create_prison_app(store, SimState())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim") as http:
        response = await http.post(
            "/",
            content=envelope("<p:SearchOffenders><p:lastName>X</p:lastName></p:SearchOffenders>"),
        )
    assert response.status_code == 500
    assert fault_of(etree.fromstring(response.content)) == ("soap:Server", "internal error")
    assert b"fire" not in response.content


def test_zeep_sees_a_client_fault_as_fault(client: Any) -> None:
    with pytest.raises(Fault) as info:
        client.FindOffender(identifierType="NOMS", value="")
    assert info.value.code == "soap:Client"
