"""The error boundaries: one mapping for HTTP, and a payload boundary that lets bugs through."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import httpx
import pytest
from lxml import etree

from connectors.boundaries import http_boundary, payload_boundary, status_error
from connectors.config import RegionConfig
from connectors.errors import (
    ConnectionDropped,
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.http import error_for_status, mapped_http_errors
from connectors.payload import PayloadError
from connectors.records import SystemKind
from connectors.session import HttpSession, read_json


def session(
    transport: httpx.AsyncBaseTransport | None, base_url: str = "http://r.test/"
) -> HttpSession:
    config = RegionConfig("north", "x", SystemKind.CUSTODY, base_url, timeout=1.0)
    return HttpSession(config, transport=transport)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, UpstreamAuthFailed),
        (403, UpstreamAuthFailed),
        (404, UpstreamRejected),
        (400, UpstreamRejected),
        (422, UpstreamRejected),
        (429, RegionUnavailable),
        (500, RegionUnavailable),
        (503, RegionUnavailable),
    ],
)
async def test_each_status_is_its_error(status: int, error: type[ConnectorError]) -> None:
    http = session(httpx.MockTransport(lambda request: httpx.Response(status)))
    with pytest.raises(error) as caught:
        await http.request("GET", "/x")
    assert type(caught.value) is error
    assert caught.value.region == "north"
    await http.aclose()


def test_success_statuses_are_no_error_and_http_py_shares_the_mapping() -> None:
    assert status_error("r", 200) is None and status_error("r", 204) is None
    assert isinstance(status_error("r", 302), UpstreamRejected)
    assert mapped_http_errors is http_boundary
    assert type(error_for_status("r", httpx.Response(429))) is RegionUnavailable


async def test_404_is_not_found_when_the_caller_says_so() -> None:
    http = session(httpx.MockTransport(lambda request: httpx.Response(404)))
    assert (await http.request("GET", "/x", not_found=True)).status_code == 404
    assert await http.json("GET", "/x", not_found=True) is None
    await http.aclose()


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectTimeout("t"), RegionTimeout),
        (httpx.ReadTimeout("t"), RegionTimeout),
        (httpx.ConnectError("refused"), RegionUnavailable),
        (httpx.RemoteProtocolError("dropped"), RegionUnavailable),
        (httpx.ReadError("reset"), RegionUnavailable),
        (httpx.UnsupportedProtocol("ftp"), UpstreamRejected),
    ],
)
async def test_transport_failures_are_mapped(raised: Exception, error: type[Exception]) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise raised

    http = session(httpx.MockTransport(handle))
    with pytest.raises(error) as caught:
        await http.request("GET", "/x")
    assert type(caught.value) is error and caught.value.__cause__ is raised
    await http.aclose()


def test_a_dropped_pooled_connection_is_retry_at_once() -> None:
    with pytest.raises(ConnectionDropped), http_boundary("r", reused=lambda: True):
        raise httpx.RemoteProtocolError("closed")


async def test_a_refused_connection_on_a_real_socket() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = session(None, f"http://127.0.0.1:{port}/")
    with pytest.raises(RegionUnavailable) as caught:
        await http.request("GET", "/x")
    assert type(caught.value) is RegionUnavailable
    await http.aclose()


def reader_refusing() -> None:
    raise PayloadError("field 'x' is missing")


@pytest.mark.parametrize(
    "raise_it",
    [
        lambda: reader_refusing(),
        lambda: json.loads("{nope"),
        lambda: etree.fromstring(b"<a>"),
        lambda: b"\xff".decode("utf-8"),
    ],
)
def test_the_payload_boundary_maps_payload_errors(raise_it: Callable[[], object]) -> None:
    with pytest.raises(UpstreamInvalid) as caught, payload_boundary("north"):
        raise_it()
    assert caught.value.region == "north"


def test_the_payload_boundary_keeps_the_field_name_not_the_value() -> None:
    with pytest.raises(UpstreamInvalid, match="field 'DOB' is not a date"), payload_boundary("r"):
        raise PayloadError("field 'DOB' is not a date (dd/MM/yyyy)")


@pytest.mark.parametrize("bug", [TypeError("bug"), AttributeError("bug"), KeyError("bug")])
def test_the_payload_boundary_lets_bugs_through(bug: Exception) -> None:
    with pytest.raises(type(bug)), payload_boundary("r"):
        raise bug


def test_a_plain_value_error_is_not_a_payload_error() -> None:
    with pytest.raises(ValueError, match="bug"), payload_boundary("r"):
        raise ValueError("bug")


async def test_json_replies_read_under_the_payload_boundary() -> None:
    replies = iter([b'{"a": 1}', b"<html>", b"[" * 100_000])
    http = session(httpx.MockTransport(lambda request: httpx.Response(200, content=next(replies))))
    assert await http.json("GET", "/x") == {"a": 1}
    with pytest.raises(UpstreamInvalid, match="not JSON"):
        await http.json("GET", "/x")
    with pytest.raises(UpstreamInvalid):
        await http.json("GET", "/x")
    await http.aclose()
    assert read_json("r", '{"é": 1}'.encode("utf-16")) == {"é": 1}
