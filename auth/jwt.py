"""Bearer JWT validation: the signature (RS256 or ES256 only, with the issuer's key for the
token's ``kid``), issuer, audience, expiry and not-before with a small leeway; then the claims
become a :class:`~auth.principal.Principal`. Every refusal is :class:`InvalidToken` with a short
reason of our own words (never the token, never the library's message)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt

from auth.jwks import KeySource, UnknownKey
from auth.principal import Principal

logger = logging.getLogger(__name__)

ALGORITHMS = frozenset({"RS256", "ES256"})
_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}


class InvalidToken(Exception):
    """The token proves nothing; ``reason`` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClaimNames:
    """Which claims carry what (``[auth]`` ``*_claim`` settings)."""

    roles: str = "roles"
    prisons: str = "caseload"
    regions: str = "probation_regions"
    clients: tuple[str, ...] = ("azp", "client_id")


DEFAULT_CLAIMS = ClaimNames()


@dataclass(frozen=True)
class TokenValidator:
    """Validates tokens of one issuer for one audience against its keys."""

    keys: KeySource
    issuer: str
    audience: str
    algorithms: frozenset[str] = ALGORITHMS
    leeway: float = 30.0
    claims: ClaimNames = DEFAULT_CLAIMS

    def __post_init__(self) -> None:
        if not self.algorithms or not self.algorithms <= ALGORITHMS:
            raise ValueError(f"algorithms must be some of {sorted(ALGORITHMS)}")

    async def principal(self, token: str) -> Principal:
        """The principal the token proves; :class:`InvalidToken`, or
        :class:`~auth.jwks.KeySetUnavailable` when the keys cannot be had."""
        return principal_from(await self.claims_of(token), self.claims)

    async def claims_of(self, token: str) -> dict[str, Any]:
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise InvalidToken("the bearer token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:  # none, HS256 (the public key as secret), ...
            raise InvalidToken("the bearer token's algorithm is not accepted")
        kid = header.get("kid")
        try:
            jwk = await self.keys.key(kid if isinstance(kid, str) else None)
        except UnknownKey:
            raise InvalidToken("the bearer token's signing key is unknown") from None
        if jwk.get("kty") != _KEY_TYPES[algorithm] or jwk.get("alg", algorithm) != algorithm:
            raise InvalidToken("the bearer token's algorithm does not match its key")
        try:
            key = pyjwt.PyJWK(dict(jwk), algorithm=algorithm)
            return pyjwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except pyjwt.ExpiredSignatureError:
            raise InvalidToken("the bearer token has expired") from None
        except pyjwt.ImmatureSignatureError:
            raise InvalidToken("the bearer token is not valid yet") from None
        except pyjwt.InvalidIssuerError:
            raise InvalidToken("the bearer token is from another issuer") from None
        except pyjwt.InvalidAudienceError:
            raise InvalidToken("the bearer token is for another audience") from None
        except pyjwt.InvalidSignatureError:
            raise InvalidToken("the bearer token's signature is not valid") from None
        except pyjwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the bearer token has no {exc.claim} claim") from None
        except pyjwt.PyJWTError as exc:
            logger.info("bearer token refused: %s", type(exc).__name__)
            raise InvalidToken("the bearer token is not valid") from None


def _names(value: object) -> frozenset[str]:
    """A claim's names: a list of strings, or one space-separated string (as ``scope``)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(v for v in value if isinstance(v, str) and v)
    return frozenset()


def _first(claims: dict[str, Any], names: Iterable[str]) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def principal_from(claims: dict[str, Any], names: ClaimNames = DEFAULT_CLAIMS) -> Principal:
    """A validated token's claims as the principal: ``sub``, the client (``azp`` or
    ``client_id``), roles, caseload prisons and probation regions. Never unrestricted."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the bearer token has no subject")
    return Principal(
        subject=subject,
        client=_first(claims, names.clients),
        roles=_names(claims.get(names.roles)),
        prisons=_names(claims.get(names.prisons)),
        probation_regions=_names(claims.get(names.regions)),
    )
