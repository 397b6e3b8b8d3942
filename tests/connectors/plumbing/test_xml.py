"""XML over HTTP: the hardened parser, the charset rule, the readers and the connector base."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from lxml import etree

from connectors.auth import BasicAuth
from connectors.boundaries import payload_boundary
from connectors.config import RegionConfig
from connectors.errors import (
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.parsing import UK
from connectors.payload import PayloadError
from connectors.records import SystemKind
from connectors.xml import XmlHttpConnector, charset_of, parse_xml
from connectors.xml_readers import (
    Element,
    attribute,
    boolean,
    child,
    children,
    date_of,
    flag,
    opt_child,
    opt_date,
    opt_text,
    text,
)

LATIN1 = "<Case><Surname>MÜLLER</Surname><Forename>Zoë</Forename></Case>"


def test_iso_8859_1_by_the_http_charset() -> None:
    root = parse_xml("r", LATIN1.encode("iso-8859-1"), "application/xml; charset=ISO-8859-1")
    assert text(root, "Surname") == "MÜLLER" and text(root, "Forename") == "Zoë"


def test_iso_8859_1_by_the_xml_declaration() -> None:
    body = f"<?xml version='1.0' encoding='ISO-8859-1'?>{LATIN1}".encode("iso-8859-1")
    assert text(parse_xml("r", body, "text/xml"), "Forename") == "Zoë"


def test_the_http_charset_wins_over_the_declaration() -> None:
    body = f"<?xml version='1.0' encoding='UTF-8'?>{LATIN1}".encode("iso-8859-1")
    assert text(parse_xml("r", body, 'text/xml; charset="iso-8859-1"'), "Forename") == "Zoë"


def test_utf8_by_default_and_bytes_not_in_it_refused() -> None:
    assert text(parse_xml("r", LATIN1.encode()), "Forename") == "Zoë"
    with pytest.raises(UpstreamInvalid, match="not well-formed"):
        parse_xml("r", LATIN1.encode("iso-8859-1"))


def test_charset_of() -> None:
    assert charset_of("text/xml; Charset='windows-1252'; q=1") == "windows-1252"
    assert charset_of("text/xml") is None and charset_of(None) is None
    with pytest.raises(UpstreamInvalid, match="charset"):
        parse_xml("r", b"<a/>", "text/xml; charset=klingon")


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE a><a/>",
        b"<!DOCTYPE a [<!ENTITY x 'boom'>]><a>&x;</a>",
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b"<!DOCTYPE a SYSTEM 'http://evil.test/a.dtd'><a/>",
        b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY l 'l'><!ENTITY l2 '&l;&l;&l;'>]>"
        b"<a>&l2;</a>",
    ],
)
def test_a_doctype_is_refused(body: bytes) -> None:
    with pytest.raises(UpstreamInvalid, match="DOCTYPE"):
        parse_xml("r", body)


@pytest.mark.parametrize("body", [b"", b"<a>", b"<a>&x;</a>", b"not xml", b"{}"])
def test_malformed_xml_is_upstream_invalid(body: bytes) -> None:
    with pytest.raises(UpstreamInvalid, match="not well-formed"):
        parse_xml("r", body)


CASE = parse_xml(
    "r",
    b"""<c:Reply xmlns:c="urn:case"><!-- a comment -->
      <c:Case id="C-1">
        <c:CaseRef> C-1 </c:CaseRef><c:Blank>  </c:Blank><c:DOB>19/03/1984</c:DOB>
        <c:InCustody>true</c:InCustody><c:Released>0</c:Released><c:Flag>Y</c:Flag>
        <c:Alias><c:Name>A</c:Name></c:Alias><c:Alias><c:Name>B</c:Name></c:Alias>
      </c:Case></c:Reply>""",
)


def test_readers_read_what_is_there() -> None:
    case = child(CASE, "Case")
    assert child(CASE, "{urn:case}Case") is case
    assert text(case, "CaseRef") == "C-1"
    assert opt_text(case, "Blank") is None and opt_text(case, "Nothing") is None
    assert date_of(case, "DOB", UK) == date(1984, 3, 19)
    assert opt_date(case, "Blank", UK) is None
    assert boolean(case, "InCustody") is True and boolean(case, "Released") is False
    assert flag(case, "Flag") is True
    assert [text(alias, "Name") for alias in children(case, "Alias")] == ["A", "B"]
    assert children(case, "Missing") == [] and opt_child(case, "Missing") is None
    assert attribute(case, "id") == "C-1"


@pytest.mark.parametrize(
    ("read", "problem"),
    [
        (lambda c: child(c, "Missing"), "element 'Case/Missing' is missing"),
        (lambda c: text(c, "Blank"), "element 'Case/Blank' is missing or empty"),
        (lambda c: text(c, "Alias"), "element 'Case/Alias' appears more than once"),
        (lambda c: date_of(c, "CaseRef", UK), "field 'Case/CaseRef' is not a date"),
        (lambda c: date_of(c, "Blank", UK), "field 'Case/Blank' is missing"),
        (lambda c: boolean(c, "Flag"), "element 'Case/Flag' is not true or false"),
        (lambda c: flag(c, "InCustody"), "element 'Case/InCustody' is not Y or N"),
        (lambda c: attribute(c, "kind"), "attribute 'Case@kind' is missing"),
    ],
)
def test_readers_name_the_element(read: Callable[[Element], object], problem: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(problem)):
        read(child(CASE, "Case"))


def test_text_of_an_element_with_children_is_refused() -> None:
    with pytest.raises(PayloadError, match="element 'Reply/Case' is not text"):
        text(CASE, "Case")


def test_reader_errors_become_upstream_invalid_at_the_payload_boundary() -> None:
    with pytest.raises(UpstreamInvalid, match="Case/Missing") as caught, payload_boundary("r"):
        child(child(CASE, "Case"), "Missing")
    assert isinstance(caught.value.__cause__, PayloadError)


class North(XmlHttpConnector):
    dialect = "xml-north"

    def auth(self) -> httpx.Auth:
        return BasicAuth("gateway", "pw")


def north(handler: httpx.MockTransport) -> North:
    config = RegionConfig("north", "xml-north", SystemKind.CUSTODY, "http://north.test/api/")
    return North(config, transport=handler)


async def test_the_base_sends_with_auth_and_parses_in_the_declared_charset() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/gone"):
            return httpx.Response(404)
        headers = {"Content-Type": "text/xml; charset=ISO-8859-1"}
        return httpx.Response(200, content=LATIN1.encode("iso-8859-1"), headers=headers)

    connector = north(httpx.MockTransport(handle))
    await connector.start()
    root = await connector.xml("GET", "cases/1", params={"full": "Y"})
    assert text(root, "Forename") == "Zoë"
    assert await connector.xml("GET", "cases/gone", not_found=True) is None
    with pytest.raises(UpstreamRejected, match="HTTP 404"):
        await connector.xml("GET", "cases/gone")
    await connector.aclose()
    await connector.aclose()
    assert str(seen[0].url) == "http://north.test/api/cases/1?full=Y"
    assert base64.b64decode(seen[0].headers["Authorization"][6:]) == b"gateway:pw"
    assert "pw" not in repr(connector)


@pytest.mark.parametrize(("status", "error"), [(401, UpstreamAuthFailed), (503, RegionUnavailable)])
async def test_the_base_maps_statuses(status: int, error: type[Exception]) -> None:
    connector = north(httpx.MockTransport(lambda request: httpx.Response(status)))
    with pytest.raises(error):
        await connector.xml("GET", "cases/1")
    await connector.aclose()


async def test_a_doctype_reply_through_the_base_is_refused() -> None:
    body = b"<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>"
    connector = north(httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    with pytest.raises(UpstreamInvalid, match="DOCTYPE"):
        await connector.xml("GET", "cases/1")
    await connector.aclose()


def test_the_parser_does_not_expand_entities_without_a_doctype() -> None:
    assert etree.tostring(parse_xml("r", b"<a>&amp;&lt;</a>")) == b"<a>&amp;&lt;</a>"
