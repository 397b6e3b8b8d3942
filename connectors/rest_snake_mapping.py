"""Map rest-snake payloads (UPPER_SNAKE JSON, dd/MM/yyyy dates, Y/N flags) to domain records.

Every function raises :class:`~connectors.payload.PayloadError` for a payload that does not map;
identifiers that do not parse (dirty data) are dropped, not fatal.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from connectors import payload as p
from connectors.parsing import UK, opt_date, parse_date
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

DATES = UK
PERSON = p.PersonFields(
    local_id="OFFENDER_ID", forename="FIRST_NAME", middle_names="MIDDLE_NAMES", surname="SURNAME",
    date_of_birth="DATE_OF_BIRTH", gender="GENDER", aliases="ALIASES", dates=DATES,
    crn="CRN", noms="NOMS_NUMBER", pnc="PNC_NUMBER", cro="CRO_NUMBER",
)  # fmt: skip


def results_page(region: str, page: p.Payload) -> tuple[list[PersonRecord], str | None]:
    """The people of one result page and the relative link of the next page, if any."""
    found = p.each(page.get("RESULTS"), "RESULTS", lambda item: person(region, item))
    return found, p.opt_text(page, "NEXT")


def person(region: str, data: p.Payload) -> PersonRecord:
    """One offender, with its limited-access lists and the ``MANAGERS`` it carries, if any."""
    record = p.person_record(region, data, PERSON)
    return replace(record, access=access(data), included=included(region, record.local_id, data))


def included(region: str, offender_id: str, data: p.Payload) -> IncludedFacts:
    """What an offender row carries besides the person: its ``MANAGERS``."""
    return IncludedFacts(
        managers=p.carried(data, "MANAGERS", partial(manager, region, offender_id))
    )


def access(data: p.Payload) -> AccessLimits:
    """``EXCLUDED_USERS`` and ``RESTRICTED_TO_USERS`` (absent: none); the ``EXCLUSION`` and
    ``RESTRICTION`` flags, when sent, must agree with them (``Y`` when the list has names)."""
    excluded = p.subjects(data.get("EXCLUDED_USERS"), "EXCLUDED_USERS")
    restricted = p.subjects(data.get("RESTRICTED_TO_USERS"), "RESTRICTED_TO_USERS")
    for flag, held in (("EXCLUSION", excluded), ("RESTRICTION", restricted)):
        if data.get(flag) is not None and p.flag(data, flag) != bool(held):
            raise p.PayloadError(f"field '{flag}' disagrees with its list of users")
    return AccessLimits(excluded, restricted)


def error_code(reply: Any) -> tuple[p.Payload, str | None]:
    """The reply as an object, and its ``ERROR.CODE`` when the vendor reports an error."""
    data = p.obj(reply, "reply")
    if "ERROR" not in data:
        return data, None
    return data, p.text(p.obj(data["ERROR"], "ERROR"), "CODE")


def supervision(region: str, offender_id: str, data: p.Payload) -> SupervisionEpisode:
    """One supervision episode."""
    kind = p.choice(data, "SUPERVISION_TYPE", SupervisionKind, "supervision type")
    return SupervisionEpisode(
        region=region,
        local_id=offender_id,
        episode_id=p.text(data, "EPISODE_ID"),
        kind=kind,
        probation_region=p.text(data, "REGION_CODE"),
        start_date=parse_date(data.get("START_DATE"), "START_DATE", DATES),
        end_date=opt_date(data.get("END_DATE"), "END_DATE", DATES),
        active=p.flag(data, "ACTIVE"),
        licence_type=p.opt_text(data, "LICENCE_TYPE"),
        tier=p.opt_text(data, "TIER"),
    )


def manager(region: str, offender_id: str, data: p.Payload) -> OffenderManager:
    """One offender manager (POM or COM)."""
    return OffenderManager(
        region=region,
        local_id=offender_id,
        staff_code=p.text(data, "STAFF_CODE"),
        forename=p.opt_text(data, "STAFF_FORENAME"),
        surname=p.opt_text(data, "STAFF_SURNAME"),
        role=p.choice(data, "ROLE", ManagerRole, "manager role"),
        team=p.opt_text(data, "TEAM"),
        probation_delivery_unit=p.opt_text(data, "PDU"),
        probation_region=p.opt_text(data, "REGION_CODE"),
        responsible_officer=p.flag(data, "RESPONSIBLE_OFFICER"),
        allocated_on=opt_date(data.get("ALLOCATED_DATE"), "ALLOCATED_DATE", DATES),
    )


def alert(region: str, offender_id: str, data: p.Payload) -> Alert:
    """One registration as a probation alert."""
    type_code = p.text(data, "REGISTER_TYPE")
    return Alert(
        region=region,
        local_id=offender_id,
        source=AlertSource.PROBATION_REGISTRATION,
        type=type_code,
        code=p.opt_text(data, "REGISTER_CODE") or type_code,
        description=p.opt_text(data, "REGISTER_DESCRIPTION") or type_code,
        active=p.flag(data, "ACTIVE"),
        start_date=opt_date(data.get("START_DATE"), "START_DATE", DATES),
        level=p.opt_text(data, "REGISTER_LEVEL"),
        category=p.opt_text(data, "REGISTER_CATEGORY"),
    )
