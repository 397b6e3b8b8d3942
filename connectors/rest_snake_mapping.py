"""Map rest-snake payloads (UPPER_SNAKE JSON, dd/MM/yyyy dates, Y/N flags) to domain records.

Every function raises :class:`~connectors.rest_payload.PayloadError` for a payload that does not
map; identifiers that do not parse (dirty data) are dropped, not fatal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.identifiers import Identifier, IdentifierKind, try_parse_identifier
from connectors.records import (
    Alert,
    AlertSource,
    OffenderManager,
    PersonName,
    PersonRecord,
    SupervisionEpisode,
    SupervisionKind,
)
from connectors.rest_payload import (
    PayloadError,
    each,
    flag,
    obj,
    opt_text,
    required,
    text,
    uk_date,
)

Json = Mapping[str, Any]


def local_id(data: Json) -> str:
    """An offender id, sent as a string or a number."""
    value = data.get("OFFENDER_ID")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(data, "OFFENDER_ID")


def _alias(data: Json) -> PersonName:
    return PersonName(forename=text(data, "FIRST_NAME"), surname=text(data, "SURNAME"))


def person(region: str, data: Json) -> PersonRecord:
    """One offender."""
    pairs = (
        (IdentifierKind.CRN, "CRN"),
        (IdentifierKind.NOMS, "NOMS_NUMBER"),
        (IdentifierKind.PNC, "PNC_NUMBER"),
        (IdentifierKind.CRO, "CRO_NUMBER"),
    )
    identifiers: list[Identifier] = []
    for kind, key in pairs:
        parsed = try_parse_identifier(opt_text(data, key), kind)
        if parsed is not None:
            identifiers.append(parsed)
    return PersonRecord(
        region=region,
        local_id=local_id(data),
        identifiers=tuple(identifiers),
        name=PersonName(
            forename=text(data, "FIRST_NAME"),
            surname=text(data, "SURNAME"),
            middle_names=opt_text(data, "MIDDLE_NAMES"),
        ),
        date_of_birth=uk_date(data, "DATE_OF_BIRTH"),
        aliases=tuple(each(data.get("ALIASES") or [], "ALIASES", _alias)),
        gender=opt_text(data, "GENDER"),
    )


def results_page(region: str, page: Json) -> tuple[list[PersonRecord], str | None]:
    """The people of one result page and the relative link of the next page, if any."""
    found = each(page.get("RESULTS"), "RESULTS", lambda item: person(region, item))
    return found, opt_text(page, "NEXT")


def error_code(reply: Any) -> tuple[Json, str | None]:
    """The reply as an object, and its ``ERROR.CODE`` when the vendor reports an error."""
    data = obj(reply, "reply")
    if "ERROR" not in data:
        return data, None
    return data, text(obj(data["ERROR"], "ERROR"), "CODE")


def supervision(region: str, offender_id: str, data: Json) -> SupervisionEpisode:
    """One supervision episode."""
    try:
        kind = SupervisionKind(text(data, "SUPERVISION_TYPE"))
    except ValueError:
        raise PayloadError("field 'SUPERVISION_TYPE' is not a known supervision type") from None
    return SupervisionEpisode(
        region=region,
        local_id=offender_id,
        episode_id=text(data, "EPISODE_ID"),
        kind=kind,
        probation_region=text(data, "REGION_CODE"),
        start_date=required(uk_date(data, "START_DATE"), "START_DATE"),
        end_date=uk_date(data, "END_DATE"),
        active=flag(data, "ACTIVE"),
        licence_type=opt_text(data, "LICENCE_TYPE"),
        tier=opt_text(data, "TIER"),
    )


def manager(region: str, offender_id: str, data: Json) -> OffenderManager:
    """One offender manager (POM or COM)."""
    return OffenderManager(
        region=region,
        local_id=offender_id,
        staff_code=text(data, "STAFF_CODE"),
        forename=opt_text(data, "STAFF_FORENAME"),
        surname=opt_text(data, "STAFF_SURNAME"),
        role=text(data, "ROLE"),
        team=opt_text(data, "TEAM"),
        probation_delivery_unit=opt_text(data, "PDU"),
        probation_region=opt_text(data, "REGION_CODE"),
        responsible_officer=flag(data, "RESPONSIBLE_OFFICER"),
        allocated_on=uk_date(data, "ALLOCATED_DATE"),
    )


def alert(region: str, offender_id: str, data: Json) -> Alert:
    """One registration as a probation alert."""
    type_code = text(data, "REGISTER_TYPE")
    return Alert(
        region=region,
        local_id=offender_id,
        source=AlertSource.PROBATION_REGISTRATION,
        type=type_code,
        code=opt_text(data, "REGISTER_CODE") or type_code,
        description=opt_text(data, "REGISTER_DESCRIPTION") or type_code,
        active=flag(data, "ACTIVE"),
        start_date=uk_date(data, "START_DATE"),
        level=opt_text(data, "REGISTER_LEVEL"),
        category=opt_text(data, "REGISTER_CATEGORY"),
    )
