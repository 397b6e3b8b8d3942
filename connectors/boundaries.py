"""The error boundaries: where foreign exceptions become the connector error taxonomy.

One per protocol, so every dialect fails the same way:

- :func:`http_boundary` maps httpx exceptions (timeouts, refused or dropped connections, requests
  httpx would not send); :func:`status_error` maps an HTTP status. 401/403 are
  :class:`UpstreamAuthFailed`; 429 and 5xx :class:`RegionUnavailable`; any other 4xx (404 too,
  unless the caller reads 404 as "not found") :class:`UpstreamRejected`.
- :func:`payload_boundary` maps a payload that does not read (a reader's :class:`PayloadError`,
  bad JSON, bad XML, bad bytes) to :class:`UpstreamInvalid`. It catches *only* those: a
  ``TypeError`` or ``AttributeError`` is a bug in the mapping and propagates as one.

```python
with http_boundary(region):
    response = await client.get(url)
if (error := status_error(region, response.status_code)) is not None:
    raise error
with payload_boundary(region):
    return read_person(json.loads(response.content))
```
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
from lxml import etree

from connectors.errors import (
    ConnectionDropped,
    ConnectorError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.payload import PayloadError

__all__ = ["PAYLOAD_ERRORS", "http_boundary", "payload_boundary", "status_error"]

_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_UNSENDABLE = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)
PAYLOAD_ERRORS: tuple[type[Exception], ...] = (
    PayloadError,
    json.JSONDecodeError,
    etree.XMLSyntaxError,
    UnicodeDecodeError,
)
"""What :func:`payload_boundary` catches: a payload that does not read, never a bug."""


def status_error(region: str, status: int) -> ConnectorError | None:
    """The connector error an HTTP status means, or None for a success (below 300)."""
    if status < 300:
        return None
    if status in (401, 403):
        return UpstreamAuthFailed(region, f"region refused the gateway's credentials ({status})")
    if status == 429 or status >= 500:
        return RegionUnavailable(region, f"region answered HTTP {status}")
    return UpstreamRejected(region, f"region rejected the request (HTTP {status})")


@contextmanager
def http_boundary(region: str, reused: Callable[[], bool] = bool) -> Iterator[None]:
    """Translate httpx exceptions into connector errors, keeping the cause.

    ``reused`` says whether the request went out on a pooled connection; if it did, the server
    closing it under us is :class:`ConnectionDropped` (retry at once), else the region is
    unavailable. A request httpx refuses to send (URL too long, bad header) is the gateway's own
    bad request: :class:`UpstreamRejected`. Other exceptions pass through untouched.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise RegionTimeout(region, "region did not answer in time") from exc
    except _DROPPED as exc:
        if reused():
            raise ConnectionDropped(region, "region closed a kept-alive connection") from exc
        raise RegionUnavailable(region, "region could not be reached") from exc
    except _UNSENDABLE as exc:
        raise UpstreamRejected(region, "the gateway could not send this request") from exc
    except httpx.TransportError as exc:
        raise RegionUnavailable(region, "region could not be reached") from exc
    except httpx.HTTPStatusError as exc:
        error = status_error(region, exc.response.status_code)
        raise (error or RegionUnavailable(region, "unexpected HTTP status")) from exc
    except httpx.DecodingError as exc:
        raise UpstreamInvalid(region, "region sent a body that could not be decoded") from exc
    except (httpx.HTTPError, httpx.StreamError, httpx.CookieConflict) as exc:
        raise UpstreamInvalid(region, "region answered in a way the gateway cannot use") from exc


@contextmanager
def payload_boundary(region: str) -> Iterator[None]:
    """Turn a payload that does not read into :class:`UpstreamInvalid`; let bugs through.

    A :class:`PayloadError`'s message names the field (never its value), so it is kept.
    """
    try:
        yield
    except PayloadError as exc:
        raise UpstreamInvalid(region, f"region sent data that does not map: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise UpstreamInvalid(region, "region sent a reply that is not JSON") from exc
    except etree.XMLSyntaxError as exc:
        raise UpstreamInvalid(region, "region sent a reply that is not well-formed XML") from exc
    except UnicodeDecodeError as exc:
        raise UpstreamInvalid(region, "region sent text not in its declared charset") from exc
