"""The per-request context: loaders, the request's deadline and the region errors it collected."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.base import Connector
from connectors.errors import ConnectorError
from gateway.health import RegionHealth
from gateway.loaders import RegionLoaders


@dataclass(frozen=True)
class RegionIssue:
    """A region error met while answering one field."""

    error: ConnectorError
    path: tuple[str | int, ...]


@dataclass
class GatewayContext:
    """Built fresh for every GraphQL request by the app's ``get_context``."""

    connectors: Mapping[str, Connector]
    health: RegionHealth
    loaders: RegionLoaders
    max_page_size: int = 100
    issues: list[RegionIssue] = field(default_factory=list)

    def report(self, error: ConnectorError, path: tuple[str | int, ...]) -> None:
        """Remember a region error once per (region, code, path); the answer goes on without it."""
        for issue in self.issues:
            if (issue.error.region, issue.error.code, issue.path) == (
                error.region,
                error.code,
                path,
            ):
                return
        self.issues.append(RegionIssue(error, path))


def new_context(
    connectors: Mapping[str, Connector],
    health: RegionHealth,
    *,
    deadline_seconds: float,
    max_page_size: int,
) -> GatewayContext:
    """A context whose loaders share one deadline, ``deadline_seconds`` from now."""
    loaders = RegionLoaders(connectors, health, deadline=time.monotonic() + deadline_seconds)
    return GatewayContext(connectors, health, loaders, max_page_size=max_page_size)
