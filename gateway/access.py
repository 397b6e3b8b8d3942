"""The policy applied in the service layer, and the audit of every person resolved.

One :class:`RequestAccess` per request: who asks (the principal), the policy, where audit
events go. It decides after the cache (the facts a decision needs come through the request's
loaders, shared and cached like any other read; a decision is this request's alone, so users'
visibility never mixes) and records one event per person per request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from auth.policy import (
    SHOW_ALL,
    Decision,
    FieldGroup,
    PersonView,
    Policy,
    Scope,
    Visibility,
    decide,
)
from auth.principal import Principal
from connectors.identifiers import Identifier
from connectors.records import CustodyEpisode, PersonRecord, SupervisionEpisode
from gateway.audit.events import AuditEvent, AuditOutcome, AuditSink, DiscardAudit
from gateway.ids import OffenderIds
from gateway.observability.access_log import current_request

log = logging.getLogger("offender_graph.access")

OPEN_POLICY = Policy({})  # with an unrestricted principal the roles are never read

_OUTCOMES = {
    Visibility.SHOWN: AuditOutcome.SHOWN,
    Visibility.REDACTED: AuditOutcome.REDACTED,
    Visibility.HIDDEN: AuditOutcome.NOT_FOUND,
}


class RequestAccess:
    """What one request's principal may see, and the audit of what they were given."""

    def __init__(
        self,
        principal: Principal | None = None,
        policy: Policy = OPEN_POLICY,
        audit: AuditSink | None = None,
    ) -> None:
        self.principal = principal or Principal.development()
        self.policy = policy
        self.audit = audit or DiscardAudit()
        self._recorded: set[str] = set()

    @property
    def unrestricted(self) -> bool:
        return self.principal.unrestricted

    @property
    def scopes(self) -> frozenset[Scope]:
        """The scopes a decision will look at: custody is needed for a caseload, supervision
        for regions (none for an unrestricted principal)."""
        return frozenset() if self.unrestricted else self.policy.scopes(self.principal)

    def decide(
        self,
        records: Iterable[PersonRecord],
        custody: Iterable[CustodyEpisode],
        supervision: Iterable[SupervisionEpisode],
    ) -> Decision:
        if self.unrestricted:
            return SHOW_ALL
        view = PersonView(
            prisons=frozenset(c.prison_id for c in custody if c.active),
            probation_regions=frozenset(s.probation_region for s in supervision),
            limits=tuple(r.access for r in records if r.access.limited),
        )
        return decide(self.policy, self.principal, view)

    def record(
        self,
        person_id: str,
        identifiers: Iterable[Identifier],
        ids: OffenderIds,
        decision: Decision,
        asked: Iterable[FieldGroup],
    ) -> None:
        """One event for this person in this request (the first resolution counts); never
        fails the request."""
        if person_id in self._recorded:
            return
        self._recorded.add(person_id)
        try:
            facts = current_request()
            groups = sorted(g.value for g in asked if decision.allows(g))
            self.audit.record(
                AuditEvent(
                    at=datetime.now(UTC),
                    subject=self.principal.subject,
                    client=self.principal.client,
                    person_id=person_id,
                    person_keys=tuple(ids.digest(i) for i in identifiers),
                    field_groups=tuple(groups),
                    outcome=_OUTCOMES[decision.visibility],
                    correlation_id=facts.correlation_id if facts else None,
                    operation=facts.operation if facts else None,
                )
            )
        except Exception:  # an audit failure must cost the answer nothing
            log.exception("audit event not recorded")
