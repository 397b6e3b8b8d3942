"""auth.jwt: every refusal of a bearer token, and a good token's claims as the principal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth.jwks import RemoteKeySet
from auth.jwt import ClaimNames, InvalidToken, TokenValidator, principal_from
from auth.principal import Principal
from tests.auth.issuer import AUDIENCE, ISSUER, Issuer, JwksServer


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def jwks(issuer: Issuer) -> Iterator[JwksServer]:
    with JwksServer(issuer).running() as server:
        yield server


@pytest.fixture
def validator(jwks: JwksServer) -> TokenValidator:
    keys = RemoteKeySet(jwks.url, refetch_seconds=0.0)
    return TokenValidator(keys, ISSUER, AUDIENCE, leeway=30.0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_the_public_key(issuer: Issuer) -> str:
    """The classic confusion attack: HS256 "signed" with the RSA public key's PEM as secret
    (PyJWT refuses to make one, so it is made by hand)."""
    secret = (
        issuer.keys["rsa-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = _b64(json.dumps(issuer.claims()).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _forged(issuer: Issuer) -> str:
    """Signed by a key that is not the issuer's, under the issuer's kid."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(issuer.claims(), other, algorithm="RS256", headers={"kid": "rsa-1"})


def _under_kid(issuer: Issuer, kid: str) -> str:
    """Signed RS256 by the issuer's RSA key, but naming another key's kid."""
    return jwt.encode(
        issuer.claims(), issuer.keys["rsa-1"], algorithm="RS256", headers={"kid": kid}
    )


def _unsigned(issuer: Issuer) -> str:
    return jwt.encode(issuer.claims(), None, algorithm="none", headers={"kid": "rsa-1"})


async def test_a_good_rs256_token_is_its_principal(
    validator: TokenValidator, issuer: Issuer
) -> None:
    principal = await validator.principal(issuer.token(probation_regions=["N07"]))
    assert principal == Principal(
        subject="user-1",
        client="web-app",
        roles=frozenset({"ROLE_PRISON_USER"}),
        prisons=frozenset({"MDI", "LEI"}),
        probation_regions=frozenset({"N07"}),
        unrestricted=False,
    )


async def test_a_good_es256_token_is_accepted(validator: TokenValidator, issuer: Issuer) -> None:
    principal = await validator.principal(issuer.token(kid="ec-1", sub="ec-user"))
    assert principal.subject == "ec-user"


async def test_clock_skew_within_the_leeway_is_accepted(
    validator: TokenValidator, issuer: Issuer
) -> None:
    now = int(time.time())
    token = issuer.token(exp=now - 10, nbf=now + 10)  # both within 30 seconds
    assert (await validator.principal(token)).subject == "user-1"


REFUSALS: list[tuple[str, Any, str]] = [
    ("expired", lambda i: i.token(exp=int(time.time()) - 120), "has expired"),
    ("not yet valid", lambda i: i.token(nbf=int(time.time()) + 120), "not valid yet"),
    ("forged signature", _forged, "signature is not valid"),
    ("wrong issuer", lambda i: i.token(iss="https://evil.invalid/"), "another issuer"),
    ("wrong audience", lambda i: i.token(aud="another-api"), "another audience"),
    ("alg none", _unsigned, "algorithm is not accepted"),
    ("HS256 with the public key", _hs256_with_the_public_key, "algorithm is not accepted"),
    ("RS256 under the EC key's kid", lambda i: _under_kid(i, "ec-1"), "does not match its key"),
    ("no expiry", lambda i: i.token(exp=None), "no exp claim"),
    ("no subject", lambda i: i.token(sub=None), "no sub claim"),
    ("malformed", lambda i: "not.a.jwt", "malformed"),
    ("garbage", lambda i: "garbage", "malformed"),
]


@pytest.mark.parametrize(("case", "make", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_each_bad_token_is_refused_with_a_reason_of_our_own(
    validator: TokenValidator, issuer: Issuer, case: str, make: Any, reason: str
) -> None:
    token = make(issuer)
    with pytest.raises(InvalidToken) as refused:
        await validator.principal(token)
    assert reason in refused.value.reason
    assert token not in refused.value.reason


async def test_an_unknown_kid_is_refused_after_one_refetch(
    validator: TokenValidator, issuer: Issuer, jwks: JwksServer
) -> None:
    await validator.principal(issuer.token())  # keys cached
    before = jwks.requests
    stranger = Issuer()
    stranger.keys["rsa-9"] = stranger.keys.pop("rsa-1")
    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await validator.principal(stranger.token(kid="rsa-9"))
    assert jwks.requests == before + 1


def test_only_rs256_and_es256_may_be_configured(jwks: JwksServer) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        TokenValidator(RemoteKeySet(jwks.url), ISSUER, AUDIENCE, frozenset({"HS256"}))


def test_roles_from_a_space_separated_scope_and_the_client_from_client_id() -> None:
    names = ClaimNames(roles="scope", prisons="prisons", regions="areas")
    claims = {
        "sub": "svc",
        "client_id": "batch-job",
        "scope": "ROLE_GLOBAL_SEARCH  read",
        "prisons": "MDI",
        "areas": ["N07", 7, ""],
    }
    principal = principal_from(claims, names)
    assert principal.client == "batch-job"
    assert principal.roles == frozenset({"ROLE_GLOBAL_SEARCH", "read"})
    assert principal.prisons == frozenset({"MDI"})
    assert principal.probation_regions == frozenset({"N07"})  # non-strings and blanks dropped
    assert not principal.unrestricted


def test_azp_wins_over_client_id_and_missing_claims_are_empty() -> None:
    principal = principal_from({"sub": "u", "azp": "web", "client_id": "other"})
    assert (principal.client, principal.roles, principal.prisons) == (
        "web",
        frozenset(),
        frozenset(),
    )
