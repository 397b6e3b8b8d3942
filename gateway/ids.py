"""Opaque offender ids: ``Offender.id`` reveals no personal data, yet is stable and comes back.

An id is ``o1`` followed by the URL-safe base64 (unpadded) of the AES-SIV encryption of what the
person's id is minted from: their stable id in the person index (:class:`PersonId`) or, with the
index off, their preferred strong identifier, or ``(region, local id)`` for a person known by one
record without any. AES-SIV is deterministic authenticated encryption, so
the same person gets the same id on every request and replica sharing the key, and an id not
minted with the key (altered, truncated, foreign) is refused. The plaintext is padded to a
multiple of 32 bytes, so an id's length does not tell one identifier kind from another. The
``o1`` prefix (also bound into the encryption) lets the format evolve.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind, InvalidIdentifier
from gateway.identity.stable_ids import PersonId

log = logging.getLogger("offender_graph.ids")

KEY_BYTES = 64
PREFIX = "o1"
MAX_ID_LENGTH = 512  # far beyond any id minted here; longer input is not decrypted
_ASSOCIATED = [b"offender-graph offender id " + PREFIX.encode()]
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_IDENTIFIER, _RECORD, _PERSON, _SEPARATOR = b"I", b"R", b"P", b"\x00"
_BLOCK = 32  # every identifier fits one block

NOT_AN_ID = "is not an offender id issued by this gateway"


def new_id_key() -> str:
    """A fresh key for ``gateway.id_key``: the base64 of 64 random bytes."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


class OffenderIds:
    """Mints and reads offender ids with one 64-byte key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"an offender id key is {KEY_BYTES} bytes")
        self._siv = AESSIV(key)
        self._digest_key = hashlib.sha256(b"offender-graph audit digest" + key).digest()

    @classmethod
    def from_setting(cls, text: str) -> OffenderIds:
        """The ids for ``gateway.id_key`` (base64 of 64 bytes); empty: a random key for this
        process only, with a warning, since ids then change at every restart."""
        if not text.strip():
            log.warning(
                "gateway.id_key is not set: offender ids use a random key and will change at "
                "restart (and differ between replicas)"
            )
            return cls(os.urandom(KEY_BYTES))
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"gateway.id_key must be the base64 of {KEY_BYTES} bytes")
        return cls(key)

    def encode(self, identifier: Identifier) -> str:
        """The id of a person whose preferred strong identifier is ``identifier``."""
        return self._seal(_IDENTIFIER + f"{identifier.kind.value}:{identifier.value}".encode())

    def encode_record(self, region: str, local_id: str) -> str:
        """The id of a person known only by the record ``local_id`` of ``region``."""
        if "\x00" in region:
            raise ValueError("a region name cannot contain NUL")
        return self._seal(_RECORD + region.encode() + _SEPARATOR + local_id.encode())

    def encode_person(self, person: PersonId) -> str:
        """The id of the person the index holds under ``person``."""
        return self._seal(_PERSON + person.value.encode())

    def decode(self, text: str) -> Identifier | tuple[str, str] | PersonId:
        """What ``text`` was minted from: a stable person id, an identifier, or ``(region,
        local id)``; raises
        :class:`InvalidIdentifier` for anything this key did not mint."""
        body = text[len(PREFIX) :]
        if (
            len(text) > MAX_ID_LENGTH
            or not text.startswith(PREFIX)
            or not _BASE64URL.match(body)
            or len(body) % 4 == 1
        ):
            raise InvalidIdentifier(f"this value {NOT_AN_ID}")
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            plain = _unpad(self._siv.decrypt(sealed, _ASSOCIATED))
        except (InvalidTag, ValueError):
            raise InvalidIdentifier(
                f"this offender id {NOT_AN_ID}: it was altered, cut short or minted with "
                "another key"
            ) from None
        return _parse(plain)

    def digest(self, identifier: Identifier) -> str:
        """A keyed digest of ``identifier`` (HMAC-SHA256 under a key derived from the id key):
        equal for equal identifiers, useless without the key. For the audit log."""
        text = f"{identifier.kind.value}:{identifier.value}".encode()
        return hmac.new(self._digest_key, text, hashlib.sha256).hexdigest()

    def _seal(self, plain: bytes) -> str:
        sealed = self._siv.encrypt(_pad(plain), _ASSOCIATED)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def _pad(plain: bytes) -> bytes:
    """ISO/IEC 7816-4 padding: 0x80, then zeros up to a multiple of the block."""
    padded = plain + b"\x80"
    return padded + b"\x00" * (-len(padded) % _BLOCK)


def _unpad(padded: bytes) -> bytes:
    plain, marker, zeros = padded.rstrip(b"\x00").rpartition(b"\x80")
    if not marker or zeros:
        raise ValueError("bad padding")
    return plain


def _parse(plain: bytes) -> Identifier | tuple[str, str] | PersonId:
    """Read what :meth:`OffenderIds.encode`, :meth:`~OffenderIds.encode_record` or
    :meth:`~OffenderIds.encode_person` sealed."""
    tag, rest = plain[:1], plain[1:].decode()
    if tag == _PERSON:
        return PersonId(rest)
    if tag == _IDENTIFIER:
        kind, _, value = rest.partition(":")
        return Identifier(IdentifierKind(kind), value)
    region, _, local_id = rest.partition(_SEPARATOR.decode())
    return region, local_id
