"""Map prison SOAP payloads (zeep results as plain dicts) into domain records.

Every function raises :class:`~connectors.payload.PayloadError` for a payload that does not fit:
a required field missing, a date that is not a date, a reply zeep would misread. Identifiers are
normalised; dirty or invalid ones are dropped, as a record without them is still a record. Values
are read as zeep gives them: text with ``xml=True`` and dates as :data:`DATES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from connectors import payload as p
from connectors.base import ListingPage
from connectors.records import (
    Alert,
    AlertSource,
    CustodyEpisode,
    InOutStatus,
    Movement,
    PersonRecord,
    SentenceDates,
)
from connectors.soap_reply import check_reply as check_reply  # the check run on every reply

R = TypeVar("R")
ItemMapper = Callable[[str, str, p.Payload], R]
"""Map one item of an offender's reply: (region, offender id, item) to a record."""
DATES = p.XS_DATE
PERSON = p.PersonFields(
    local_id="offenderId", forename="firstName", middle_names="middleNames", surname="lastName",
    date_of_birth="dateOfBirth", gender="gender", aliases="alias", dates=DATES, xml=True,
    noms="nomsNumber", pnc="pncNumber", cro="croNumber",
)  # fmt: skip


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


def listing_page(region: str, reply: object) -> ListingPage:
    """A ``ListOffendersResponse``: one page of offenders and the token of the next, if any."""
    token = p.opt_text(p.obj(reply, "listing reply"), "nextPageToken", xml=True)
    return ListingPage(tuple(person(region, p) for p in items(reply, "offender")), token)


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
