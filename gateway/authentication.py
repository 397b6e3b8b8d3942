"""The ``[auth]`` settings made into what the middleware needs: a token validator for the
configured issuer (or the development issuer), or none when authentication is off; and the rule
for who counts as an operator."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.dev_issuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from auth.jwks import RemoteKeySet, StaticKeys
from auth.jwt import ClaimNames, TokenValidator
from auth.principal import Principal
from connectors.errors import ConfigurationError
from gateway.settings import AuthSettings

logger = logging.getLogger(__name__)


def claim_names(auth: AuthSettings) -> ClaimNames:
    return ClaimNames(
        roles=auth.roles_claim,
        prisons=auth.prisons_claim,
        regions=auth.regions_claim,
        clients=tuple(auth.client_claims.split()),
    )


def dev_issuer(auth: AuthSettings) -> DevIssuer:
    """The development issuer of these settings (its key made on first use)."""
    return DevIssuer(Path(auth.dev_key_file), auth.audience or DEV_AUDIENCE, claim_names(auth))


def token_validator(auth: AuthSettings) -> TokenValidator | None:
    """The validator of ``[auth]``; None (with a loud warning) when ``mode = "off"``. Refuses
    (ConfigurationError) what the settings reader would: a missing issuer, audience or JWKS,
    or the development issuer beside another issuer."""
    if auth.mode == "off":
        logger.warning(
            'AUTHENTICATION IS OFF ([auth] mode = "off"): every request acts for the '
            "unrestricted development principal and sees every person. Never in production."
        )
        return None
    algorithms = frozenset(auth.algorithms.split())
    if auth.dev_issuer:
        if auth.issuer not in ("", DEV_ISSUER) or auth.jwks_url:
            raise ConfigurationError(
                "auth.dev_issuer trusts only the development issuer: unset auth.issuer and "
                "auth.jwks_url, or turn auth.dev_issuer off"
            )
        issuer = dev_issuer(auth)
        logger.warning(
            "the development issuer is on ([auth] dev_issuer): `offender-graph token` signs "
            "tokens anyone here can make. Never in production."
        )
        keys: StaticKeys | RemoteKeySet = StaticKeys(issuer.jwks())
        return TokenValidator(
            keys, DEV_ISSUER, issuer.audience, algorithms, auth.leeway, claim_names(auth)
        )
    missing = [f"auth.{k}" for k in ("issuer", "audience", "jwks_url") if not getattr(auth, k)]
    if missing:
        raise ConfigurationError(f'auth.mode = "jwt" needs {", ".join(missing)}')
    keys = RemoteKeySet(
        auth.jwks_url,
        cache_seconds=auth.jwks_cache_seconds,
        refetch_seconds=auth.jwks_refetch_seconds,
        timeout=auth.jwks_timeout,
    )
    return TokenValidator(
        keys, auth.issuer, auth.audience, algorithms, auth.leeway, claim_names(auth)
    )


def is_operator(principal: Principal | None, auth: AuthSettings) -> bool:
    """Whether ``principal`` may see the gateway's internals (/ready details, /status,
    /metrics): the operator role, or anyone when authentication is off."""
    return principal is not None and (
        principal.unrestricted or auth.operator_role in principal.roles
    )


def not_an_operator() -> Response:
    """The answer to a valid token without the operator role on an operator route."""
    body = {
        "errors": [
            {"message": "the operator role is required", "extensions": {"code": "FORBIDDEN"}}
        ]
    }
    return JSONResponse(body, status_code=403, headers={"cache-control": "no-store"})


DEV_JWKS_PATH = "/.well-known/dev-jwks.json"


def dev_jwks_route(issuer: DevIssuer) -> Route:
    """``/.well-known/dev-jwks.json``: the development issuer's public keys (open to all)."""
    keys = issuer.jwks()

    async def jwks(request: Request) -> Response:
        return JSONResponse(keys, headers={"cache-control": "max-age=60"})

    return Route(DEV_JWKS_PATH, jwks)
