"""The KSS CaseLink system as a server: legacy XML over HTTP, ISO-8859-1, HTTP Basic.

Wire format (what the connector in :mod:`offender_graph_kss.connector` speaks):

- Every call needs HTTP Basic credentials, encoded in ISO-8859-1; a wrong or missing one is
  ``401`` with ``WWW-Authenticate: Basic``. During a maintenance window every call is ``503``
  with ``Retry-After`` (seconds) and a ``<Maintenance>`` body.
- Replies are ``text/xml; charset=ISO-8859-1``; dates are ``yyyyMMdd``, flags ``Y``/``N``,
  names ``Surname, Forename Middle``.
- ``GET /caselink/search?surname=&forename=&born=&page=&size=`` (pages from 1, ``size`` hits
  each, 1 to ``PAGE_SIZE``)
  and ``GET /caselink/lookup?type=CRN|NOMS|PNC|CRO&value=`` answer
  ``<Hits page="1" pages="3"><Hit><CaseRef>KSS000001</CaseRef></Hit>...</Hits>``: case refs only.
- ``POST /caselink/cases`` with ``<Fetch><CaseRef>...</CaseRef>...</Fetch>`` (at most
  ``MAX_BATCH`` refs, else ``413``) answers ``<Cases><Case>...</Case>...</Cases>``, one per ref
  it holds, unknown refs left out. A ``<Case>`` holds its limited-access lists as one element
  per user: ``<Excluded>`` (may not see the case) and ``<RestrictedTo>`` (when any, the only
  users who may).

Each request is counted once under its operation: ``search``, ``lookup``, ``cases`` (refused
calls as ``unauthorised``, windows as ``maintenance``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors import IdentifierKind
from simulators.faults import SimState
from simulators.stores import ProbationCase, SystemStore

CHARSET = "ISO-8859-1"
PAGE_SIZE = 10
MAX_BATCH = 20
Handler = Callable[[Request], Awaitable[Response]]
E = etree.Element


@dataclass
class Maintenance:
    """A maintenance window: while ``open``, every call answers 503 with ``Retry-After``."""

    open: bool = False
    retry_after: int = 300


def xml_reply(root: etree._Element, status: int = 200, **headers: str) -> Response:
    body = etree.tostring(root, encoding=CHARSET, xml_declaration=True)
    return Response(body, status, headers, media_type=f"text/xml; charset={CHARSET}")


def _sub(parent: etree._Element, tag: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, tag).text = value


def _compact(value: date | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def _flag(value: bool) -> str:
    return "Y" if value else "N"


def _name(surname: str | None, forename: str | None, middle: str | None = None) -> str | None:
    if not surname or not forename:
        return None
    return f"{surname}, {' '.join(filter(None, (forename, middle)))}"


def case_xml(case: ProbationCase) -> etree._Element:
    """One case as CaseLink writes it (identifiers as stored, dirt included)."""
    root = E("Case")
    _sub(root, "CaseRef", case.local_id)
    _sub(root, "Name", _name(case.surname, case.forename, case.middle_names))
    for alias in case.aliases:
        _sub(root, "Alias", _name(alias.surname, alias.forename))
    _sub(root, "Born", _compact(case.date_of_birth))
    _sub(root, "Sex", case.gender)
    ids = [("CRN", case.crn), ("NOMS", case.noms_number), ("PNC", case.pnc_number)]
    for kind, value in [*ids, ("CRO", case.cro_number)]:
        if value:
            etree.SubElement(root, "Id", type=kind).text = value
    for tag, users in (("Excluded", case.exclusions), ("RestrictedTo", case.restrictions)):
        for user in users:
            _sub(root, tag, user)
    for row in case.supervisions:
        order = etree.SubElement(root, "Order", id=row.episode_id)
        for tag, value in (("Type", row.kind), ("Licence", row.licence_type)):
            _sub(order, tag, value)
        for tag, value in (("Area", row.probation_region), ("Tier", row.tier)):
            _sub(order, tag, value)
        _sub(order, "Start", _compact(row.start))
        _sub(order, "End", _compact(row.end))
        _sub(order, "Current", _flag(row.active))
    for man in case.managers:
        officer = etree.SubElement(root, "Officer", code=man.staff_code)
        _sub(officer, "Name", _name(man.surname, man.forename))
        for tag, value in (("Role", man.role), ("Team", man.team)):
            _sub(officer, tag, value)
        _sub(officer, "Pdu", man.probation_delivery_unit)
        _sub(officer, "Area", man.probation_region)
        _sub(officer, "Responsible", _flag(man.responsible_officer))
        _sub(officer, "Allocated", _compact(man.allocated_on))
    for reg in case.registrations:
        register = etree.SubElement(root, "Register", type=reg.type)
        for tag, value in (("Code", reg.code), ("Description", reg.description)):
            _sub(register, tag, value)
        for tag, value in (("Level", reg.level), ("Category", reg.category)):
            _sub(register, tag, value)
        _sub(register, "Start", _compact(reg.start))
        _sub(register, "Current", _flag(reg.active))
    return root


def hits_xml(refs: list[str], page: int, pages: int) -> etree._Element:
    root = E("Hits", page=str(page), pages=str(pages))
    for ref in refs:
        _sub(etree.SubElement(root, "Hit"), "CaseRef", ref)
    return root


def _error(status: int, message: str) -> Response:
    root = E("Error")
    root.text = message
    return xml_reply(root, status)


def _credentials_match(header: str, username: str, password: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    try:
        given = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{username}:{password}".encode(CHARSET)
    return scheme.lower() == "basic" and hmac.compare_digest(given, expected)


def create_kss_app(
    store: SystemStore,
    state: SimState,
    *,
    username: str,
    password: str,
    maintenance: Maintenance | None = None,
) -> Starlette:
    """The CaseLink server of one probation store (wrap it in FaultInjection to run it)."""
    window = maintenance or Maintenance()

    def endpoint(operation: str, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            if window.open:
                state.count("maintenance")
                root = E("Maintenance")
                root.text = "CaseLink is down for planned maintenance"
                return xml_reply(root, 503, **{"Retry-After": str(window.retry_after)})
            header = request.headers.get("authorization", "")
            if not _credentials_match(header, username, password):
                state.count("unauthorised")
                reply = _error(401, "authentication required")
                reply.headers["WWW-Authenticate"] = 'Basic realm="CaseLink"'
                return reply
            state.count(operation)
            return await handler(request)

        return wrapped

    def refs(found: Sequence[object]) -> list[str]:
        return [r.local_id for r in found if isinstance(r, ProbationCase)]

    async def search(request: Request) -> Response:
        params = request.query_params
        surname = params.get("surname", "").strip()
        try:
            page, size = int(params.get("page", "1")), int(params.get("size", PAGE_SIZE))
            born = (
                datetime.strptime(params["born"], "%Y%m%d").date() if params.get("born") else None
            )
        except ValueError:
            return _error(400, "page and size must be whole numbers, born yyyyMMdd")
        if not surname or page < 1 or not 1 <= size <= PAGE_SIZE:
            return _error(400, f"surname is required, pages start at 1, size is 1 to {PAGE_SIZE}")
        found = refs(store.search(surname, params.get("forename") or None, born))
        pages = max(1, math.ceil(len(found) / size))
        chunk = found[(page - 1) * size : page * size]
        return xml_reply(hits_xml(chunk, page, pages))

    async def lookup(request: Request) -> Response:
        kind, value = request.query_params.get("type", ""), request.query_params.get("value", "")
        if kind not in ("CRN", "NOMS", "PNC", "CRO") or not value:
            return _error(400, "type must be CRN, NOMS, PNC or CRO, with a value")
        return xml_reply(hits_xml(refs(store.find(IdentifierKind(kind), value)), 1, 1))

    async def cases(request: Request) -> Response:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            asked = [e.text or "" for e in etree.fromstring(await request.body(), parser)]
        except etree.XMLSyntaxError:
            return _error(400, "the request is not XML")
        if len(asked) > MAX_BATCH:
            return _error(413, f"at most {MAX_BATCH} case refs per call")
        root = E("Cases")
        for ref in asked:
            case = store.records.get(ref.strip())
            if isinstance(case, ProbationCase):
                root.append(case_xml(case))
        return xml_reply(root)

    async def not_found(request: Request) -> Response:
        return _error(404, "no such resource")

    return Starlette(
        routes=[
            Route("/caselink/search", endpoint("search", search), methods=["GET"]),
            Route("/caselink/lookup", endpoint("lookup", lookup), methods=["GET"]),
            Route("/caselink/cases", endpoint("cases", cases), methods=["POST"]),
            Route("/{path:path}", endpoint("unknown", not_found)),
        ]
    )
