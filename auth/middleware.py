"""The authentication middleware: proves who a request acts for before the gateway reads a byte
of its body. ``/graphql`` (but not the GraphiQL page itself), ``/status``, ``/status.json`` and
``/metrics`` need a valid bearer token; ``/ready`` takes one if given (its details are for
operators); everything else is open. The principal goes in ``scope["state"]["principal"]``
(Starlette's ``request.state.principal``)."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.jwks import KeySetUnavailable
from auth.jwt import InvalidToken, TokenValidator
from auth.principal import Principal

logger = logging.getLogger(__name__)

REALM = "offender-graph"
REQUIRED = frozenset({"/graphql", "/status", "/status.json", "/metrics"})
OPTIONAL = frozenset({"/ready"})  # a token widens the answer; none is not an error


def principal_of(scope: Scope) -> Principal | None:
    """The principal the middleware proved for this request, if any."""
    principal = scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def bearer_token(headers: Headers) -> str | None:
    """The token of ``Authorization: Bearer <token>``; ``""`` for another scheme or none."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _graphiql_page(scope: Scope) -> bool:
    """A GET of /graphql without a query: the GraphiQL page (no data), so a user can paste a
    token into it."""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    return "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1"))


class AuthMiddleware:
    """``validator`` None: authentication is off, every request acts for
    :meth:`Principal.development`."""

    def __init__(self, app: ASGIApp, validator: TokenValidator | None) -> None:
        self.app = app
        self.validator = validator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        if self.validator is None:
            state["principal"] = Principal.development()
            return await self.app(scope, receive, send)
        path = scope["path"]
        required = path in REQUIRED and scope["method"] != "OPTIONS"  # HEAD included
        if path == "/graphql" and required and _graphiql_page(scope):
            required = False
        if not required and path not in OPTIONAL:
            return await self.app(scope, receive, send)
        token = bearer_token(Headers(scope=scope))
        if token is None:
            if required:
                return await _refuse(send, 401, "a bearer token is required", "UNAUTHENTICATED")
            return await self.app(scope, receive, send)
        try:
            if not token:
                raise InvalidToken("the Authorization header is not a bearer token")
            state["principal"] = await self.validator.principal(token)
        except InvalidToken as exc:
            logger.info("%s %s refused: %s", scope["method"], path, exc.reason)
            if required:
                return await _refuse(send, 401, exc.reason, "UNAUTHENTICATED", invalid=True)
        except KeySetUnavailable:
            if required:
                message = "the identity provider's keys are unavailable; try again shortly"
                return await _refuse(send, 503, message, "AUTH_UNAVAILABLE")
        return await self.app(scope, receive, send)


async def _refuse(
    send: Send, status: int, message: str, code: str, *, invalid: bool = False
) -> None:
    """A coded GraphQL-shaped error answer; 401s carry the RFC 6750 challenge."""
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status == 401:
        challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
        headers.append((b"www-authenticate", challenge.encode()))
    if status == 503:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
