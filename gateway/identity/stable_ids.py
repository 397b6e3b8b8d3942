"""Stable person ids: minted once per person by the person index, random, no personal data."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

ID_BYTES = 10  # 80 random bits: 16 base32 characters, never padded
_FORMAT = re.compile(r"^P[A-Z2-7]{16}$")


@dataclass(frozen=True)
class PersonId:
    """One person's id in the index (``P`` and 16 base32 characters)."""

    value: str

    def __post_init__(self) -> None:
        if not _FORMAT.match(self.value):
            raise ValueError("not a person id")

    def __str__(self) -> str:
        return self.value


def mint_person_id() -> str:
    """A fresh person id: ``P`` and the base32 of 10 random bytes."""
    return "P" + base64.b32encode(os.urandom(ID_BYTES)).decode("ascii")
