"""The per-request context: the service, the region directory, and the failures to report."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.principal import Principal
from gateway.audit.events import AuditSink
from gateway.directory import RegionDirectory
from gateway.outcomes import RegionFailure
from gateway.service import OffenderService

Path = tuple[str | int, ...]


@dataclass
class GatewayContext:
    """Built fresh for every GraphQL request by the app's ``get_context``."""

    service: OffenderService
    directory: RegionDirectory
    principal: Principal  # who the request acts for (auth/)
    audit: AuditSink  # where every person resolved for them is recorded
    failures: list[tuple[RegionFailure, Path]] = field(default_factory=list)

    def report(self, failures: tuple[RegionFailure, ...] | list[RegionFailure], path: Path) -> None:
        """Remember failures once per (failure, path); the answer goes on without their data."""
        for failure in failures:
            if (failure, path) not in self.failures:
                self.failures.append((failure, path))
