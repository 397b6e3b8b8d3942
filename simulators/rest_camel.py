"""The modern probation dialect ("rest-camel", nDelius-like): OAuth2, camelCase JSON, batch calls.

Wire format in brief:

- ``POST /oauth/token`` (form ``grant_type=client_credentials``, client id and secret by HTTP Basic
  or in the form) answers ``{"access_token", "token_type": "bearer", "expires_in"}``.
- Every ``/api/...`` call needs ``Authorization: Bearer <token>``; errors are HTTP statuses with
  ``{"status": 404, "userMessage": "..."}``.
- ``GET /api/v1/offenders?surname=&forename=&dateOfBirth=&page=0&size=50`` pages by page/size.
- ``GET /api/v1/caseload?probationRegion=N03&staffCode=...&cursor=...&size=50`` lists the cases
  of a probation region and/or of an offender manager (every case without either), in offender id
  order: ``{"content": [...], "nextCursor": "..." | null}`` (the cursor is opaque).
- ``POST /api/v1/offenders/identifiers`` and ``POST /api/v1/offenders/{supervisions,managers,
  registrations}`` are batch calls answering one result per requested key, in order.
- ``GET /api/v1/offenders/{offenderId}`` and ``.../{offenderId}/supervisions`` etc. are single
  calls.
- An offender carries its ``offenderManagers`` (as ``.../managers`` serves them), as nDelius's
  offender detail does.
- An offender carries ``currentExclusion`` and ``currentRestriction`` (booleans) and, when either
  is true, ``limitedAccess: {"exclusions": [{"username"}], "restrictions": [{"username"}],
  "exclusionMessage", "restrictionMessage"}``: who may not see the case, and who alone may.

Each request is counted once under its operation (``token``, ``search``, ``caseload``,
``findByIdentifiers``, ``offender``, ``supervisions``, ``managers``, ``registrations``; refused
calls as ``unauthorised``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.identifiers import IdentifierKind
from simulators.faults import SimState
from simulators.layout import PROBATION_REGIONS, SystemSpec
from simulators.listing import BadCursor, listing_page
from simulators.plugin import SimulatedApp
from simulators.stores import (
    ManagerRow,
    ProbationCase,
    RegistrationRow,
    SupervisionRow,
    SystemStore,
)

Handler = Callable[[Request], Awaitable[Response]]
DETAILS = ("supervisions", "managers", "registrations")


class ApiError(Exception):
    """An error answered as ``{"status", "userMessage"}`` with that HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class TokenStore:
    """Bearer tokens issued by this system and when each expires (monotonic seconds)."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        now = time.monotonic()
        self._expiry = {t: e for t, e in self._expiry.items() if e > now}
        token = secrets.token_urlsafe(24)
        self._expiry[token] = now + self.lifetime
        return token

    def valid(self, token: str) -> bool:
        expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.monotonic()

    def revoke_all(self) -> None:
        """Forget every token (as after a server restart); tests use it to force a 401."""
        self._expiry.clear()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "userMessage": message}, status_code=status)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def offender_json(case: ProbationCase) -> dict[str, Any]:
    """A probation case as the camel dialect serves it (identifiers as stored, dirt included)."""
    return {
        "offenderId": case.local_id,
        "crn": case.crn,
        "nomsNumber": case.noms_number,
        "pncNumber": case.pnc_number,
        "croNumber": case.cro_number,
        "firstName": case.forename,
        "middleNames": case.middle_names,
        "surname": case.surname,
        "dateOfBirth": _iso(case.date_of_birth),
        "gender": case.gender,
        "aliases": [{"firstName": a.forename, "surname": a.surname} for a in case.aliases],
        **limited_access_json(case),
        "offenderManagers": [manager_json(r) for r in case.managers],  # as nDelius's detail
    }


EXCLUSION_MESSAGE = "You are excluded from viewing this offender record."
RESTRICTION_MESSAGE = "This is a restricted offender record."


def limited_access_json(case: ProbationCase) -> dict[str, Any]:
    """The case's limited-access flags, as nDelius serves them, with its lists when it has any
    (``limitedAccess``: who is excluded, who alone may see the case; the messages shown)."""
    flags: dict[str, Any] = {
        "currentExclusion": bool(case.exclusions),
        "currentRestriction": bool(case.restrictions),
    }
    if case.exclusions or case.restrictions:
        flags["limitedAccess"] = {
            "exclusions": [{"username": user} for user in case.exclusions],
            "restrictions": [{"username": user} for user in case.restrictions],
            "exclusionMessage": EXCLUSION_MESSAGE if case.exclusions else None,
            "restrictionMessage": RESTRICTION_MESSAGE if case.restrictions else None,
        }
    return flags


def _region(code: str) -> dict[str, str]:
    return {"code": code, "description": PROBATION_REGIONS.get(code, code)}


def supervision_json(row: SupervisionRow) -> dict[str, Any]:
    return {
        "episodeId": row.episode_id,
        "type": row.kind,
        "licenceType": row.licence_type,
        "probationRegion": _region(row.probation_region),
        "startDate": _iso(row.start),
        "endDate": _iso(row.end),
        "active": row.active,
        "tier": row.tier,
    }


def manager_json(row: ManagerRow) -> dict[str, Any]:
    return {
        "staffCode": row.staff_code,
        "forename": row.forename,
        "surname": row.surname,
        "role": row.role,
        "team": {"description": row.team},
        "probationDeliveryUnit": {"description": row.probation_delivery_unit},
        "probationRegion": _region(row.probation_region),
        "responsibleOfficer": row.responsible_officer,
        "allocatedDate": _iso(row.allocated_on),
    }


def registration_json(row: RegistrationRow) -> dict[str, Any]:
    return {
        "type": {"code": row.type, "description": row.description},
        "code": row.code,
        "level": row.level,
        "category": row.category,
        "startDate": _iso(row.start),
        "active": row.active,
    }


def _details(case: ProbationCase, what: str) -> list[dict[str, Any]]:
    if what == "supervisions":
        return [supervision_json(r) for r in case.supervisions]
    if what == "managers":
        return [manager_json(r) for r in case.managers]
    return [registration_json(r) for r in case.registrations]


def create_camel_app(
    store: SystemStore,
    state: SimState,
    *,
    client_id: str,
    client_secret: str,
    token_lifetime: float = 3600.0,
    max_batch: int = 100,
    max_page_size: int = 100,
) -> Starlette:
    """The camel-dialect server of one probation store (wrap it in FaultInjection to run it)."""
    tokens = TokenStore(token_lifetime)

    def case_of(offender_id: str) -> ProbationCase | None:
        record = store.records.get(offender_id)
        return record if isinstance(record, ProbationCase) else None

    def endpoint(operation: str, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not tokens.valid(token.strip()):
                state.count("unauthorised")
                response = _error(401, "missing, unknown or expired access token")
                response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            state.count(operation)
            try:
                return await handler(request)
            except ApiError as exc:
                return _error(exc.status, exc.message)

        return wrapped

    async def token(request: Request) -> Response:
        state.count("token")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                given_id, _, given_secret = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                given_id = given_secret = ""
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not (
            hmac.compare_digest(given_id.encode(), client_id.encode())
            and hmac.compare_digest(given_secret.encode(), client_secret.encode())
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse(
            {
                "access_token": tokens.issue(),
                "token_type": "bearer",
                "expires_in": max(1, math.ceil(token_lifetime)),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def search(request: Request) -> Response:
        params = request.query_params
        surname = params.get("surname", "").strip()
        if not surname:
            raise ApiError(400, "surname is required")
        dob = _date_param(params.get("dateOfBirth"))
        page = _int_param(params.get("page"), 0, "page", 0, 10**6)
        size = _int_param(params.get("size"), 50, "size", 1, max_page_size)
        found = store.search(surname, params.get("forename") or None, dob)
        chunk = found[page * size : (page + 1) * size]
        return JSONResponse(
            {
                "content": [offender_json(c) for c in chunk if isinstance(c, ProbationCase)],
                "page": {
                    "number": page,
                    "size": size,
                    "totalElements": len(found),
                    "totalPages": math.ceil(len(found) / size),
                },
            }
        )

    async def caseload(request: Request) -> Response:
        params = request.query_params
        size = _int_param(params.get("size"), 50, "size", 1, max_page_size)
        region, staff = params.get("probationRegion") or None, params.get("staffCode") or None
        try:
            found, cursor = listing_page(store, region, staff, params.get("cursor"), size)
        except BadCursor as exc:
            raise ApiError(400, str(exc)) from None
        return JSONResponse(
            {
                "content": [offender_json(c) for c in found if isinstance(c, ProbationCase)],
                "nextCursor": cursor,
            }
        )

    async def find_by_identifiers(request: Request) -> Response:
        items = _batch_body(await request.body(), "identifiers", max_batch)
        results = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                raise ApiError(400, "each identifier needs a type and a string value")
            try:
                kind = IdentifierKind(str(item.get("type")))
            except ValueError:
                raise ApiError(400, "identifier type must be CRN, NOMS, PNC or CRO") from None
            found = store.find(kind, item["value"])
            results.append(
                {
                    "type": kind.value,
                    "value": item["value"],
                    "offenders": [offender_json(c) for c in found if isinstance(c, ProbationCase)],
                }
            )
        return JSONResponse({"results": results})

    async def offender(request: Request) -> Response:
        case = case_of(request.path_params["offender_id"])
        if case is None:
            raise ApiError(404, "no offender with that id")
        return JSONResponse(offender_json(case))

    def detail_batch(what: str) -> Handler:
        async def handler(request: Request) -> Response:
            ids = _batch_body(await request.body(), "offenderIds", max_batch)
            if not all(isinstance(i, str) for i in ids):
                raise ApiError(400, "offenderIds must be strings")
            results = []
            for offender_id in ids:
                case = case_of(offender_id)
                results.append(
                    {
                        "offenderId": offender_id,
                        "found": case is not None,
                        what: _details(case, what) if case else [],
                    }
                )
            return JSONResponse({"results": results})

        return handler

    def detail_single(what: str) -> Handler:
        async def handler(request: Request) -> Response:
            offender_id = request.path_params["offender_id"]
            case = case_of(offender_id)
            if case is None:
                raise ApiError(404, "no offender with that id")
            return JSONResponse({"offenderId": offender_id, what: _details(case, what)})

        return handler

    routes = [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/api/v1/offenders", endpoint("search", search), methods=["GET"]),
        Route("/api/v1/caseload", endpoint("caseload", caseload), methods=["GET"]),
        Route(
            "/api/v1/offenders/identifiers",
            endpoint("findByIdentifiers", find_by_identifiers),
            methods=["POST"],
        ),
        *(
            Route(f"/api/v1/offenders/{what}", endpoint(what, detail_batch(what)), methods=["POST"])
            for what in DETAILS
        ),
        Route("/api/v1/offenders/{offender_id}", endpoint("offender", offender), methods=["GET"]),
        *(
            Route(
                f"/api/v1/offenders/{{offender_id}}/{what}",
                endpoint(what, detail_single(what)),
                methods=["GET"],
            )
            for what in DETAILS
        ),
    ]
    app = Starlette(routes=routes)
    app.state.tokens = tokens
    return app


def _batch_body(body: bytes, key: str, max_batch: int) -> list[Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ApiError(400, f"the body needs a list '{key}'")
    if len(items) > max_batch:
        raise ApiError(400, f"at most {max_batch} {key} per call")
    return items


def _date_param(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "dateOfBirth must be an ISO date, e.g. 1980-03-01") from None


def _int_param(value: str | None, default: int, name: str, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}")
    return number


@dataclass(frozen=True)
class CamelSimulator:
    """The ``rest-camel`` simulator plugin: OAuth2 client credentials, fresh for each system."""

    dialect: str = "rest-camel"
    kind: str = "PROBATION"
    systems: tuple[SystemSpec, ...] = ()

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        client_id, client_secret = f"gateway-{store.name}", secrets.token_urlsafe(24)
        app = create_camel_app(store, state, client_id=client_id, client_secret=client_secret)
        auth = {
            "type": "oauth2",
            "token_url": base_url + "oauth/token",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        return SimulatedApp(app, {"auth": auth})


SIMULATOR = CamelSimulator()
