"""An audit event and where events go.

Every person resolved for a user becomes one :class:`AuditEvent`, without response data: the
person is named by their opaque id and by keyed digests of their strong identifiers (so
``offender-graph audit --person A1234BC`` finds every event about them without the log holding
the identifier itself). A sink never blocks or fails the request that records an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class AuditOutcome(StrEnum):
    """What the user got for the person."""

    SHOWN = "SHOWN"  # the person, with the field groups their roles allow
    REDACTED = "REDACTED"  # a restricted node: the person exists, no personal data shown
    NOT_FOUND = "NOT_FOUND"  # the person exists but the user may not see them at all


@dataclass(frozen=True)
class AuditEvent:
    """One person resolved for one user in one request."""

    at: datetime  # when (UTC)
    subject: str  # the user
    client: str  # the calling application
    person_id: str  # the person's opaque id (Offender.id)
    person_keys: tuple[str, ...]  # keyed digests of the person's strong identifiers
    field_groups: tuple[str, ...]  # the field groups the user asked for and may see
    outcome: AuditOutcome
    correlation_id: str | None  # the request's, as the access log has it
    operation: str | None = None  # the GraphQL operation name, if any


class AuditSink(Protocol):
    """Where events go. ``record`` returns at once: it queues, it never waits or raises."""

    def record(self, event: AuditEvent) -> None: ...


class DiscardAudit:
    """No audit: for in-process tests that are about something else."""

    def record(self, event: AuditEvent) -> None:
        return None
