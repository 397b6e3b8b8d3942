"""Map rest-camel payloads (camelCase JSON, ISO dates) to domain records.

Every function raises :class:`~connectors.payload.PayloadError` for a payload that does not map;
identifiers that do not parse (dirty data) are dropped, not fatal.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from connectors import payload as p
from connectors.parsing import ISO, opt_date, parse_date
from connectors.records import (
    AccessLimits,
    Alert,
    AlertSource,
    IncludedFacts,
    ManagerRole,
    OffenderManager,
    PersonRecord,
    SupervisionEpisode,
    SupervisionKind,
)

DATES = ISO
PERSON = p.PersonFields(
    local_id="offenderId", forename="firstName", middle_names="middleNames", surname="surname",
    date_of_birth="dateOfBirth", gender="gender", aliases="aliases", dates=DATES,
    crn="crn", noms="nomsNumber", pnc="pncNumber", cro="croNumber",
)  # fmt: skip


def offender_id(data: p.Payload) -> str:
    """The ``offenderId`` a batch result answers for (a string or a number)."""
    return p.ident(data, "offenderId")


def people(region: str, values: Any, where: str) -> list[PersonRecord]:
    """A list of offender summaries."""
    return p.each(values, where, lambda item: person(region, item))


def person(region: str, data: p.Payload) -> PersonRecord:
    """One offender summary, with its limited-access lists and the offender managers it carries
    (``offenderManagers``, as nDelius's offender detail does)."""
    record = p.person_record(region, data, PERSON)
    return replace(record, access=access(data), included=included(region, record.local_id, data))


def included(region: str, offender_id: str, data: p.Payload) -> IncludedFacts:
    """What an offender summary carries besides the person: its ``offenderManagers``."""
    return IncludedFacts(
        managers=p.carried(data, "offenderManagers", partial(manager, region, offender_id))
    )


def access(data: p.Payload) -> AccessLimits:
    """``limitedAccess``'s exclusion and restriction lists (absent: none); the
    ``currentExclusion``/``currentRestriction`` flags, when sent, must agree with them."""
    lists = p.section(data, "limitedAccess")
    excluded = p.subjects(lists.get("exclusions"), "limitedAccess.exclusions", "username")
    restricted = p.subjects(lists.get("restrictions"), "limitedAccess.restrictions", "username")
    for flag, held in (("currentExclusion", excluded), ("currentRestriction", restricted)):
        if data.get(flag) is not None and p.boolean(data, flag) != bool(held):
            raise p.PayloadError(f"field '{flag}' disagrees with limitedAccess")
    return AccessLimits(excluded, restricted)


def search_page(data: Any) -> tuple[list[Any], int]:
    """The content of a search page and the total number of pages."""
    page = p.obj(data, "search page")
    return p.items(page.get("content"), "content"), p.integer(
        p.obj(page.get("page"), "page"), "totalPages"
    )


def listing_page(data: Any) -> tuple[list[Any], str | None]:
    """The content of a caseload page and the cursor of the next (None: the last)."""
    page = p.obj(data, "caseload page")
    return p.items(page.get("content"), "content"), p.opt_text(page, "nextCursor")


def batch_results(data: Any, expected: int) -> list[p.Payload]:
    """The ``results`` of a batch call: one object per requested key."""
    results = p.objects(p.obj(data, "batch reply").get("results"), "results")
    if len(results) != expected:
        raise p.PayloadError(f"batch reply has {len(results)} results for {expected} keys")
    return results


def _code(data: p.Payload, key: str) -> str | None:
    return p.opt_text(p.section(data, key), "code")


def _description(data: p.Payload, key: str) -> str | None:
    return p.opt_text(p.section(data, key), "description")


def supervision(region: str, offender_id: str, data: p.Payload) -> SupervisionEpisode:
    """One supervision episode."""
    kind = p.choice(data, "type", SupervisionKind, "supervision type")
    return SupervisionEpisode(
        region=region,
        local_id=offender_id,
        episode_id=p.ident(data, "episodeId"),
        kind=kind,
        probation_region=p.required(_code(data, "probationRegion"), "probationRegion.code"),
        start_date=parse_date(data.get("startDate"), "startDate", DATES),
        end_date=opt_date(data.get("endDate"), "endDate", DATES),
        active=p.boolean(data, "active"),
        licence_type=p.opt_text(data, "licenceType"),
        tier=p.opt_text(data, "tier"),
    )


def manager(region: str, offender_id: str, data: p.Payload) -> OffenderManager:
    """One offender manager (POM or COM)."""
    return OffenderManager(
        region=region,
        local_id=offender_id,
        staff_code=p.text(data, "staffCode"),
        forename=p.opt_text(data, "forename"),
        surname=p.opt_text(data, "surname"),
        role=p.choice(data, "role", ManagerRole, "manager role"),
        team=_description(data, "team"),
        probation_delivery_unit=_description(data, "probationDeliveryUnit"),
        probation_region=_code(data, "probationRegion"),
        responsible_officer=p.boolean(data, "responsibleOfficer"),
        allocated_on=opt_date(data.get("allocatedDate"), "allocatedDate", DATES),
    )


def alert(region: str, offender_id: str, data: p.Payload) -> Alert:
    """One registration as a probation alert."""
    register = p.obj(data.get("type"), "type")
    type_code = p.text(register, "code")
    return Alert(
        region=region,
        local_id=offender_id,
        source=AlertSource.PROBATION_REGISTRATION,
        type=type_code,
        code=p.opt_text(data, "code") or type_code,
        description=p.opt_text(register, "description") or type_code,
        active=p.boolean(data, "active"),
        start_date=opt_date(data.get("startDate"), "startDate", DATES),
        level=p.opt_text(data, "level"),
        category=p.opt_text(data, "category"),
    )
