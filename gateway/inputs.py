"""Client input the service checks: search names, page cursors; bad input is a :class:`BadInput`
with a code from the documented set."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from connectors.base import PersonSearch

MAX_NAME_LENGTH = 100


class BadInput(Exception):
    """Input the gateway refuses before asking any region; ``code`` goes to the client."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message)
        self.code = code


def search_query(name: str | None, date_of_birth: date | None) -> PersonSearch:
    """A name search: a surname, or a forename (a prefix) and a surname."""
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise BadInput(f"name must be at most {MAX_NAME_LENGTH} characters")
    words = (name or "").split()
    if not words:
        raise BadInput("name is required: a surname, or a forename and a surname")
    if any(not w.replace("-", "").replace("'", "").isalpha() for w in words) or len(words) > 3:
        raise BadInput("name must be one to three words of letters, e.g. 'John Smith'")
    forename = words[0] if len(words) > 1 else None
    return PersonSearch(surname=words[-1], forename=forename, date_of_birth=date_of_birth)


def encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{index}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The position a cursor of ours points at; BadInput for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, number = text.split(":")
        if prefix != "offset" or int(number) < 0:
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput(f"'{cursor[:100]}' is not a cursor from this API") from None
