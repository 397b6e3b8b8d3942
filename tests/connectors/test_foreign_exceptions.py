"""Only ConnectorError subclasses leave a connector for a failure of the region: every foreign
exception (each concrete httpx exception, zeep, lxml, json, Unicode, ValueError, RecursionError,
OSError), raised from the transport or from the parsing step, becomes one exact connector error.
Every dialect draws the line of the error boundaries (connectors.boundaries, and for SOAP
connectors.soap_reply): what is not an httpx, socket, SOAP fault or payload error is a bug there
and propagates as itself (clients see INTERNAL_ERROR, not UPSTREAM_INVALID)."""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import zeep.exceptions
from lxml import etree

from connectors import session, soap_mapping
from connectors.base import Capability, Connector, PersonListing, PersonSearch
from connectors.config import AuthConfig
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind
from connectors.rest_camel import CamelProbationConnector
from connectors.rest_snake import SnakeProbationConnector
from connectors.soap import SoapPrisonConnector
from tests.connectors.test_soap import ENV, WSDL, config, xml
from tests.fixtures.rest.cases import camel_config, snake_config

Make = Callable[[httpx.Request], BaseException]
Call = Callable[[], Awaitable[object]]
TOKEN = {"access_token": "t", "token_type": "bearer", "expires_in": 300}
SEARCH = ENV.format(
    "<p:SearchOffendersResponse><p:truncated>false</p:truncated></p:SearchOffendersResponse>"
)


def httpx_leaves() -> Iterator[type[Exception]]:
    """Every concrete exception class httpx exports (the ones nothing else derives from)."""
    classes = [c for c in vars(httpx).values() if isinstance(c, type) and issubclass(c, Exception)]
    for cls in classes:
        if not any(other is not cls and issubclass(other, cls) for other in classes):
            yield cls


def make_httpx(cls: type[Exception]) -> Make:
    def make(request: httpx.Request) -> BaseException:
        if cls is httpx.HTTPStatusError:
            return cls("boom", request=request, response=httpx.Response(503, request=request))
        if "request" in inspect.signature(cls.__init__).parameters:
            return cls("boom", request=request)  # type: ignore[call-arg]
        return cls() if issubclass(cls, httpx.StreamError) else cls("boom")  # type: ignore[call-arg]

    return make


def xml_syntax_error() -> BaseException:
    try:
        etree.fromstring(b"<unclosed>")
    except etree.XMLSyntaxError as exc:
        return exc
    raise AssertionError("lxml parsed an unclosed element")


def zeep_error(name: str, *args: object, **kwargs: object) -> BaseException:
    error: BaseException = getattr(zeep.exceptions, name)(*args, **kwargs)
    return error


HTTPX_EXPECTED: dict[str, type[ConnectorError]] = {
    "ConnectTimeout": RegionTimeout,
    "ReadTimeout": RegionTimeout,
    "WriteTimeout": RegionTimeout,
    "PoolTimeout": RegionTimeout,
    "ConnectError": RegionUnavailable,
    "ReadError": RegionUnavailable,  # on a fresh connection (reused: ConnectionDropped)
    "WriteError": RegionUnavailable,
    "CloseError": RegionUnavailable,
    "ProxyError": RegionUnavailable,
    "RemoteProtocolError": RegionUnavailable,
    "HTTPStatusError": RegionUnavailable,  # by its response's status: 503
    "LocalProtocolError": UpstreamRejected,  # a request the gateway built badly
    "UnsupportedProtocol": UpstreamRejected,
    "InvalidURL": UpstreamRejected,
    "DecodingError": UpstreamInvalid,
    "TooManyRedirects": UpstreamInvalid,
    "CookieConflict": UpstreamInvalid,
    "StreamConsumed": UpstreamInvalid,
    "StreamClosed": UpstreamInvalid,
    "ResponseNotRead": UpstreamInvalid,
    "RequestNotRead": UpstreamInvalid,
}
OTHERS: dict[str, tuple[Make, type[ConnectorError]]] = {
    "OSError": (lambda r: OSError(104, "reset"), RegionUnavailable),
    "ValueError": (lambda r: ValueError("bad"), UpstreamInvalid),
    "RecursionError": (lambda r: RecursionError("deep"), UpstreamInvalid),
    "JSONDecodeError": (lambda r: json.JSONDecodeError("bad", "{", 0), UpstreamInvalid),
    "UnicodeDecodeError": (
        lambda r: UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        UpstreamInvalid,
    ),
    "XMLSyntaxError": (lambda r: xml_syntax_error(), UpstreamInvalid),
    "zeep Fault": (lambda r: zeep_error("Fault", "x", code="soap:Server"), UpstreamInvalid),
    "zeep XMLParseError": (lambda r: zeep_error("XMLParseError", "x"), UpstreamInvalid),
    "zeep TransportError": (lambda r: zeep_error("TransportError", "x"), UpstreamInvalid),
}
REST = ("rest-snake", "rest-camel")
PAYLOAD = ("JSONDecodeError", "UnicodeDecodeError", "XMLSyntaxError", "RecursionError")
RAISED: dict[str, tuple[Make, type[ConnectorError]]] = {
    **{c.__name__: (make_httpx(c), HTTPX_EXPECTED[c.__name__]) for c in httpx_leaves()},
    **OTHERS,
}


def test_every_concrete_httpx_exception_is_enumerated() -> None:
    assert {c.__name__ for c in httpx_leaves()} == set(HTTPX_EXPECTED)


def connector(dialect: str, fail: Callable[[httpx.Request], httpx.Response]) -> Connector:
    """A connector whose region answers its set-up (WSDL, token) and ``fail``s every data call."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json=TOKEN)
        if request.url.query == b"wsdl":
            head, tail = WSDL[True]
            return httpx.Response(200, content=head + b'"http://region.test/"' + tail)
        return fail(request)

    transport = httpx.MockTransport(handler)
    if dialect == "rest-snake":
        return SnakeProbationConnector(snake_config("http://region.test/"), transport=transport)
    if dialect == "rest-camel":
        return CamelProbationConnector(camel_config("http://region.test/"), transport=transport)
    cfg = replace(config("http://region.test/"), auth=AuthConfig())
    return SoapPrisonConnector(cfg, transport=transport)


DIALECTS = ["rest-snake", "rest-camel", "soap-prison"]
NOMS = Identifier(IdentifierKind.NOMS, "A1234AA")
ARGS: dict[Capability, object] = {
    Capability.FIND_BY_IDENTIFIERS: [NOMS, Identifier(IdentifierKind.CRO, "29906/12J")],
    Capability.SEARCH_PEOPLE: PersonSearch("Smith"),
    Capability.LIST_PEOPLE: PersonListing(location="MDI"),
}


def calling(method: Callable[[object], Awaitable[object]], arg: object) -> Call:
    return lambda: method(arg)


async def outcomes(target: Connector) -> dict[str, set[type]]:
    """Per method: the classes it raised, or of the per-key errors it returned."""
    seen: dict[str, set[type]] = {}
    calls: dict[str, Call] = {"start": target.start}
    for capability in sorted(target.capabilities):
        method = getattr(target, capability.value)
        calls[capability.value] = calling(method, ARGS.get(capability, ["1", "2"]))
    for name, call in calls.items():
        try:
            result = await call()
        except BaseException as exc:
            seen[name] = {type(exc)}
        else:
            items = result if isinstance(result, list) else [result]
            seen[name] = {type(r) for r in items}
    return seen


@asynccontextmanager
async def closing(target: Connector) -> Any:
    try:
        yield target
    finally:
        await target.aclose()


@pytest.mark.parametrize("failure", RAISED)
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_foreign_exception_from_the_transport_is_one_connector_error(
    dialect: str, failure: str
) -> None:
    make, expected = RAISED[failure]
    if failure in OTHERS and failure != "OSError":  # a bug: propagates
        expected = type(make(httpx.Request("GET", "http://region.test/")))  # type: ignore[assignment]

    def fail(request: httpx.Request) -> httpx.Response:
        raise make(request)

    async with closing(connector(dialect, fail)) as target:
        seen = await outcomes(target)
    assert seen.pop("start") == {type(None)}
    assert seen and all(classes == {expected} for classes in seen.values()), seen


PARSE_FAILURES = {name: make for name, (make, _) in OTHERS.items() if name not in ("OSError",)} | {
    "OSError": lambda r: OSError("disk")
}


@pytest.mark.parametrize("failure", PARSE_FAILURES)
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_foreign_exception_from_parsing_is_upstream_invalid(
    dialect: str, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exc = PARSE_FAILURES[failure](httpx.Request("GET", "http://region.test/"))

    def parse(*args: object) -> Any:
        raise exc

    if dialect == "soap-prison":  # inside zeep's reply processing (the ingress plugin)
        monkeypatch.setattr(soap_mapping, "check_reply", parse)
        body = xml(200, SEARCH)
    else:
        monkeypatch.setattr(session, "jsonlib", types.SimpleNamespace(loads=parse))
        body = httpx.Response(200, json={})
    async with closing(connector(dialect, lambda r: body)) as target:
        seen = await outcomes(target)
    seen.pop("start")
    expected: type[BaseException] = UpstreamInvalid
    if dialect in REST and failure not in PAYLOAD:  # not a payload error: a bug, propagates
        expected = type(exc)
    if dialect == "soap-prison" and failure in ("ValueError", "RecursionError", "OSError"):
        expected = type(exc)  # not a payload error: a bug, propagates
    if dialect == "soap-prison" and failure == "zeep Fault":
        expected = RegionUnavailable  # a server fault is the region's own failure
    assert seen and all(classes == {expected} for classes in seen.values()), seen


@pytest.mark.parametrize(
    ("dialect", "body"),
    [
        ("rest-snake", b"[" * 100_000 + b"]" * 100_000),  # RecursionError in json
        ("rest-camel", b"[" * 100_000 + b"]" * 100_000),
        ("rest-snake", b'{"RESULTS": "\xff\xfe"}'),  # not UTF-8
        ("rest-camel", b'{"results": [\x00'),
        ("soap-prison", ("<a>" * 5000 + "</a>" * 5000).encode()),  # deeper than lxml allows
        ("soap-prison", b'<?xml version="1.0" encoding="utf-8"?><x>\xff</x>'),
    ],
)
async def test_hostile_payloads_are_upstream_invalid(dialect: str, body: bytes) -> None:
    reply = httpx.Response(200, content=body, headers={"content-type": "text/xml"})
    async with closing(connector(dialect, lambda r: reply)) as target:
        seen = await outcomes(target)
    seen.pop("start")
    assert seen and all(classes == {UpstreamInvalid} for classes in seen.values()), seen


@pytest.mark.parametrize("dialect", ["rest-snake", "rest-camel"])
async def test_a_name_too_long_for_a_url_is_the_gateways_bad_request(dialect: str) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    async with closing(connector(dialect, answer)) as target:
        with pytest.raises(UpstreamRejected) as info:
            await target.search_people(PersonSearch("x" * 200_000))
    assert type(info.value) is UpstreamRejected
    assert info.value.public_message == "the gateway could not send this request"
    assert [r for r in sent if not r.url.path.endswith("/oauth/token")] == []


async def test_a_long_name_in_a_soap_body_is_sent() -> None:
    sent: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(len(request.content))
        return xml(200, SEARCH)

    async with closing(connector("soap-prison", answer)) as target:
        assert await target.search_people(PersonSearch("x" * 200_000)) == []
    assert sent and sent[0] > 200_000
