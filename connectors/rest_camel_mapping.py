"""Map rest-camel payloads (camelCase JSON, ISO dates) to domain records.

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
    boolean,
    each,
    integer,
    iso_date,
    items,
    obj,
    opt_text,
    required,
    text,
)

Json = Mapping[str, Any]


def local_id(data: Json, key: str = "offenderId") -> str:
    """An offender id, sent as a string or a number."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(data, key)


def _alias(data: Json) -> PersonName:
    return PersonName(forename=text(data, "firstName"), surname=text(data, "surname"))


def person(region: str, data: Json) -> PersonRecord:
    """One offender summary."""
    pairs = (
        (IdentifierKind.CRN, "crn"),
        (IdentifierKind.NOMS, "nomsNumber"),
        (IdentifierKind.PNC, "pncNumber"),
        (IdentifierKind.CRO, "croNumber"),
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
            forename=text(data, "firstName"),
            surname=text(data, "surname"),
            middle_names=opt_text(data, "middleNames"),
        ),
        date_of_birth=iso_date(data, "dateOfBirth"),
        aliases=tuple(each(data.get("aliases") or [], "aliases", _alias)),
        gender=opt_text(data, "gender"),
    )


def people(region: str, values: Any, where: str) -> list[PersonRecord]:
    """A list of offender summaries."""
    return each(values, where, lambda item: person(region, item))


def search_page(data: Any) -> tuple[list[Any], int]:
    """The content of a search page and the total number of pages."""
    page = obj(data, "search page")
    return items(page.get("content"), "content"), integer(
        obj(page.get("page"), "page"), "totalPages"
    )


def batch_results(data: Any, expected: int) -> list[Json]:
    """The ``results`` of a batch call: one object per requested key."""
    results = each(obj(data, "batch reply").get("results"), "results", lambda item: item)
    if len(results) != expected:
        raise PayloadError(f"batch reply has {len(results)} results for {expected} keys")
    return results


def _code(data: Json, key: str) -> str | None:
    value = data.get(key)
    return None if value is None else opt_text(obj(value, key), "code")


def _description(data: Json, key: str) -> str | None:
    value = data.get(key)
    return None if value is None else opt_text(obj(value, key), "description")


def supervision(region: str, offender_id: str, data: Json) -> SupervisionEpisode:
    """One supervision episode."""
    try:
        kind = SupervisionKind(text(data, "type"))
    except ValueError:
        raise PayloadError("field 'type' is not a known supervision type") from None
    return SupervisionEpisode(
        region=region,
        local_id=offender_id,
        episode_id=local_id(data, "episodeId"),
        kind=kind,
        probation_region=required(_code(data, "probationRegion"), "probationRegion.code"),
        start_date=required(iso_date(data, "startDate"), "startDate"),
        end_date=iso_date(data, "endDate"),
        active=boolean(data, "active"),
        licence_type=opt_text(data, "licenceType"),
        tier=opt_text(data, "tier"),
    )


def manager(region: str, offender_id: str, data: Json) -> OffenderManager:
    """One offender manager (POM or COM)."""
    return OffenderManager(
        region=region,
        local_id=offender_id,
        staff_code=text(data, "staffCode"),
        forename=opt_text(data, "forename"),
        surname=opt_text(data, "surname"),
        role=text(data, "role"),
        team=_description(data, "team"),
        probation_delivery_unit=_description(data, "probationDeliveryUnit"),
        probation_region=_code(data, "probationRegion"),
        responsible_officer=boolean(data, "responsibleOfficer"),
        allocated_on=iso_date(data, "allocatedDate"),
    )


def alert(region: str, offender_id: str, data: Json) -> Alert:
    """One registration as a probation alert."""
    register = obj(data.get("type"), "type")
    type_code = text(register, "code")
    return Alert(
        region=region,
        local_id=offender_id,
        source=AlertSource.PROBATION_REGISTRATION,
        type=type_code,
        code=opt_text(data, "code") or type_code,
        description=opt_text(register, "description") or type_code,
        active=boolean(data, "active"),
        start_date=iso_date(data, "startDate"),
        level=opt_text(data, "level"),
        category=opt_text(data, "category"),
    )
