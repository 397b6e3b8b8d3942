"""Who is asking: the principal a request acts for, as the authentication layer proves it.

Roles are names the policy file gives meaning to (``gateway/policy``); scopes say which records
a user's work covers: the prisons of a prison user's caseload, the probation regions (codes such
as N07) of a probation user.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The user (``subject``) and the calling application (``client``) behind one request."""

    subject: str
    client: str
    roles: frozenset[str] = frozenset()
    prisons: frozenset[str] = frozenset()  # caseload: prison ids, e.g. MDI
    probation_regions: frozenset[str] = frozenset()  # probation region codes, e.g. N07
    unrestricted: bool = False  # only with [auth] mode = "off": every field of every person

    @classmethod
    def development(cls) -> Principal:
        """The principal of every request when authentication is off (tests, local work):
        sees everything. Never in production: the gateway warns at start-up."""
        return cls("development", "development", unrestricted=True)
