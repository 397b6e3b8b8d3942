"""Listing pages the simulated servers share: people of a location or a caseload, by keyset.

A page starts after the last local id of the previous one, so pages stay stable while records
are added or removed elsewhere in the store; the cursor is that id, base64url-encoded (opaque to
the caller, and refused when it was not made here).
"""

from __future__ import annotations

import base64
import binascii

from simulators.stores import Record, SystemStore

PREFIX = "after:"


class BadCursor(ValueError):
    """A cursor this server did not make."""


def encode_cursor(local_id: str) -> str:
    return base64.urlsafe_b64encode((PREFIX + local_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The local id a cursor starts after; :class:`BadCursor` when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor("the cursor is not one this service gave") from None
    if not text.startswith(PREFIX) or len(text) == len(PREFIX):
        raise BadCursor("the cursor is not one this service gave")
    return text.removeprefix(PREFIX)


def listing_page(
    store: SystemStore,
    location: str | None,
    staff_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Record], str | None]:
    """One page of the store's listing and the cursor of the next (None: the last page)."""
    after = decode_cursor(cursor) if cursor else None
    found, more = store.listing(location, staff_code, after, limit)
    return found, encode_cursor(found[-1].local_id) if more and found else None
