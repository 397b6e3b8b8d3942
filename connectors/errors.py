"""The error taxonomy: every failure a connector can report, grouped by what the caller should do.

Foreign exceptions (httpx, zeep, lxml, json) are translated into these at one boundary per dialect,
with ``raise ... from exc``. Clients see ``code``, ``region`` and ``public_message`` only.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigurationError(GatewayError):
    """Bad configuration found at start-up; the message names the key."""


class ConnectorError(GatewayError):
    """A region could not answer. ``public_message`` is safe to show a client."""

    code = "REGION_ERROR"
    retryable = False  # the same read may succeed if tried again
    retry_at_once = False  # ... and may be tried again without waiting

    def __init__(self, region: str, public_message: str) -> None:
        super().__init__(f"[{region}] {public_message}")
        self.region = region
        self.public_message = public_message


class RegionUnavailable(ConnectorError):
    """5xx, 429, connection refused or reset, breaker open."""

    code = "REGION_UNAVAILABLE"
    retryable = True


class ConnectionDropped(RegionUnavailable):
    """The region closed a pooled connection as we used it: try again at once on a fresh one."""

    retry_at_once = True


class RegionTimeout(RegionUnavailable):
    """The region did not answer within its timeout or the request's deadline."""

    code = "REGION_TIMEOUT"


class UpstreamRejected(ConnectorError):
    """The region refused the request: other 4xx, SOAP client fault."""

    code = "UPSTREAM_REJECTED"


class UpstreamAuthFailed(UpstreamRejected):
    """The region refused our credentials (401/403)."""

    code = "UPSTREAM_AUTH"


class UpstreamInvalid(ConnectorError):
    """The region answered with a payload that does not map, or unsafe XML."""

    code = "UPSTREAM_INVALID"
