"""Map prison SOAP payloads (zeep results as plain dicts) into domain records.

Every function raises :class:`~connectors.payload.PayloadError` for a payload that does not fit:
a required field missing, a date that is not a date, a reply zeep would misread. Identifiers are
normalised; dirty or invalid ones are dropped, as a record without them is still a record. Values
are read as zeep gives them: text with ``xml=True`` and dates as :data:`DATES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree
from zeep.xsd.types.builtins import Boolean
from zeep.xsd.types.complex import ComplexType

from connectors import payload as p
from connectors.records import (
    Alert,
    AlertSource,
    CustodyEpisode,
    InOutStatus,
    Movement,
    PersonRecord,
    SentenceDates,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DATES = p.XS_DATE
PERSON = p.PersonFields(
    local_id="offenderId", forename="firstName", middle_names="middleNames", surname="lastName",
    date_of_birth="dateOfBirth", gender="gender", aliases="alias", dates=DATES, xml=True,
    noms="nomsNumber", pnc="pncNumber", cro="croNumber",
)  # fmt: skip


def check_reply(envelope: Any, response: Any) -> None:
    """Refuse a SOAP reply that zeep would read wrongly, before it does.

    zeep reads any body element as the operation's response (an unrelated or misrouted reply
    becomes an empty result: "no custody history") and turns a value it cannot parse, such as the
    date ``2020-13-45``, into None ("no end date"). ``response`` is the operation's xsd element.
    A reply that is not an envelope, or a Fault, is left to zeep.
    """
    if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
        return
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    first = None if body is None else next((c for c in body if isinstance(c.tag, str)), None)
    if first is not None and first.tag == f"{{{SOAP_ENV}}}Fault":
        return
    if first is None or response is None or first.tag != response.qname:
        raise p.PayloadError("the reply is not the operation's response element")
    _check_values(first, response)


def _check_values(node: Any, element: Any) -> None:
    """Parse every simple value under ``node`` as its schema type, raising where zeep would not."""
    xsd_type = element.type
    if isinstance(xsd_type, ComplexType):
        children = {child.qname: child for _, child in xsd_type.elements}
        for child_node in node:
            if isinstance(child_node.tag, str) and child_node.tag in children:
                _check_values(child_node, children[child_node.tag])
        return
    if node.text is None:
        return
    name = etree.QName(node).localname
    if isinstance(xsd_type, Boolean) and node.text.strip() not in ("true", "false", "1", "0"):
        raise p.PayloadError(f"{name} is not a boolean")
    try:
        xsd_type.pythonvalue(node.text)
    except (TypeError, ValueError):
        raise p.PayloadError(f"{name} is not a valid {xsd_type.name}") from None


def items(value: object, field: str | None = None) -> list[p.Payload]:
    """The repeated elements of a reply: zeep gives a list, a compound value, or None for none."""
    if field is not None and isinstance(value, Mapping):
        value = value.get(field)
    return [] if value is None else p.objects(value, field or "reply")


def person(region: str, payload: p.Payload) -> PersonRecord:
    """An ``OffenderSummary`` as a person record."""
    return p.person_record(region, payload, PERSON)


def search_results(region: str, reply: object) -> list[PersonRecord]:
    """A ``SearchOffendersResponse``: the people found (the service caps them; see truncated)."""
    p.boolean(p.obj(reply, "search reply"), "truncated")
    return [person(region, p) for p in items(reply, "offender")]


def custody_episode(region: str, local_id: str, payload: p.Payload) -> CustodyEpisode:
    """A ``Booking`` as a custody episode."""
    dates = p.section(payload, "sentenceDates")
    return CustodyEpisode(
        region=region,
        local_id=local_id,
        booking_id=p.text(payload, "bookingId", xml=True),
        book_number=p.text(payload, "bookNumber", xml=True),
        prison_id=p.text(payload, "prisonId", xml=True),
        prison_name=p.text(payload, "prisonName", xml=True),
        active=p.boolean(payload, "activeFlag"),
        in_out_status=p.choice(payload, "inOutStatus", InOutStatus, "in/out status", xml=True),
        legal_status=p.text(payload, "legalStatus", xml=True),
        start_date=p.required(p.opt_date(payload, "bookingBeginDate", DATES), "bookingBeginDate"),
        end_date=p.opt_date(payload, "bookingEndDate", DATES),
        security_category=p.opt_text(payload, "securityCategory", xml=True),
        cell_location=p.opt_text(payload, "cellLocation", xml=True),
        sentence=SentenceDates(
            sentence_start=p.opt_date(dates, "sentenceStartDate", DATES),
            sentence_expiry=p.opt_date(dates, "sentenceExpiryDate", DATES),
            conditional_release=p.opt_date(dates, "conditionalReleaseDate", DATES),
            licence_expiry=p.opt_date(dates, "licenceExpiryDate", DATES),
            release=p.opt_date(dates, "releaseDate", DATES),
        ),
    )


def movement(region: str, local_id: str, payload: p.Payload) -> Movement:
    """A ``Movement`` element as a movement record."""
    return Movement(
        region=region,
        local_id=local_id,
        occurred_on=p.required(p.opt_date(payload, "movementDate", DATES), "movementDate"),
        movement_type=p.text(payload, "movementType", xml=True),
        from_location=p.opt_text(payload, "fromAgency", xml=True),
        to_location=p.opt_text(payload, "toAgency", xml=True),
        description=p.opt_text(payload, "description", xml=True) or "",
    )


def alert(region: str, local_id: str, payload: p.Payload) -> Alert:
    """An ``Alert`` element as a prison alert."""
    return Alert(
        region=region,
        local_id=local_id,
        source=AlertSource.PRISON_ALERT,
        type=p.text(payload, "alertType", xml=True),
        code=p.text(payload, "alertCode", xml=True),
        description=p.opt_text(payload, "alertCodeDescription", xml=True) or "",
        active=p.boolean(payload, "active"),
        start_date=p.opt_date(payload, "dateCreated", DATES),
    )


def offender_id(payload: p.Payload) -> str:
    """The ``offenderId`` a batch item answers for."""
    return p.text(payload, "offenderId", xml=True)


def identifier_echo(payload: p.Payload) -> tuple[str, str]:
    """The (identifierType, value) an ``IdentifierMatch`` answers for."""
    return p.text(payload, "identifierType", xml=True), p.text(payload, "value", xml=True)
