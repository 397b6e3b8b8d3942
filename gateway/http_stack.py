"""The HTTP middleware around every route, outermost first: the access line, compression, CORS
(only when an allow-list is configured), authentication (after CORS, so a preflight needs no
token) and the request guard."""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from auth.middleware import AuthMiddleware
from connectors.errors import ConfigurationError
from gateway.authentication import token_validator
from gateway.observability.access_log import AccessLog
from gateway.request_guard import RequestGuard
from gateway.settings import GatewaySettings

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
CORS_HEADERS = ["content-type", "authorization", "x-correlation-id", "traceparent", "tracestate"]


def cors_origins(settings: GatewaySettings) -> list[str]:
    """The browser origins allowed to call the gateway (``[gateway] cors_origins``, separated
    by spaces or commas): exact ``scheme://host[:port]`` values, never a wildcard."""
    origins = settings.cors_origins.replace(",", " ").split()
    for number, origin in enumerate(origins, 1):
        if not _ORIGIN.fullmatch(origin):
            raise ConfigurationError(
                f"gateway.cors_origins: origin {number} is not scheme://host[:port] "
                "(a wildcard is not allowed)"
            )
    return origins


def middleware(settings: GatewaySettings) -> list[Middleware]:
    """The stack for ``create_app``. CORS sits before the guard, so a preflight ``OPTIONS`` is
    answered there; gzip compresses answers of ``compress_min_bytes`` or more for clients that
    accept it."""
    stack = [
        Middleware(AccessLog),
        Middleware(GZipMiddleware, minimum_size=settings.compress_min_bytes),
    ]
    origins = cors_origins(settings)
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=CORS_HEADERS,
                expose_headers=["x-correlation-id"],
                max_age=600,
            )
        )
    stack.append(Middleware(AuthMiddleware, validator=token_validator(settings.auth)))
    stack.append(
        Middleware(
            RequestGuard, max_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout
        )
    )
    return stack
