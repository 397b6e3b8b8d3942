"""The error taxonomy: every failure a connector can report, grouped by what the caller should do.

Foreign exceptions (httpx, zeep, lxml, json) are translated into these at one boundary per dialect,
with ``raise ... from exc``. Clients see ``code``, ``region`` and ``public_message`` only, so a
message never holds a secret, an identifier or the region's own text.

=======================  ====================  =========  ==========================================
class                    ``code``              retryable  means
=======================  ====================  =========  ==========================================
``RegionUnavailable``    REGION_UNAVAILABLE    yes        unreachable, refused, reset, 5xx, 429
``ConnectionDropped``    REGION_UNAVAILABLE    at once    a pooled connection closed under us
``RegionTimeout``        REGION_TIMEOUT        no         no answer within the region's timeout
``UpstreamRejected``     UPSTREAM_REJECTED     no         other 4xx, SOAP client fault
``UpstreamAuthFailed``   UPSTREAM_AUTH         no         401/403: our credentials were refused
``UpstreamInvalid``      UPSTREAM_INVALID      no         a reply or record that does not map
=======================  ====================  =========  ==========================================

(``RegionTimeout`` inherits ``retryable`` but the retry stage never retries a timeout: the region
already had its time.) **Per-key or whole call** (see :mod:`connectors.base`): *raise* when the
region could not answer the call; *return* the error in a key's slot when the region answered but
that key's part was bad; raise when every key of a fanned-out call failed with the same
unavailability. :class:`ConfigurationError` is never a connector result: it stops start-up.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigurationError(GatewayError):
    """Bad configuration found at start-up; the message names the region and key, never a value."""


class ConnectorError(GatewayError):
    """A region could not answer a call or a key. ``public_message`` is safe to show a client.

    ``retryable``: the same read may succeed if tried again (the pipeline retries it within the
    request's deadline); ``retry_at_once``: and without waiting. A bare ``ConnectorError`` is
    not retryable; dialects raise one of the subclasses.
    """

    code = "REGION_ERROR"
    retryable = False  # the same read may succeed if tried again
    retry_at_once = False  # ... and may be tried again without waiting

    def __init__(self, region: str, public_message: str) -> None:
        super().__init__(f"[{region}] {public_message}")
        self.region = region
        self.public_message = public_message


class RegionUnavailable(ConnectorError):
    """The region is down for now: 5xx, 429, connection refused or reset, breaker open. Retryable;
    counts against the region's health. Raised for the whole call, never put in one key's slot
    unless other keys of the call were answered."""

    code = "REGION_UNAVAILABLE"
    retryable = True


class ConnectionDropped(RegionUnavailable):
    """The region closed a pooled connection as we used it: try again at once on a fresh one."""

    retry_at_once = True


class RegionTimeout(RegionUnavailable):
    """The region did not answer within its timeout or the request's deadline. Not retried."""

    code = "REGION_TIMEOUT"


class UpstreamRejected(ConnectorError):
    """The region refused the request: other 4xx, SOAP client fault, or a request httpx would not
    send. Not retryable: the same request gets the same answer. Usually a connector bug."""

    code = "UPSTREAM_REJECTED"


class UpstreamAuthFailed(UpstreamRejected):
    """The region refused our credentials (401/403). Not retryable: fix the region's ``auth``."""

    code = "UPSTREAM_AUTH"


class UpstreamInvalid(ConnectorError):
    """The region answered with a payload that does not map, or unsafe XML (DOCTYPE, entities), or
    a next-page link to another host. Not retryable. The whole call when the reply as a whole is
    unreadable; one key's slot when only that key's record is."""

    code = "UPSTREAM_INVALID"
