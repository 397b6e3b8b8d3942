"""Map prison SOAP payloads (zeep results as plain dicts) into domain records.

Every function raises :class:`MappingError` for a payload that does not fit: a required field
missing, a date that is not a date, a batch reply that does not answer the keys asked. Identifiers
are normalised; dirty or invalid ones are dropped, as a record without them is still a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from lxml import etree
from zeep.xsd.types.builtins import Boolean
from zeep.xsd.types.complex import ComplexType

from connectors.identifiers import Identifier, IdentifierKind, try_parse_identifier
from connectors.records import (
    Alert,
    AlertSource,
    CustodyEpisode,
    Movement,
    PersonName,
    PersonRecord,
    SentenceDates,
)

Payload = Mapping[str, Any]
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
T = TypeVar("T")

_IDENTIFIER_FIELDS = (
    ("nomsNumber", IdentifierKind.NOMS),
    ("pncNumber", IdentifierKind.PNC),
    ("croNumber", IdentifierKind.CRO),
)


class MappingError(ValueError):
    """A payload that does not map into a domain record; the message names the field."""


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
        raise MappingError("the reply is not the operation's response element")
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
        raise MappingError(f"{name} is not a boolean")
    try:
        xsd_type.pythonvalue(node.text)
    except (TypeError, ValueError):
        raise MappingError(f"{name} is not a valid {xsd_type.name}") from None


def items(value: object, field: str | None = None) -> list[Payload]:
    """The repeated elements of a reply: zeep gives a list, a compound value, or None for none."""
    if field is not None and isinstance(value, Mapping):
        value = value.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise MappingError(f"expected a list of {field or 'elements'}")
    return value


def text(payload: Payload, field: str) -> str:
    """A required, non-blank string field."""
    value = payload.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{field} is missing")
    return value.strip()


def optional_text(payload: Payload, field: str) -> str | None:
    """An optional string field; blank is None."""
    value = payload.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text(payload, field)


def optional_date(payload: Payload | None, field: str) -> date | None:
    """An optional xs:date (zeep gives ``date``; ISO text is accepted too)."""
    value = None if payload is None else payload.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise MappingError(f"{field} is not a date") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise MappingError(f"{field} is not a date")


def required_date(payload: Payload, field: str) -> date:
    """A required xs:date."""
    value = optional_date(payload, field)
    if value is None:
        raise MappingError(f"{field} is missing")
    return value


def flag(payload: Payload, field: str) -> bool:
    """A required xs:boolean."""
    value = payload.get(field)
    if not isinstance(value, bool):
        raise MappingError(f"{field} is not a boolean")
    return value


def person(region: str, payload: Payload) -> PersonRecord:
    """An ``OffenderSummary`` as a person record."""
    identifiers: list[Identifier] = []
    for field, kind in _IDENTIFIER_FIELDS:
        raw = payload.get(field)
        parsed = try_parse_identifier(raw if isinstance(raw, str) else None, kind)
        if parsed:
            identifiers.append(parsed)
    return PersonRecord(
        region=region,
        local_id=text(payload, "offenderId"),
        identifiers=tuple(identifiers),
        name=PersonName(
            forename=text(payload, "firstName"),
            surname=text(payload, "lastName"),
            middle_names=optional_text(payload, "middleNames"),
        ),
        date_of_birth=optional_date(payload, "dateOfBirth"),
        aliases=tuple(
            PersonName(forename=text(a, "firstName"), surname=text(a, "lastName"))
            for a in items(payload.get("alias"))
        ),
        gender=optional_text(payload, "gender"),
    )


def search_results(region: str, reply: object) -> list[PersonRecord]:
    """A ``SearchOffendersResponse``: the people found (the service caps them; see truncated)."""
    if not isinstance(reply, Mapping):
        raise MappingError("the search reply is not a structure")
    flag(reply, "truncated")
    return [person(region, p) for p in items(reply, "offender")]


def custody_episode(region: str, local_id: str, payload: Payload) -> CustodyEpisode:
    """A ``Booking`` as a custody episode."""
    dates = payload.get("sentenceDates")
    if dates is not None and not isinstance(dates, Mapping):
        raise MappingError("sentenceDates is not a structure")
    return CustodyEpisode(
        region=region,
        local_id=local_id,
        booking_id=text(payload, "bookingId"),
        book_number=text(payload, "bookNumber"),
        prison_id=text(payload, "prisonId"),
        prison_name=text(payload, "prisonName"),
        active=flag(payload, "activeFlag"),
        in_out_status=text(payload, "inOutStatus"),
        legal_status=text(payload, "legalStatus"),
        start_date=required_date(payload, "bookingBeginDate"),
        end_date=optional_date(payload, "bookingEndDate"),
        security_category=optional_text(payload, "securityCategory"),
        cell_location=optional_text(payload, "cellLocation"),
        sentence=SentenceDates(
            sentence_start=optional_date(dates, "sentenceStartDate"),
            sentence_expiry=optional_date(dates, "sentenceExpiryDate"),
            conditional_release=optional_date(dates, "conditionalReleaseDate"),
            licence_expiry=optional_date(dates, "licenceExpiryDate"),
            release=optional_date(dates, "releaseDate"),
        ),
    )


def movement(region: str, local_id: str, payload: Payload) -> Movement:
    """A ``Movement`` element as a movement record."""
    return Movement(
        region=region,
        local_id=local_id,
        occurred_on=required_date(payload, "movementDate"),
        movement_type=text(payload, "movementType"),
        from_location=optional_text(payload, "fromAgency"),
        to_location=optional_text(payload, "toAgency"),
        description=optional_text(payload, "description") or "",
    )


def alert(region: str, local_id: str, payload: Payload) -> Alert:
    """An ``Alert`` element as a prison alert."""
    return Alert(
        region=region,
        local_id=local_id,
        source=AlertSource.PRISON_ALERT,
        type=text(payload, "alertType"),
        code=text(payload, "alertCode"),
        description=optional_text(payload, "alertCodeDescription") or "",
        active=flag(payload, "active"),
        start_date=optional_date(payload, "dateCreated"),
    )


def per_key(
    replies: Sequence[Payload], keys: Sequence[T], echo: Callable[[Payload], T]
) -> list[Payload]:
    """Batch reply items in key order; the reply must answer every key, in the order asked."""
    if len(replies) != len(keys):
        raise MappingError(f"batch reply has {len(replies)} items for {len(keys)} keys")
    for reply, key in zip(replies, keys, strict=True):
        if echo(reply) != key:
            raise MappingError("batch reply items are not in the order asked")
    return list(replies)


def offender_id(payload: Payload) -> str:
    """The ``offenderId`` a batch item answers for."""
    return text(payload, "offenderId")


def identifier_echo(payload: Payload) -> tuple[str, str]:
    """The (identifierType, value) an ``IdentifierMatch`` answers for."""
    return text(payload, "identifierType"), text(payload, "value")
