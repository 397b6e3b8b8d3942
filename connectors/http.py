"""The one boundary where httpx meets our error taxonomy, and how connectors build their clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from connectors.config import RegionConfig
from connectors.errors import (
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)


def build_http_client(
    config: RegionConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.AsyncClient:
    """An httpx client for one region: its base URL, timeout and connection limits."""
    return httpx.AsyncClient(
        base_url=config.base_url,
        timeout=httpx.Timeout(config.timeout),
        limits=httpx.Limits(
            max_connections=config.concurrency, max_keepalive_connections=config.concurrency
        ),
        transport=transport,
        auth=auth,
        follow_redirects=False,
    )


def error_for_status(region: str, response: httpx.Response) -> ConnectorError | None:
    """The connector error an HTTP status means, or None for a success (2xx)."""
    status = response.status_code
    if status < 300:
        return None
    if status in (401, 403):
        return UpstreamAuthFailed(region, f"region refused the gateway's credentials ({status})")
    if status == 429 or status >= 500:
        return RegionUnavailable(region, f"region answered HTTP {status}")
    return UpstreamRejected(region, f"region rejected the request (HTTP {status})")


@contextmanager
def mapped_http_errors(region: str) -> Iterator[None]:
    """Translate httpx transport exceptions into connector errors, keeping the cause."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise RegionTimeout(region, "region did not answer in time") from exc
    except httpx.TransportError as exc:
        raise RegionUnavailable(region, "region could not be reached") from exc
    except httpx.HTTPStatusError as exc:
        error = error_for_status(region, exc.response)
        raise (error or RegionUnavailable(region, "unexpected HTTP status")) from exc
    except httpx.DecodingError as exc:
        raise UpstreamInvalid(region, "region sent a body that could not be decoded") from exc
    except httpx.HTTPError as exc:  # e.g. TooManyRedirects: an answer we cannot use
        raise UpstreamInvalid(region, "region answered in a way the gateway cannot use") from exc
