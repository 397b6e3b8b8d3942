"""connectors.http: the status table and the httpx exception boundary, over httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

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
from connectors.http import build_http_client, error_for_status, mapped_http_errors, send
from connectors.records import SystemKind

REGION = "probation-north"
SECRET = "token-Qw83-secret"
CONFIG = RegionConfig(
    name=REGION,
    dialect="rest-camel",
    kind=SystemKind.PROBATION,
    base_url="http://north.test/api/",
    timeout=1.5,
    concurrency=3,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, None),
        (201, None),
        (204, None),
        (400, UpstreamRejected),
        (404, UpstreamRejected),
        (409, UpstreamRejected),
        (422, UpstreamRejected),
        (401, UpstreamAuthFailed),
        (403, UpstreamAuthFailed),
        (429, RegionUnavailable),
        (500, RegionUnavailable),
        (502, RegionUnavailable),
        (503, RegionUnavailable),
        (504, RegionUnavailable),
    ],
)
def test_error_for_status(status: int, expected: type[ConnectorError] | None) -> None:
    error = error_for_status(REGION, httpx.Response(status))
    if expected is None:
        assert error is None
        return
    assert type(error) is expected
    assert error.region == REGION
    assert str(status) in error.public_message


def test_retryable_and_codes_follow_the_taxonomy() -> None:
    unavailable = error_for_status(REGION, httpx.Response(503))
    auth = error_for_status(REGION, httpx.Response(401))
    rejected = error_for_status(REGION, httpx.Response(400))
    assert unavailable is not None and auth is not None and rejected is not None
    assert (unavailable.code, unavailable.retryable) == ("REGION_UNAVAILABLE", True)
    assert (auth.code, auth.retryable) == ("UPSTREAM_AUTH", False)
    assert isinstance(auth, UpstreamRejected)
    assert (rejected.code, rejected.retryable) == ("UPSTREAM_REJECTED", False)


def test_a_redirect_is_not_a_success() -> None:
    assert error_for_status(REGION, httpx.Response(302)) is not None


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=CONFIG.base_url, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda r: httpx.ConnectTimeout("connect timed out", request=r), RegionTimeout),
        (lambda r: httpx.ReadTimeout("read timed out", request=r), RegionTimeout),
        (lambda r: httpx.PoolTimeout("pool timed out", request=r), RegionTimeout),
        (lambda r: httpx.ConnectError("connection refused", request=r), RegionUnavailable),
        (lambda r: httpx.ReadError("connection reset", request=r), RegionUnavailable),
        (lambda r: httpx.RemoteProtocolError("server hung up", request=r), RegionUnavailable),
    ],
)
async def test_transport_errors_are_translated_keeping_the_cause(
    make: Callable[[httpx.Request], Exception], expected: type[ConnectorError]
) -> None:
    raised: list[Exception] = []

    def handler(request: httpx.Request) -> httpx.Response:
        raised.append(make(request))
        raise raised[0]

    async with client_for(handler) as client:
        with pytest.raises(ConnectorError) as caught, mapped_http_errors(REGION):
            await client.get("people", params={"access_token": SECRET})
    assert type(caught.value) is expected
    assert caught.value.region == REGION
    assert caught.value.__cause__ is raised[0]
    assert SECRET not in str(caught.value)
    assert "north.test" not in caught.value.public_message  # no internals for clients


def test_a_connect_error_is_not_reported_as_a_timeout() -> None:
    with pytest.raises(RegionUnavailable) as caught, mapped_http_errors(REGION):
        raise httpx.ConnectError("refused")
    assert not isinstance(caught.value, RegionTimeout)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (503, RegionUnavailable),
        (429, RegionUnavailable),
        (401, UpstreamAuthFailed),
        (404, UpstreamRejected),
    ],
)
async def test_raise_for_status_is_translated_by_status(
    status: int, expected: type[ConnectorError]
) -> None:
    async with client_for(lambda request: httpx.Response(status)) as client:
        with pytest.raises(ConnectorError) as caught, mapped_http_errors(REGION):
            (await client.get("people")).raise_for_status()
    assert type(caught.value) is expected
    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)
    assert caught.value.__cause__.response.status_code == status


def test_foreign_non_httpx_errors_pass_through_untouched() -> None:
    original = KeyError("x")
    with pytest.raises(KeyError) as caught, mapped_http_errors(REGION):
        raise original
    assert caught.value is original


def test_connector_errors_pass_through_untouched() -> None:
    original = UpstreamRejected(REGION, "bad request")
    with pytest.raises(UpstreamRejected) as caught, mapped_http_errors(REGION):
        raise original
    assert caught.value is original


def test_no_error_no_translation() -> None:
    with mapped_http_errors(REGION):
        value = 1 + 1
    assert value == 2


async def test_build_http_client_uses_the_region_config() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "http://elsewhere.test/"})

    async with build_http_client(CONFIG, transport=httpx.MockTransport(handler)) as client:
        assert client.timeout == httpx.Timeout(1.5)
        response = await client.get("people/1")
    assert str(seen[0].url) == "http://north.test/api/people/1"
    assert response.status_code == 302  # redirects are not followed
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("exc", "reused", "expected"),
    [
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True,
         ConnectionDropped),
        (httpx.ReadError("reset"), True, ConnectionDropped),
        (httpx.WriteError("broken pipe"), True, ConnectionDropped),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), False,
         RegionUnavailable),
        (httpx.ReadError("reset"), False, RegionUnavailable),
        (httpx.ConnectError("refused"), True, RegionUnavailable),
        (httpx.ReadTimeout("slow"), True, RegionTimeout),
        (httpx.LocalProtocolError("header too long"), True, UpstreamRejected),
        (httpx.InvalidURL("URL component 'query' too long"), False, UpstreamRejected),
        (httpx.UnsupportedProtocol("ftp"), False, UpstreamRejected),
        (httpx.TooManyRedirects("loop"), False, UpstreamInvalid),
        (httpx.StreamConsumed(), False, UpstreamInvalid),
    ],
)  # fmt: skip
def test_one_mapping_for_every_httpx_error(
    exc: Exception, reused: bool, expected: type[ConnectorError]
) -> None:
    with pytest.raises(ConnectorError) as caught, mapped_http_errors(REGION, lambda: reused):
        raise exc
    assert type(caught.value) is expected
    assert caught.value.__cause__ is exc
    assert caught.value.retry_at_once is (expected is ConnectionDropped)


async def test_send_reads_the_reply_and_maps_what_the_transport_raises() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/down"):
            raise OSError(111, "refused")
        return httpx.Response(200, json={"ok": True})

    async with build_http_client(CONFIG, transport=httpx.MockTransport(handler)) as client:
        response = await send(client, REGION, "GET", "people")
        assert response.json() == {"ok": True}
        with pytest.raises(RegionUnavailable) as caught:
            await send(client, REGION, "GET", "down")
        with pytest.raises(UpstreamRejected) as long_url:
            await send(client, REGION, "GET", "people", params={"q": "x" * 200_000})
    assert type(caught.value) is RegionUnavailable
    assert isinstance(caught.value.__cause__, OSError)
    assert isinstance(long_url.value.__cause__, httpx.InvalidURL)
