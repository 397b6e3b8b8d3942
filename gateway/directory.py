"""A read-only directory of the configured regions: what each is and can do, and how it is.

``schema/`` and the service see regions only through this, never through connector objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from connectors.base import Capability, Connector
from connectors.identifiers import IdentifierKind
from connectors.records import SystemKind
from gateway.health import RegionHealth, RegionState
from gateway.pipeline.breaker import BreakerState, CircuitBreakers

__all__ = ["BreakerState", "RegionDirectory", "RegionInfo"]  # the graph reads breaker states here


@dataclass(frozen=True)
class RegionInfo:
    """One configured region, as clients and the service may know it."""

    name: str
    title: str
    kind: SystemKind
    dialect: str
    capabilities: frozenset[Capability]
    identifier_kinds: frozenset[IdentifierKind]
    find_includes: frozenset[Capability] = frozenset()  # facts a find reply may carry

    def offers(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def finds_by(self, kind: IdentifierKind) -> bool:
        """Whether the region can look a person up by an identifier of ``kind``."""
        return self.offers(Capability.FIND_BY_IDENTIFIERS) and kind in self.identifier_kinds


class RegionDirectory:
    """Every region in config order, with its live health and breaker state."""

    def __init__(
        self, connectors: Mapping[str, Connector], health: RegionHealth, breakers: CircuitBreakers
    ) -> None:
        self._regions = {
            name: RegionInfo(
                name=name,
                title=c.config.title,
                kind=c.config.kind,
                dialect=c.dialect,
                capabilities=c.capabilities,
                identifier_kinds=c.identifier_kinds,
                find_includes=c.find_includes,
            )
            for name, c in connectors.items()
        }
        self._health = health
        self._breakers = breakers

    def __iter__(self) -> Iterator[RegionInfo]:
        return iter(self._regions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._regions

    def __getitem__(self, name: str) -> RegionInfo:
        return self._regions[name]

    @property
    def names(self) -> list[str]:
        return list(self._regions)

    def health(self, name: str) -> RegionState:
        return self._health.state(name)

    def breaker(self, name: str) -> BreakerState:
        return self._breakers.state(name)
