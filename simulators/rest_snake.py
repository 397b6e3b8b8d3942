"""The older probation dialect ("rest-snake"): API key, UPPER_SNAKE JSON, dd/MM/yyyy, no batches.

Wire format in brief:

- Every call needs the header ``X-API-Key``.
- Errors always come with HTTP 200 and ``{"ERROR": {"CODE": "NOT_FOUND" | "BAD_REQUEST" |
  "UNAUTHORISED" | "INTERNAL", "MESSAGE": "..."}}``.
- ``GET /probation/offenders?SURNAME=&FORENAME=&DOB=dd/MM/yyyy&OFFSET=0&LIMIT=25`` searches, and
  ``GET /probation/offenders?CRN=...`` (or ``NOMS``, ``PNC``, ``CRO``) finds by identifier; both
  answer ``{"RESULTS": [...], "NEXT": "/probation/offenders?...&OFFSET=25&LIMIT=25" | null}``.
  ``NEXT`` is relative to the API root.
- ``GET /probation/offenders/{id}`` and ``/probation/offenders/{id}/supervisions`` (``/managers``,
  ``/registrations``) answer one person at a time; flags are ``"Y"``/``"N"``.
- ``GET /probation/caseload?REGION_CODE=N03&STAFF_CODE=...&LIMIT=25`` lists the cases of a
  probation region and/or of an offender manager (every case without either), in offender id
  order, in the same ``{"RESULTS", "NEXT"}`` shape; ``NEXT`` carries an opaque ``AFTER`` cursor.
- An offender carries its offender managers (``MANAGERS``, as ``/managers`` serves them).
- An offender carries its limited-access lists flat: ``EXCLUSION`` (``Y``/``N``) with
  ``EXCLUDED_USERS`` (user names who may not see the case), and ``RESTRICTION`` with
  ``RESTRICTED_TO_USERS`` (when ``Y``, the only users who may).

Each request is counted once under its operation (``search``, ``findByIdentifier``, ``caseload``,
``offender``, ``supervisions``, ``managers``, ``registrations``; refused calls as ``unauthorised``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.identifiers import IdentifierKind
from simulators.faults import SimState
from simulators.layout import PROBATION_REGIONS, SystemSpec
from simulators.listing import BadCursor, listing_page
from simulators.plugin import SimulatedApp
from simulators.stores import ProbationCase, SystemStore

Handler = Callable[[Request], Awaitable[Response]]
IDENTIFIER_PARAMS = {
    "CRN": IdentifierKind.CRN,
    "NOMS": IdentifierKind.NOMS,
    "PNC": IdentifierKind.PNC,
    "CRO": IdentifierKind.CRO,
}


class SnakeError(Exception):
    """An error answered (with HTTP 200) as ``{"ERROR": {"CODE", "MESSAGE"}}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _error(code: str, message: str) -> JSONResponse:
    return JSONResponse({"ERROR": {"CODE": code, "MESSAGE": message}})


def uk_date(value: date | None) -> str | None:
    """``dd/MM/yyyy``, as this vendor writes dates."""
    return value.strftime("%d/%m/%Y") if value else None


def _flag(value: bool) -> str:
    return "Y" if value else "N"


def offender_json(case: ProbationCase) -> dict[str, Any]:
    """A probation case as the snake dialect serves it (identifiers as stored, dirt included)."""
    return {
        "OFFENDER_ID": case.local_id,
        "CRN": case.crn,
        "NOMS_NUMBER": case.noms_number,
        "PNC_NUMBER": case.pnc_number,
        "CRO_NUMBER": case.cro_number,
        "FIRST_NAME": case.forename,
        "MIDDLE_NAMES": case.middle_names,
        "SURNAME": case.surname,
        "DATE_OF_BIRTH": uk_date(case.date_of_birth),
        "GENDER": case.gender,
        "ALIASES": [{"FIRST_NAME": a.forename, "SURNAME": a.surname} for a in case.aliases],
        "EXCLUSION": _flag(bool(case.exclusions)),
        "EXCLUDED_USERS": list(case.exclusions),
        "RESTRICTION": _flag(bool(case.restrictions)),
        "RESTRICTED_TO_USERS": list(case.restrictions),
        "MANAGERS": managers_json(case),  # the case's offender managers come with it
    }


def supervisions_json(case: ProbationCase) -> list[dict[str, Any]]:
    return [
        {
            "EPISODE_ID": row.episode_id,
            "SUPERVISION_TYPE": row.kind,
            "LICENCE_TYPE": row.licence_type,
            "REGION_CODE": row.probation_region,
            "REGION_NAME": PROBATION_REGIONS.get(row.probation_region, row.probation_region),
            "START_DATE": uk_date(row.start),
            "END_DATE": uk_date(row.end),
            "ACTIVE": _flag(row.active),
            "TIER": row.tier,
        }
        for row in case.supervisions
    ]


def managers_json(case: ProbationCase) -> list[dict[str, Any]]:
    return [
        {
            "STAFF_CODE": row.staff_code,
            "STAFF_FORENAME": row.forename,
            "STAFF_SURNAME": row.surname,
            "ROLE": row.role,
            "TEAM": row.team,
            "PDU": row.probation_delivery_unit,
            "REGION_CODE": row.probation_region,
            "RESPONSIBLE_OFFICER": _flag(row.responsible_officer),
            "ALLOCATED_DATE": uk_date(row.allocated_on),
        }
        for row in case.managers
    ]


def registrations_json(case: ProbationCase) -> list[dict[str, Any]]:
    return [
        {
            "REGISTER_TYPE": row.type,
            "REGISTER_CODE": row.code,
            "REGISTER_DESCRIPTION": row.description,
            "REGISTER_LEVEL": row.level,
            "REGISTER_CATEGORY": row.category,
            "START_DATE": uk_date(row.start),
            "ACTIVE": _flag(row.active),
        }
        for row in case.registrations
    ]


DETAILS: dict[str, Callable[[ProbationCase], list[dict[str, Any]]]] = {
    "supervisions": supervisions_json,
    "managers": managers_json,
    "registrations": registrations_json,
}


def create_snake_app(
    store: SystemStore, state: SimState, *, api_key: str, max_limit: int = 100
) -> Starlette:
    """The snake-dialect server of one probation store (wrap it in FaultInjection to run it)."""

    def case_of(request: Request) -> ProbationCase:
        record = store.records.get(request.path_params["offender_id"])
        if not isinstance(record, ProbationCase):
            raise SnakeError("NOT_FOUND", "no offender with that id")
        return record

    def endpoint(operation: str | None, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            given = request.headers.get("x-api-key", "")
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                state.count("unauthorised")
                return _error("UNAUTHORISED", "missing or unknown API key")
            if operation:
                state.count(operation)
            try:
                return await handler(request)
            except SnakeError as exc:
                return _error(exc.code, exc.message)
            except Exception:
                return _error("INTERNAL", "the request could not be processed")

        return wrapped

    async def offenders(request: Request) -> Response:
        params = request.query_params
        offset = _int_param(params.get("OFFSET"), 0, "OFFSET", 0, 10**6)
        limit = _int_param(params.get("LIMIT"), 25, "LIMIT", 1, max_limit)
        given = [name for name in IDENTIFIER_PARAMS if params.get(name)]
        surname = params.get("SURNAME", "").strip()
        if len(given) + bool(surname) != 1:
            raise SnakeError("BAD_REQUEST", "give SURNAME or exactly one of CRN, NOMS, PNC, CRO")
        if given:
            state.count("findByIdentifier")
            found = store.find(IDENTIFIER_PARAMS[given[0]], params[given[0]])
        else:
            state.count("search")
            dob = _dob_param(params.get("DOB"))
            found = store.search(surname, params.get("FORENAME") or None, dob)
        chunk = found[offset : offset + limit]
        next_link = None
        if offset + limit < len(found):
            query = {k: v for k, v in params.items() if k not in ("OFFSET", "LIMIT")}
            query |= {"OFFSET": str(offset + limit), "LIMIT": str(limit)}
            next_link = f"{request.scope['path']}?{urlencode(query)}"
        return JSONResponse(
            {
                "RESULTS": [offender_json(c) for c in chunk if isinstance(c, ProbationCase)],
                "NEXT": next_link,
            }
        )

    async def caseload(request: Request) -> Response:
        params = request.query_params
        limit = _int_param(params.get("LIMIT"), 25, "LIMIT", 1, max_limit)
        region, staff = params.get("REGION_CODE") or None, params.get("STAFF_CODE") or None
        try:
            found, cursor = listing_page(store, region, staff, params.get("AFTER"), limit)
        except BadCursor as exc:
            raise SnakeError("BAD_REQUEST", str(exc)) from None
        next_link = None
        if cursor is not None:
            query = {k: v for k, v in params.items() if k != "AFTER"} | {"AFTER": cursor}
            next_link = f"{request.scope['path']}?{urlencode(query)}"
        return JSONResponse(
            {
                "RESULTS": [offender_json(c) for c in found if isinstance(c, ProbationCase)],
                "NEXT": next_link,
            }
        )

    async def offender(request: Request) -> Response:
        return JSONResponse(offender_json(case_of(request)))

    def detail(what: str) -> Handler:
        render = DETAILS[what]

        async def handler(request: Request) -> Response:
            case = case_of(request)
            return JSONResponse({"OFFENDER_ID": case.local_id, what.upper(): render(case)})

        return handler

    async def not_found(request: Request) -> Response:
        raise SnakeError("NOT_FOUND", "no such resource")

    routes = [
        Route("/probation/offenders", endpoint(None, offenders), methods=["GET"]),
        Route("/probation/caseload", endpoint("caseload", caseload), methods=["GET"]),
        Route(
            "/probation/offenders/{offender_id}", endpoint("offender", offender), methods=["GET"]
        ),
        *(
            Route(
                f"/probation/offenders/{{offender_id}}/{what}",
                endpoint(what, detail(what)),
                methods=["GET"],
            )
            for what in DETAILS
        ),
        Route("/{path:path}", endpoint("unknown", not_found)),
    ]
    return Starlette(routes=routes)


def _dob_param(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise SnakeError("BAD_REQUEST", "DOB must be dd/MM/yyyy") from None


def _int_param(value: str | None, default: int, name: str, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SnakeError("BAD_REQUEST", f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise SnakeError("BAD_REQUEST", f"{name} must be between {low} and {high}")
    return number


@dataclass(frozen=True)
class SnakeSimulator:
    """The ``rest-snake`` simulator plugin: an API key, fresh for each system."""

    dialect: str = "rest-snake"
    kind: str = "PROBATION"
    systems: tuple[SystemSpec, ...] = ()

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        api_key = secrets.token_urlsafe(24)
        auth = {"type": "api_key", "header": "X-API-Key", "api_key": api_key}
        return SimulatedApp(create_snake_app(store, state, api_key=api_key), {"auth": auth})


SIMULATOR = SnakeSimulator()
