"""A prison group's system over SOAP 1.1 or 1.2 (document/literal): a small Starlette + lxml server.

``GET /?wsdl`` serves the service description (``simulators/wsdl/prison.wsdl``, the binding and
port of the system's SOAP version) with the server's own URL as its address; ``POST /`` takes an
envelope of that version and dispatches on the body's first element. A legacy system
(``store.batch`` False) has no batch operations, in its WSDL or on the wire. Requests are parsed
without DTDs, entities or network access; a DOCTYPE is refused with a client fault. Given
``wsse=(username, password)``, every request must carry that WS-Security UsernameToken
(``PasswordText`` or ``PasswordDigest``), else a ``wsse:FailedAuthentication`` fault.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.identifiers import IdentifierKind
from simulators.faults import SimState
from simulators.layout import PRISONS, SystemSpec
from simulators.listing import BadCursor, listing_page
from simulators.plugin import SimulatedApp
from simulators.stores import PrisonerRecord, SystemStore

log = logging.getLogger(__name__)

NS = "urn:offender-graph:prison:v1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
SoapVersion = Literal["1.1", "1.2"]
ENVELOPES: dict[str, str] = {"1.1": SOAP_ENV, "1.2": SOAP12_ENV}
CONTENT_TYPES = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
_PORTS = {"1.1": ("PrisonOffenderBinding", "PrisonOffenderPort", "soap"),
          "1.2": ("PrisonOffenderBinding12", "PrisonOffenderPort12", "soap12")}  # fmt: skip
_CODES_12 = {"Client": "Sender", "Server": "Receiver"}
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_TEMPLATE = Path(__file__).parent / "wsdl" / "prison.wsdl"
BATCH_OPERATIONS = frozenset(
    {"FindOffenders", "GetCustodyHistories", "GetMovementsBatch", "GetAlertsBatch"}
)
MAX_BATCH = 100  # items per batch call, as the WSDL's maxOccurs says
MAX_RESULTS = 200  # search results at most
MAX_BODY = 1 << 20  # bytes per request
XML_TYPE = "text/xml; charset=utf-8"
_ADDRESS = "__SOAP_ADDRESS__"
_IDENTIFIER_TYPES = {
    k.value: k for k in (IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO)
}

Element = etree._Element
Handler = Callable[[SystemStore, Element, Element], None]


class SoapFault(Exception):
    """Answer a SOAP Fault: ``code`` is Client, Server or VersionMismatch."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def render_wsdl(batch: bool, title: str, version: SoapVersion = "1.1") -> tuple[bytes, bytes]:
    """The WSDL for a system (its SOAP version's binding and port), split around its address."""
    tree = etree.parse(str(WSDL_TEMPLATE), etree.XMLParser(resolve_entities=False, no_network=True))
    root = tree.getroot()
    ns = {
        "wsdl": WSDL_NS,
        "xs": XS_NS,
        "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
        "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    }
    binding, _, prefix = _PORTS[version]
    for other in (v for v in _PORTS.values() if v[0] != binding):
        for path in (
            f"wsdl:binding[@name='{other[0]}']",
            f"wsdl:service/wsdl:port[@name='{other[1]}']",
        ):
            for node in list(root.iterfind(path, namespaces=ns)):
                root_of = node.getparent()
                if root_of is not None:
                    root_of.remove(node)
    for op in () if batch else BATCH_OPERATIONS:
        for path in (
            f"wsdl:portType/wsdl:operation[@name='{op}']",
            f"wsdl:binding/wsdl:operation[@name='{op}']",
            f"wsdl:message[@name='{op}Request']",
            f"wsdl:message[@name='{op}Response']",
            f"wsdl:types/xs:schema/xs:element[@name='{op}']",
            f"wsdl:types/xs:schema/xs:element[@name='{op}Response']",
        ):
            for node in list(root.iterfind(path, namespaces=ns)):
                parent = node.getparent()
                if parent is not None:
                    parent.remove(node)
    for doc in root.iterfind("wsdl:service/wsdl:documentation", namespaces=ns):
        doc.text = title
    for address in root.iterfind(f"wsdl:service/wsdl:port/{prefix}:address", namespaces=ns):
        address.set("location", _ADDRESS)
    head, _, tail = etree.tostring(tree, xml_declaration=True, encoding="UTF-8").partition(
        quoteattr(_ADDRESS).encode()
    )
    return head, tail


def create_prison_app(
    store: SystemStore,
    state: SimState,
    *,
    soap_version: SoapVersion = "1.1",
    wsse: tuple[str, str] | None = None,
) -> Starlette:
    """The SOAP app of one prison system; wrap it in FaultInjection to serve it. ``wsse``: the
    UsernameToken (username, password) every request must carry."""
    head, tail = render_wsdl(store.batch, store.title, soap_version)
    env, xml_type = ENVELOPES[soap_version], CONTENT_TYPES[soap_version]
    operations = {k: v for k, v in HANDLERS.items() if store.batch or k not in BATCH_OPERATIONS}

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in {key.lower() for key in request.query_params}:
                return Response("GET ?wsdl for the service description\n", 404)
            state.count("WSDL")
            address = quoteattr(str(request.url.replace(query="", fragment=""))).encode()
            return Response(head + address + tail, media_type=XML_TYPE)
        try:
            envelope = _parse(await _read_body(request), env)
            if wsse is not None:
                _check_token(envelope, env, *wsse)
            operation = _operation(envelope, env)
            name = etree.QName(operation)
            handler = operations.get(name.localname) if name.namespace == NS else None
            if handler is None:
                raise SoapFault("Client", f"operation {name.localname} is not offered here")
            state.count(name.localname)
            reply = _envelope(env)
            handler(store, operation, _add(reply[0], f"{name.localname}Response"))
        except SoapFault as fault:
            return _fault(fault.code, fault.message, env)
        except ClientDisconnect:  # the caller gave up (its timeout): nobody to answer
            return Response(status_code=499)
        except Exception:
            log.exception("prison simulator %s failed", store.name)
            return _fault("Server", "internal error", env)
        body = etree.tostring(reply, xml_declaration=True, encoding="UTF-8")
        return Response(body, media_type=xml_type)

    return Starlette(routes=[Route("/", endpoint, methods=["GET", "POST"])])


async def _read_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise SoapFault("Client", "request too large")
    return body


def _parse(body: bytes, env: str) -> Element:
    """A request envelope of namespace ``env``, parsed safely."""
    if b"<!DOCTYPE" in body:  # refused before parsing; the docinfo check below catches the rest
        raise SoapFault("Client", "DTDs are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise SoapFault("Client", "request is not well-formed XML") from None
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise SoapFault("Client", "DTDs are not allowed")
    name = etree.QName(root)
    if name.localname != "Envelope":
        raise SoapFault("Client", "expected a SOAP Envelope")
    if name.namespace != env:
        raise SoapFault("VersionMismatch", "expected an Envelope of this service's SOAP version")
    return root


def _check_token(envelope: Element, env: str, username: str, password: str) -> None:
    """Refuse a request without the WS-Security UsernameToken (text or digest password)."""
    token = envelope.find(f"{{{env}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        raise SoapFault("wsse:InvalidSecurity", "a WS-Security UsernameToken is required")
    given = token.find(f"{{{WSSE}}}Password")
    expected = password
    if given is not None and (given.get("Type") or "").endswith("#PasswordDigest"):
        try:
            nonce = base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce") or "", validate=True)
        except binascii.Error:
            nonce = b""
        created = (token.findtext(f"{{{WSU}}}Created") or "").encode()
        digest = hashlib.sha1(nonce + created + password.encode(), usedforsecurity=False)
        expected = base64.b64encode(digest.digest()).decode()
    if (
        token.findtext(f"{{{WSSE}}}Username") != username
        or given is None
        or not hmac.compare_digest((given.text or "").strip().encode(), expected.encode())
    ):
        raise SoapFault(
            "wsse:FailedAuthentication", "the security token could not be authenticated"
        )


def _operation(root: Element, env: str) -> Element:
    """The operation element: the Body's first child."""
    body_el = root.find(f"{{{env}}}Body")
    children = [] if body_el is None else [c for c in body_el if isinstance(c.tag, str)]
    if not children:
        raise SoapFault("Client", "the SOAP Body is empty")
    return children[0]


def _envelope(env: str) -> Element:
    root = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env, "tns": NS, "wsse": WSSE})
    etree.SubElement(root, f"{{{env}}}Body")
    return root


def _fault(code: str, message: str, env: str) -> Response:
    """A fault: ``code`` is Client, Server, VersionMismatch or a qualified ``wsse:`` code (in SOAP
    1.2 the subcode of Sender)."""
    root = _envelope(env)
    fault = etree.SubElement(root[0], f"{{{env}}}Fault")
    qualified = code if ":" in code else f"soap:{code}"
    if env == SOAP_ENV:
        etree.SubElement(fault, "faultcode").text = qualified
        etree.SubElement(fault, "faultstring").text = message
    else:
        value = etree.SubElement(etree.SubElement(fault, f"{{{env}}}Code"), f"{{{env}}}Value")
        if ":" in code:
            value.text = "soap:Sender"
            sub = etree.SubElement(value.getparent(), f"{{{env}}}Subcode")  # type: ignore[arg-type]
            etree.SubElement(sub, f"{{{env}}}Value").text = code
        else:
            value.text = f"soap:{_CODES_12.get(code, code)}"
        text = etree.SubElement(etree.SubElement(fault, f"{{{env}}}Reason"), f"{{{env}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    media = XML_TYPE if env == SOAP_ENV else CONTENT_TYPES["1.2"]
    return Response(body, status_code=500, media_type=media)


# --- reading requests ------------------------------------------------------------------------


def _texts(request: Element, name: str) -> list[str]:
    return [(child.text or "").strip() for child in request.findall(f"{{{NS}}}{name}")]


def _text(request: Element, name: str, required: bool = True) -> str | None:
    values = _texts(request, name)
    if len(values) > 1:
        raise SoapFault("Client", f"{name} given more than once")
    if not values or not values[0]:
        if required:
            raise SoapFault("Client", f"{name} is required")
        return None
    return values[0]


def _ids(request: Element) -> list[str]:
    ids = _texts(request, "offenderId")
    if not ids or not all(ids):
        raise SoapFault("Client", "offenderId is required")
    if len(ids) > MAX_BATCH:
        raise SoapFault("Client", f"at most {MAX_BATCH} offenderId per call")
    return ids


def _identifier_kind(value: str | None) -> IdentifierKind:
    if value not in _IDENTIFIER_TYPES:
        raise SoapFault("Client", "identifierType must be NOMS, PNC or CRO")
    return _IDENTIFIER_TYPES[value]


def _prisoner(store: SystemStore, local_id: str) -> PrisonerRecord | None:
    record = store.records.get(local_id)
    return record if isinstance(record, PrisonerRecord) else None


def _prisoners(records: Iterable[object]) -> list[PrisonerRecord]:
    return [r for r in records if isinstance(r, PrisonerRecord)]


# --- writing replies -------------------------------------------------------------------------


def _add(parent: Element, name: str, value: str | date | bool | int | None = None) -> Element:
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, date):
        child.text = value.isoformat()
    elif value is not None:
        child.text = str(value)
    return child


def _leaves(parent: Element, **values: str | date | bool | int | None) -> Element:
    for name, value in values.items():
        if value is not None:
            _add(parent, name, value)
    return parent


def _offender(parent: Element, r: PrisonerRecord) -> None:
    el = _leaves(
        _add(parent, "offender"),
        offenderId=r.local_id,
        nomsNumber=r.noms_number,
        pncNumber=r.pnc_number,
        croNumber=r.cro_number,
        firstName=r.forename,
        middleNames=r.middle_names,
        lastName=r.surname,
        dateOfBirth=r.date_of_birth,
        gender=r.gender,
    )
    for alias in r.aliases:
        _leaves(_add(el, "alias"), firstName=alias.forename, lastName=alias.surname)


def _bookings(parent: Element, r: PrisonerRecord | None) -> None:
    for b in r.bookings if r else []:
        el = _leaves(
            _add(parent, "booking"),
            bookingId=b.booking_id,
            bookNumber=b.book_number,
            prisonId=b.prison_id,
            prisonName=PRISONS.get(b.prison_id, b.prison_id),
            activeFlag=b.active,
            inOutStatus=b.in_out,
            legalStatus=b.legal_status,
            bookingBeginDate=b.start,
            bookingEndDate=b.end,
            securityCategory=b.security_category,
            cellLocation=b.cell_location,
        )
        _leaves(
            _add(el, "sentenceDates"),
            sentenceStartDate=b.sentence_start,
            sentenceExpiryDate=b.sentence_expiry,
            conditionalReleaseDate=b.conditional_release,
            licenceExpiryDate=b.licence_expiry,
            releaseDate=b.release,
        )


def _movements(parent: Element, r: PrisonerRecord | None) -> None:
    for m in r.movements if r else []:
        _leaves(
            _add(parent, "movement"),
            movementDate=m.occurred_on,
            movementType=m.movement_type,
            fromAgency=m.from_location,
            toAgency=m.to_location,
            description=m.description,
        )


def _alerts(parent: Element, r: PrisonerRecord | None) -> None:
    for a in r.alerts if r else []:
        _leaves(
            _add(parent, "alert"),
            alertType=a.type,
            alertCode=a.code,
            alertCodeDescription=a.description,
            dateCreated=a.start,
            active=a.active,
        )


# --- operations ------------------------------------------------------------------------------


def find_offender(store: SystemStore, request: Element, reply: Element) -> None:
    kind = _identifier_kind(_text(request, "identifierType"))
    for record in _prisoners(store.find(kind, _text(request, "value") or "")):
        _offender(reply, record)


def find_offenders(store: SystemStore, request: Element, reply: Element) -> None:
    identifiers = request.findall(f"{{{NS}}}identifier")
    if not identifiers or len(identifiers) > MAX_BATCH:
        raise SoapFault("Client", f"between 1 and {MAX_BATCH} identifier elements are required")
    for identifier in identifiers:
        kind = _identifier_kind(_text(identifier, "identifierType"))
        value = _text(identifier, "value") or ""
        match = _add(reply, "match")
        _leaves(match, identifierType=kind.value, value=value)
        for record in _prisoners(store.find(kind, value)):
            _offender(match, record)


def search_offenders(store: SystemStore, request: Element, reply: Element) -> None:
    surname = _text(request, "lastName") or ""
    dob_text = _text(request, "dateOfBirth", required=False)
    limit_text = _text(request, "maxResults", required=False)
    try:
        dob = date.fromisoformat(dob_text) if dob_text else None
        limit = min(MAX_RESULTS, int(limit_text)) if limit_text else MAX_RESULTS
    except ValueError:
        raise SoapFault("Client", "dateOfBirth must be an xs:date, maxResults an xs:int") from None
    if limit < 1:
        raise SoapFault("Client", "maxResults must be positive")
    found = _prisoners(store.search(surname, _text(request, "firstName", False), dob))
    for record in found[:limit]:
        _offender(reply, record)
    _add(reply, "truncated", len(found) > limit)


def list_offenders(store: SystemStore, request: Element, reply: Element) -> None:
    size_text = _text(request, "pageSize", required=False)
    try:
        size = min(MAX_RESULTS, int(size_text)) if size_text else MAX_RESULTS
    except ValueError:
        raise SoapFault("Client", "pageSize must be an xs:int") from None
    if size < 1:
        raise SoapFault("Client", "pageSize must be positive")
    prison, token = _text(request, "prisonId", False), _text(request, "pageToken", False)
    try:
        found, cursor = listing_page(store, prison, None, token, size)
    except BadCursor as exc:
        raise SoapFault("Client", str(exc)) from None
    for record in _prisoners(found):
        _offender(reply, record)
    if cursor is not None:
        _add(reply, "nextPageToken", cursor)


def _single(write: Callable[[Element, PrisonerRecord | None], None]) -> Handler:
    def handler(store: SystemStore, request: Element, reply: Element) -> None:
        write(reply, _prisoner(store, _text(request, "offenderId") or ""))

    return handler


def _batch(item: str, write: Callable[[Element, PrisonerRecord | None], None]) -> Handler:
    def handler(store: SystemStore, request: Element, reply: Element) -> None:
        for local_id in _ids(request):
            record = _prisoner(store, local_id)
            el = _add(reply, item)
            _leaves(el, offenderId=local_id, found=record is not None)
            write(el, record)

    return handler


HANDLERS: dict[str, Handler] = {
    "FindOffender": find_offender,
    "FindOffenders": find_offenders,
    "SearchOffenders": search_offenders,
    "ListOffenders": list_offenders,
    "GetCustodyHistory": _single(_bookings),
    "GetCustodyHistories": _batch("custodyHistory", _bookings),
    "GetMovements": _single(_movements),
    "GetMovementsBatch": _batch("offenderMovements", _movements),
    "GetAlerts": _single(_alerts),
    "GetAlertsBatch": _batch("offenderAlerts", _alerts),
}


@dataclass(frozen=True)
class PrisonSimulator:
    """The ``soap-prison`` simulator plugin: no authentication."""

    dialect: str = "soap-prison"
    kind: str = "CUSTODY"
    systems: tuple[SystemSpec, ...] = ()

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        return SimulatedApp(create_prison_app(store, state), {"auth": {"type": "none"}})


SIMULATOR = PrisonSimulator()
