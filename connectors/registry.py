"""Build connectors from config: dialects are found through the entry-point group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points

import httpx

from connectors.base import Connector
from connectors.config import RegionConfig
from connectors.errors import ConfigurationError

ENTRY_POINT_GROUP = "offender_graph.connectors"


def available_dialects() -> dict[str, type[Connector]]:
    """Every dialect installed in this environment, by name."""
    dialects: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigurationError(f"entry point {entry.name!r} is not a Connector subclass")
        dialects[entry.name] = cls
    return dialects


def build_connectors(
    regions: Sequence[RegionConfig],
    *,
    dialects: Mapping[str, type[Connector]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Connector]:
    """One connector per configured region, keyed by region name."""
    known = dict(dialects) if dialects is not None else available_dialects()
    connectors: dict[str, Connector] = {}
    for region in regions:
        cls = known.get(region.dialect)
        if cls is None:
            raise ConfigurationError(
                f"regions.{region.name}.dialect: unknown dialect {region.dialect!r}; "
                f"installed: {', '.join(sorted(known)) or 'none'}"
            )
        if region.kind not in cls.kinds:
            raise ConfigurationError(
                f"regions.{region.name}.kind: dialect {region.dialect!r} "
                f"does not serve {region.kind}"
            )
        connectors[region.name] = cls(region, transport=transport)
    return connectors
