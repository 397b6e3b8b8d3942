"""Prison SOAP payloads (zeep results as plain dicts) into domain records, and reply checks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import zeep
from lxml import etree

from connectors import soap_mapping as m
from connectors.identifiers import Identifier, IdentifierKind
from connectors.payload import PayloadError, per_key
from connectors.records import AlertSource, PersonName, SentenceDates
from connectors.soap_base import SETTINGS
from connectors.soap_reply import SOAP11_ENV
from simulators.soap_prison import render_wsdl

REGION = "prison-test"


def summary(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "offenderId": "N1001",
        "nomsNumber": "A1234AA",
        "pncNumber": "12/394773H",
        "croNumber": "29906/12j",
        "firstName": "John",
        "middleNames": "Paul",
        "lastName": "Smith",
        "dateOfBirth": date(1980, 1, 2),
        "gender": "M",
        "alias": [{"firstName": "Jon", "lastName": "Smyth"}],
    }
    payload.update(overrides)
    return payload


def booking(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "bookingId": 7,
        "bookNumber": "7A",
        "prisonId": "LEI",
        "prisonName": "Leeds",
        "activeFlag": False,
        "inOutStatus": "OUT",
        "legalStatus": "SENTENCED",
        "bookingBeginDate": date(2019, 1, 1),
        "bookingEndDate": date(2020, 6, 30),
        "securityCategory": None,
        "cellLocation": "",
        "sentenceDates": {
            "sentenceStartDate": date(2019, 1, 1),
            "sentenceExpiryDate": date(2021, 1, 1),
            "conditionalReleaseDate": date(2020, 1, 1),
            "licenceExpiryDate": date(2021, 1, 1),
            "releaseDate": date(2020, 6, 30),
        },
    }
    payload.update(overrides)
    return payload


# --- people ----------------------------------------------------------------------------------


def test_person_normalises_identifiers_and_keeps_names() -> None:
    person = m.person(REGION, summary())
    assert (person.region, person.local_id) == (REGION, "N1001")
    assert person.identifiers == (
        Identifier(IdentifierKind.NOMS, "A1234AA"),
        Identifier(IdentifierKind.PNC, "2012/0394773H"),
        Identifier(IdentifierKind.CRO, "29906/12J"),
    )
    assert person.name == PersonName("John", "Smith", "Paul")
    assert person.aliases == (PersonName("Jon", "Smyth"),)
    assert (person.date_of_birth, person.gender) == (date(1980, 1, 2), "M")


@pytest.mark.parametrize(
    "dirt",
    [
        {"pncNumber": "2012/0394773X"},  # wrong check character
        {"pncNumber": "unknown"},
        {"nomsNumber": "  "},
        {"nomsNumber": None, "croNumber": None},
        {"croNumber": 29906},  # not even text
    ],
)
def test_dirty_identifiers_are_dropped_and_the_record_kept(dirt: dict[str, Any]) -> None:
    person = m.person(REGION, summary(**dirt))
    kinds = {i.kind for i in person.identifiers}
    assert kinds == {IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO} - {
        IdentifierKind[{"pncNumber": "PNC", "nomsNumber": "NOMS", "croNumber": "CRO"}[k]]
        for k in dirt
    }


def test_optional_person_fields_may_be_missing_or_blank() -> None:
    person = m.person(REGION, summary(middleNames=" ", dateOfBirth=None, gender=None, alias=None))
    assert person.name.middle_names is None
    assert (person.date_of_birth, person.gender, person.aliases) == (None, None, ())


def test_iso_text_dates_are_read_too() -> None:
    assert m.person(REGION, summary(dateOfBirth="1980-01-02")).date_of_birth == date(1980, 1, 2)


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"firstName": None}, "firstName"),
        ({"lastName": "  "}, "lastName"),
        ({"offenderId": None}, "offenderId"),
        ({"dateOfBirth": "02/01/1980"}, "dateOfBirth"),
        ({"dateOfBirth": datetime(1980, 1, 2, 3, 4)}, "dateOfBirth"),
        ({"alias": [{"firstName": "Jon"}]}, "lastName"),
        ({"alias": {"firstName": "Jon", "lastName": "Smyth"}}, "list"),
    ],
)
def test_a_person_that_does_not_map_names_the_field(broken: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError, match=field):
        m.person(REGION, summary(**broken))


def test_search_results_need_the_truncated_flag() -> None:
    found = m.search_results(REGION, {"offender": [summary()], "truncated": False})
    assert [p.local_id for p in found] == ["N1001"]
    with pytest.raises(PayloadError, match="truncated"):
        m.search_results(REGION, {"offender": [summary()], "truncated": None})
    with pytest.raises(PayloadError):
        m.search_results(REGION, [summary()])


# --- custody, movements, alerts --------------------------------------------------------------


def test_custody_episode_maps_every_field() -> None:
    episode = m.custody_episode(REGION, "N1001", booking())
    assert (episode.region, episode.local_id, episode.booking_id) == (REGION, "N1001", "7")
    assert (episode.book_number, episode.prison_id, episode.prison_name) == ("7A", "LEI", "Leeds")
    assert (episode.active, episode.in_out_status, episode.legal_status) == (
        False,
        "OUT",
        "SENTENCED",
    )
    assert (episode.start_date, episode.end_date) == (date(2019, 1, 1), date(2020, 6, 30))
    assert (episode.security_category, episode.cell_location) == (None, None)
    assert episode.sentence == SentenceDates(
        date(2019, 1, 1), date(2021, 1, 1), date(2020, 1, 1), date(2021, 1, 1), date(2020, 6, 30)
    )


def test_sentence_dates_may_be_absent() -> None:
    assert m.custody_episode(REGION, "N1", booking(sentenceDates=None)).sentence == SentenceDates()


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"prisonName": None}, "prisonName"),
        ({"activeFlag": None}, "activeFlag"),
        ({"activeFlag": "true"}, "activeFlag"),
        ({"bookingBeginDate": None}, "bookingBeginDate"),
        ({"bookingEndDate": "2020-13-45"}, "bookingEndDate"),
        ({"sentenceDates": "soon"}, "sentenceDates"),
        ({"sentenceDates": {"releaseDate": 20200630}}, "releaseDate"),
    ],
)
def test_a_booking_that_does_not_map_names_the_field(broken: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError, match=field):
        m.custody_episode(REGION, "N1", booking(**broken))


def test_movement_and_alert() -> None:
    moved = m.movement(
        REGION,
        "N1",
        {"movementDate": date(2021, 1, 5), "movementType": "TRANSFERRED", "fromAgency": "LEI"},
    )
    assert (moved.occurred_on, moved.movement_type) == (date(2021, 1, 5), "TRANSFERRED")
    assert (moved.from_location, moved.to_location, moved.description) == ("LEI", None, "")
    alert = m.alert(
        REGION,
        "N1",
        {
            "alertType": "X",
            "alertCode": "XER",
            "alertCodeDescription": "Escape risk",
            "dateCreated": date(2020, 3, 2),
            "active": True,
        },
    )
    assert (alert.source, alert.type, alert.code) == (AlertSource.PRISON_ALERT, "X", "XER")
    assert (alert.description, alert.active, alert.start_date) == (
        "Escape risk",
        True,
        date(2020, 3, 2),
    )
    with pytest.raises(PayloadError, match="movementDate"):
        m.movement(REGION, "N1", {"movementType": "RELEASED"})


# --- batch shapes ----------------------------------------------------------------------------


def test_items_accepts_what_zeep_gives() -> None:
    assert m.items(None) == []
    assert m.items([{"a": 1}]) == [{"a": 1}]
    assert m.items({"offender": [{"a": 1}], "truncated": False}, "offender") == [{"a": 1}]
    assert m.items({"offender": None}, "offender") == []
    with pytest.raises(PayloadError):
        m.items([None])
    with pytest.raises(PayloadError):
        m.items("text")


def test_per_key_checks_count_and_order() -> None:
    replies = [{"offenderId": "A"}, {"offenderId": "B"}]
    assert per_key(replies, ["A", "B"], m.offender_id) == replies
    with pytest.raises(PayloadError, match="2 items for 3 keys"):
        per_key(replies, ["A", "B", "C"], m.offender_id)
    with pytest.raises(PayloadError, match="order"):
        per_key(replies, ["B", "A"], m.offender_id)
    match = {"identifierType": "PNC", "value": "2012/0394773H"}
    assert per_key([match], [("PNC", "2012/0394773H")], m.identifier_echo) == [match]


# --- reply checks ----------------------------------------------------------------------------

SOAP_ENV = SOAP11_ENV
NS = "urn:offender-graph:prison:v1"


@pytest.fixture(scope="module")
def operations() -> Iterator[Any]:
    head, tail = render_wsdl(True, "test")
    with zeep.Client(io.BytesIO(head + b'"http://x/"' + tail), settings=SETTINGS) as client:
        yield next(iter(client.wsdl.bindings.values())).all()


def reply(body: str) -> etree._Element:
    return etree.fromstring(
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:p="{NS}"><s:Body>{body}</s:Body></s:Envelope>'
    )


ALERTS = (
    "<p:GetAlertsResponse><p:alert><p:alertType>X</p:alertType><p:alertCode>XER</p:alertCode>"
    "<p:alertCodeDescription>Escape</p:alertCodeDescription>"
    "<p:dateCreated>{date}</p:dateCreated><p:active>{active}</p:active></p:alert>"
    "</p:GetAlertsResponse>"
)


def test_check_reply_lets_a_good_reply_a_fault_and_a_non_envelope_through(operations: Any) -> None:
    response = operations["GetAlerts"].output.body
    m.check_reply(reply(ALERTS.format(date="2020-03-02", active="true")), response)
    m.check_reply(reply("<s:Fault><faultcode>s:Client</faultcode></s:Fault>"), response)
    m.check_reply(etree.fromstring("<html/>"), response)  # zeep refuses it itself


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "response element"),
        ("<p:GetMovementsResponse/>", "response element"),
        (ALERTS.format(date="2020-13-45", active="true"), "dateCreated"),
        (ALERTS.format(date="yesterday", active="true"), "dateCreated"),
        (ALERTS.format(date="2020-03-02", active="yes"), "active"),
    ],
)
def test_check_reply_refuses_what_zeep_would_read_as_empty_or_none(
    operations: Any, body: str, message: str
) -> None:
    with pytest.raises(PayloadError, match=message):
        m.check_reply(reply(body), operations["GetAlerts"].output.body)


def test_check_reply_walks_nested_batch_items(operations: Any) -> None:
    bad = (
        "<p:GetCustodyHistoriesResponse><p:custodyHistory><p:offenderId>A</p:offenderId>"
        "<p:found>true</p:found><p:booking><p:bookingId>seven</p:bookingId></p:booking>"
        "</p:custodyHistory></p:GetCustodyHistoriesResponse>"
    )
    with pytest.raises(PayloadError, match="bookingId"):
        m.check_reply(reply(bad), operations["GetCustodyHistories"].output.body)
