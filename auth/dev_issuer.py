"""The local development issuer: an RS256 key pair kept in a 0600 file (made on first use, so the
gateway's workers and ``offender-graph token`` share it), its JWKS, and tokens for the example
users of ``example_users.toml``. Only with ``[auth] dev_issuer = true``; never in production."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth.jwt import DEFAULT_CLAIMS, ClaimNames

DEV_ISSUER = "offender-graph-dev"
DEV_AUDIENCE = "offender-graph"
DEV_CLIENT = "offender-graph-dev-client"


@dataclass(frozen=True)
class ExampleUser:
    """One example user: a token's subject and claims."""

    name: str
    subject: str
    description: str
    roles: tuple[str, ...] = ()
    caseload: tuple[str, ...] = ()
    probation_regions: tuple[str, ...] = ()


def example_users() -> dict[str, ExampleUser]:
    """The example users shipped in ``auth/example_users.toml``, by name."""
    text = files("auth").joinpath("example_users.toml").read_text(encoding="utf-8")
    return {
        name: ExampleUser(
            name=name,
            subject=table["subject"],
            description=table["description"],
            roles=tuple(table.get("roles", ())),
            caseload=tuple(table.get("caseload", ())),
            probation_regions=tuple(table.get("probation_regions", ())),
        )
        for name, table in tomllib.loads(text)["users"].items()
    }


def _private_key(path: Path) -> rsa.RSAPrivateKey:
    """The key in ``path``; a new one written there (0600, atomically: a concurrent starter
    reads the winner's) when there is none."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)  # only the first starter's key becomes the key
        finally:
            draft.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return loaded


class DevIssuer:
    """Signs tokens for example users with the development key; publishes its JWKS."""

    def __init__(
        self, key_file: Path, audience: str = DEV_AUDIENCE, claims: ClaimNames = DEFAULT_CLAIMS
    ) -> None:
        self._key = _private_key(key_file)
        self.audience = audience
        self.claims = claims
        public = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = "dev-" + hashlib.sha256(public).hexdigest()[:16]

    def jwks(self) -> dict[str, Any]:
        """The public key set, as served at ``/.well-known/dev-jwks.json``."""
        jwk = pyjwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(self, user: ExampleUser, minutes: float = 60.0) -> str:
        """A signed token for ``user``, valid from now for ``minutes``."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": self.audience,
            "sub": user.subject,
            "azp": DEV_CLIENT,
            "iat": now,
            "nbf": now,
            "exp": now + int(minutes * 60),
            self.claims.roles: list(user.roles),
            self.claims.prisons: list(user.caseload),
            self.claims.regions: list(user.probation_regions),
        }
        return pyjwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
