"""Build connectors from config: dialects are found through the entry-point group.

Every region is checked before any connector is built, and every problem reported at once, each
naming the region and the key: an unknown dialect, a kind the dialect does not serve, a declared
capability whose method the dialect does not override (refused: it would fail every call), and
the dialect's typed ``options`` (:mod:`connectors.options`: unknown keys, wrong types, missing
secrets). A method overridden but not declared is only logged as a warning: the gateway never
calls it, and a subclass may narrow its parent's capabilities without undoing its methods.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from importlib.metadata import entry_points

import httpx

from connectors.base import Capability, Connector
from connectors.config import ConfigProblems, RegionConfig, collect
from connectors.errors import ConfigurationError
from connectors.options import parse_options

ENTRY_POINT_GROUP = "offender_graph.connectors"
log = logging.getLogger(__name__)


def available_dialects() -> dict[str, type[Connector]]:
    """Every dialect installed in this environment, by name."""
    dialects: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigurationError(f"entry point {entry.name!r} is not a Connector subclass")
        dialects[entry.name] = cls
    return dialects


def implements(cls: type[Connector], capability: Capability) -> bool:
    """Whether ``cls`` overrides the base method behind ``capability``."""
    return getattr(cls, capability.value) is not getattr(Connector, capability.value)


def check_dialect(region: RegionConfig, cls: type[Connector]) -> None:
    """Refuse ``cls`` for ``region`` if a declared capability has no method or the options are
    wrong; warn of a method overridden but not declared."""
    where = f"regions.{region.name}"
    problems = [
        f"{where}.dialect: dialect {region.dialect!r} declares capability {capability} "
        f"but does not implement {capability.value}()"
        for capability in sorted(cls.capabilities)
        if not implements(cls, capability)
    ]
    for capability in sorted(set(Capability) - cls.capabilities):
        if implements(cls, capability):
            log.warning(
                "%s: dialect %s implements %s() but does not declare it; it is never called",
                where,
                region.dialect,
                capability.value,
            )
    collect(problems, partial(parse_options, cls.Options, region.name, region.options), None)
    if problems:
        raise ConfigProblems(problems)


def dialect_for(region: RegionConfig, known: Mapping[str, type[Connector]]) -> type[Connector]:
    """The checked dialect class serving ``region``, or the :class:`ConfigurationError` why not."""
    cls = known.get(region.dialect)
    if cls is None:
        raise ConfigurationError(
            f"regions.{region.name}.dialect: unknown dialect {region.dialect!r}; "
            f"installed: {', '.join(sorted(known)) or 'none'}"
        )
    if region.kind not in cls.kinds:
        raise ConfigurationError(
            f"regions.{region.name}.kind: dialect {region.dialect!r} does not serve {region.kind}"
        )
    check_dialect(region, cls)
    return cls


def build_connectors(
    regions: Sequence[RegionConfig],
    *,
    dialects: Mapping[str, type[Connector]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Connector]:
    """One connector per configured region, keyed by region name; :class:`ConfigProblems` naming
    every region's problems if any region is wrong."""
    known = dict(dialects) if dialects is not None else available_dialects()
    problems: list[str] = []
    classes = [collect(problems, partial(dialect_for, region, known), None) for region in regions]
    if problems:
        raise ConfigProblems(problems)
    connectors: dict[str, Connector] = {}
    for region, cls in zip(regions, classes, strict=True):
        assert cls is not None  # every region was checked
        connectors[region.name] = cls(region, transport=transport)
    return connectors
