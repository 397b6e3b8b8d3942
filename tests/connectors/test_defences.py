"""Defences against broken or hostile regions, shared by every dialect: the reply size cap (on the
wire and decoded), large SOAP replies parsed off the event loop, and WSDL imports from the region
only. Real sockets where the wire matters; httpx.MockTransport elsewhere."""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from connectors import soap_base
from connectors.base import PersonSearch
from connectors.config import AuthConfig
from connectors.errors import ConnectorError, UpstreamInvalid
from connectors.http import ACCEPT_ENCODING, build_http_client, send
from connectors.rest_camel import CamelProbationConnector
from connectors.rest_snake import SnakeProbationConnector
from connectors.soap import SoapPrisonConnector
from connectors.soap_transport import StatusCheckedTransport
from simulators.server import ServerGroup, free_port
from tests.connectors.test_soap import ENV, WSDL, config, xml
from tests.fixtures.rest.cases import camel_config, snake_config

MIB = 1024 * 1024
BOMB = gzip.compress(b"\0" * (50 * MIB), compresslevel=9)  # ~50 KB on the wire
EMPTY_SNAKE = b'{"RESULTS": [], "NEXT": null}'
EMPTY_SEARCH = ENV.format("<p:SearchOffendersResponse><p:truncated>false</p:truncated>"
                          "</p:SearchOffendersResponse>")  # fmt: skip


def too_large(n: int) -> str:
    return f"region sent a reply larger than {n} bytes"


# --- a region on a real socket that answers what the test asks --------------------------------
@dataclass
class Region:
    url: str
    reply: tuple[bytes, dict[str, str], bool] = (b"", {}, False)  # body, headers, stream it
    seen: list[str] = field(default_factory=list)

    def answer(self, body: bytes, streamed: bool = False, **headers: str) -> None:
        self.reply = (body, headers, streamed)


@pytest.fixture(scope="module")
def region() -> Iterator[Region]:
    holder: list[Region] = []

    async def any_path(request: Request) -> Response:
        state = holder[0]
        state.seen.append(f"{request.method} {request.url.path}?{request.url.query}")
        if request.method == "GET" and "wsdl" in request.url.query:
            head, tail = WSDL[True]
            return Response(head + f'"{state.url}"'.encode() + tail, media_type="text/xml")
        body, headers, streamed = state.reply
        if streamed:  # no Content-Length: only counting the body can stop it

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(body), 16 * 1024):
                    yield body[i : i + 16 * 1024]

            return StreamingResponse(chunks(), headers=headers)
        return Response(body, headers=headers)

    app = Starlette(routes=[Route("/{path:path}", any_path, methods=["GET", "POST"])])
    with ServerGroup([(app, free_port())]) as group:
        holder.append(Region(group.urls()[0]))
        yield holder[0]


Call = Callable[[], Awaitable[object]]


async def on_each_dialect(
    region: Region, max_bytes: int, use: Callable[[str, Call], Awaitable[None]]
) -> None:
    """Run ``use(dialect, search)`` for a snake and a SOAP connector of ``region``."""
    snake = SnakeProbationConnector(replace(snake_config(region.url), max_reply_bytes=max_bytes))
    prison = SoapPrisonConnector(replace(config(region.url), max_reply_bytes=max_bytes))
    try:
        await prison.start()
        await use("rest-snake", lambda: snake.search_people(PersonSearch("Smith")))
        await use("soap-prison", lambda: prison.search_people(PersonSearch("Smith")))
    finally:
        await snake.aclose()
        await prison.aclose()


async def test_a_gzip_bomb_is_cut_at_the_cap_without_inflating_it(region: Region) -> None:
    region.answer(BOMB, False, **{"content-encoding": "gzip", "content-type": "text/xml"})
    peaks: dict[str, int] = {}

    async def use(dialect: str, search: Call) -> None:
        tracemalloc.start()
        try:
            with pytest.raises(UpstreamInvalid) as info:
                await search()
            peaks[dialect] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert info.value.public_message == too_large(8 * MIB)
        assert info.value.region in ("probation-snake", "prison-test")

    await on_each_dialect(region, 8 * MIB, use)
    assert len(BOMB) < 100_000
    assert set(peaks) == {"rest-snake", "soap-prison"}
    assert all(peak < 24 * MIB for peak in peaks.values()), peaks  # not 50 MB


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_an_oversize_plain_body_is_upstream_invalid(region: Region, streamed: bool) -> None:
    region.answer(b" " * 300_000, streamed, **{"content-type": "text/xml"})

    async def use(dialect: str, search: Call) -> None:
        with pytest.raises(UpstreamInvalid) as info:
            await search()
        assert info.value.public_message == too_large(200_000)

    await on_each_dialect(region, 200_000, use)


async def test_compressed_replies_within_the_cap_are_read(region: Region) -> None:
    results: dict[str, object] = {}

    async def use(dialect: str, search: Call) -> None:
        body = EMPTY_SNAKE if dialect == "rest-snake" else EMPTY_SEARCH.encode()
        region.answer(zlib.compress(body), False, **{"content-encoding": "deflate"})
        results[dialect] = await search()

    await on_each_dialect(region, 64 * 1024, use)
    assert results == {"rest-snake": [], "soap-prison": []}


@pytest.mark.parametrize(("extra", "fits"), [(0, True), (-1, False)])
async def test_the_cap_is_inclusive(region: Region, extra: int, fits: bool) -> None:
    cap = len(EMPTY_SNAKE) + extra
    region.answer(EMPTY_SNAKE, True, **{"content-type": "application/json"})
    snake = SnakeProbationConnector(replace(snake_config(region.url), max_reply_bytes=cap))
    try:
        if fits:
            assert await snake.search_people(PersonSearch("Smith")) == []
        else:
            with pytest.raises(UpstreamInvalid, match=too_large(cap)):
                await snake.search_people(PersonSearch("Smith"))
    finally:
        await snake.aclose()


class Untouched(httpx.AsyncByteStream):
    """A body that records whether anyone read it."""

    def __init__(self) -> None:
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield b"x"


async def test_a_content_length_over_the_cap_is_refused_before_reading() -> None:
    body = Untouched()
    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, headers={"content-length": "999999999"}, stream=body)
    )
    cfg = replace(snake_config("http://snake.test/"), max_reply_bytes=1000)
    async with build_http_client(cfg, transport=transport) as http:
        with pytest.raises(UpstreamInvalid) as info:
            await send(http, cfg.name, "GET", "/x")
    assert info.value.public_message == too_large(1000)
    assert body.read is False


async def test_an_encoding_not_asked_for_is_upstream_invalid() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"\x1b\x00", headers={"content-encoding": "br"})

    cfg = snake_config("http://snake.test/")
    connector = SnakeProbationConnector(cfg, transport=httpx.MockTransport(handler))
    with pytest.raises(UpstreamInvalid) as info:
        await connector.search_people(PersonSearch("Smith"))
    assert info.value.public_message == "region sent a body in an encoding it was not asked for"
    assert seen[0].headers["accept-encoding"] == ACCEPT_ENCODING == "gzip, deflate"


async def test_the_oauth_token_reply_is_capped_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BOMB, headers={"content-encoding": "gzip"})

    cfg = replace(camel_config("http://camel.test/"), max_reply_bytes=MIB)
    connector = CamelProbationConnector(cfg, transport=httpx.MockTransport(handler))
    with pytest.raises(UpstreamInvalid) as info:
        await connector.search_people(PersonSearch("Smith"))
    assert info.value.public_message == too_large(MIB)


# --- large SOAP replies are parsed in a worker thread -------------------------------------------
PERSON = (
    "<p:offender><p:offenderId>{n}</p:offenderId><p:nomsNumber>A1234AA</p:nomsNumber>"
    "<p:firstName>John</p:firstName><p:middleNames>Paul Peter</p:middleNames>"
    "<p:lastName>Smith</p:lastName><p:dateOfBirth>1980-03-01</p:dateOfBirth>"
    "<p:gender>Male</p:gender><p:alias><p:firstName>Jon</p:firstName>"
    "<p:lastName>Smyth</p:lastName></p:alias></p:offender>"
)


def search_reply(people: int) -> httpx.Response:
    offenders = "".join(PERSON.format(n=n) for n in range(people))
    body = f"<p:SearchOffendersResponse>{offenders}<p:truncated>false</p:truncated>"
    return xml(200, ENV.format(body + "</p:SearchOffendersResponse>"))


def soap_region(reply: httpx.Response) -> SoapPrisonConnector:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return reply
        head, tail = WSDL[True]
        return httpx.Response(200, content=head + b'"http://region.test/"' + tail)

    cfg = replace(config("http://region.test/"), max_reply_bytes=64 * MIB)
    return SoapPrisonConnector(cfg, transport=httpx.MockTransport(handler))


async def longest_pause_while(work: Awaitable[object]) -> tuple[object, float]:
    """Await ``work`` while a ticker sleeps 10 ms at a time; the longest gap between its ticks."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    try:
        result = await work
    finally:
        done.set()
        await task
    return result, max(gaps)


@pytest.fixture
def to_thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = asyncio.to_thread

    async def spy(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", "?"))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", spy)  # as connectors.soap_base calls it
    return calls


async def test_a_large_reply_does_not_block_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, to_thread_calls: list[str]
) -> None:
    connector = soap_region(search_reply(6000))
    await connector.start()
    to_thread_calls.clear()
    try:
        monkeypatch.setattr(soap_base, "PARSE_INLINE_BYTES", 10**9)  # inline: the loop stalls
        inline, blocked = await longest_pause_while(connector.search_people(PersonSearch("S")))
        assert to_thread_calls == []
        monkeypatch.setattr(soap_base, "PARSE_INLINE_BYTES", 64 * 1024)
        # The least of three tries: a busy machine can pause any process once, a blocked loop
        # pauses every time.
        tries = [await longest_pause_while(connector.search_people(PersonSearch("S")))]
        tries += [await longest_pause_while(connector.search_people(PersonSearch("S")))]
        tries += [await longest_pause_while(connector.search_people(PersonSearch("S")))]
        threaded, pause = min(tries, key=lambda t: t[1])
        assert to_thread_calls == ["process"] * 3
    finally:
        await connector.aclose()
    assert isinstance(threaded, list) and len(threaded) == 6000 and threaded == inline
    assert blocked > 0.3, "the reply is too small to show anything"
    assert pause < blocked / 3, (pause, blocked)


async def test_a_small_reply_is_parsed_inline(to_thread_calls: list[str]) -> None:
    connector = soap_region(search_reply(3))
    await connector.start()
    to_thread_calls.clear()
    try:
        found = await connector.search_people(PersonSearch("Smith"))
    finally:
        await connector.aclose()
    assert [p.local_id for p in found] == ["0", "1", "2"]
    assert to_thread_calls == []


# --- WSDL imports only from the region's own base URL ------------------------------------------
SCHEMA_OPEN = b'<xs:schema targetNamespace="urn:offender-graph:prison:v1" elementFormDefault'
EXTRA = (
    b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:extra">'
    b'<xs:simpleType name="Code"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>'
)
BASE = "http://region.test/prison/"


def importing(location: str, extra: bytes = EXTRA) -> tuple[SoapPrisonConnector, list[str]]:
    """A connector whose WSDL (at BASE?wsdl) imports ``location``; the requests it made."""
    seen: list[str] = []
    head, tail = WSDL[True]
    schema = head.index(SCHEMA_OPEN)
    schema = head.index(b">", schema) + 1
    imp = f'<xs:import namespace="urn:extra" schemaLocation="{location}"/>'.encode()
    wsdl = head[:schema] + imp + head[schema:] + f'"{BASE}"'.encode() + tail

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.query == b"wsdl":
            return httpx.Response(200, content=wsdl)
        if request.method == "GET":
            return httpx.Response(200, content=extra)
        return xml(200, EMPTY_SEARCH)

    cfg = replace(config(BASE), max_reply_bytes=64 * 1024, auth=AuthConfig())
    return SoapPrisonConnector(cfg, transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(
    "location",
    [
        "/etc/passwd",
        "file:///etc/passwd",
        "file:/etc/passwd",
        "http://other.example/x.xsd",
        "https://region.test/prison/x.xsd",  # another scheme is another origin
        "http://region.test/elsewhere/x.xsd",
        "../x.xsd",
        "//other.example/x.xsd",
        "~/x.xsd",
        "C:\\schemas\\x.xsd",
        "",
    ],
)
async def test_imports_from_outside_the_base_url_are_refused(location: str) -> None:
    connector, seen = importing(location)
    with pytest.raises(UpstreamInvalid) as info:
        await connector.start()
    assert info.value.public_message == (
        "region's WSDL imports a document from outside the region's base URL"
    )
    assert seen == [BASE + "?wsdl"]  # nothing else was fetched
    assert connector._service is None


@pytest.mark.parametrize("location", ["extra.xsd", "types/extra.xsd", BASE + "extra.xsd"])
async def test_imports_under_the_base_url_are_fetched_through_the_connector(
    location: str,
) -> None:
    connector, seen = importing(location)
    try:
        assert await connector.search_people(PersonSearch("Smith")) == []
    finally:
        await connector.aclose()
    assert seen[:2] == [BASE + "?wsdl", httpx.URL(BASE).join(location).__str__()]
    assert seen[2:] == [BASE]  # the call itself


async def test_an_oversize_import_is_upstream_invalid() -> None:
    connector, _ = importing("extra.xsd", extra=b" " * 100_000)
    with pytest.raises(UpstreamInvalid) as info:
        await connector.start()
    assert info.value.public_message == too_large(64 * 1024)


def test_zeep_reads_only_prefetched_documents() -> None:
    http = httpx.AsyncClient()
    transport = StatusCheckedTransport("prison-test", http, {BASE: b"<x/>"})
    assert transport.load(BASE) == b"<x/>"
    for url in ("/etc/passwd", "file:///etc/passwd", "http://other.example/x.xsd"):
        with pytest.raises(UpstreamInvalid) as info:
            transport.load(url)
        assert info.value.public_message == (
            "region's WSDL refers to a document the gateway did not fetch"
        )
    assert isinstance(info.value, ConnectorError)
