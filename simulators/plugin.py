"""Simulator plugins: each dialect's simulated system, found through an entry-point group.

An entry in ``offender_graph.simulators`` names a :class:`SimulatorFactory` (an object, or a class
called without arguments) under its dialect's name. The runner asks it for the ASGI app of each
system of that dialect and for the dialect's part of the system's ``[regions.NAME]`` table; a
plugin may also declare :attr:`SimulatorFactory.systems`, systems it can add to the estate when
asked for by name (``offender-graph simulate --extra-system NAME``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

from starlette.types import ASGIApp

from simulators.faults import SimState
from simulators.layout import KINDS, SystemSpec
from simulators.stores import SystemStore

ENTRY_POINT_GROUP = "offender_graph.simulators"


class SimulatorError(Exception):
    """A simulator plugin or a system of the estate cannot be used (the message says which)."""


@dataclass(frozen=True)
class SimulatedApp:
    """What a factory builds for one system: its app and its dialect's region-table keys."""

    app: ASGIApp
    # Merged over the runner's defaults (timeout, concurrency) into [regions.NAME]: auth,
    # options, or anything else the dialect's connector reads. Nested mappings become inline
    # tables in the config file.
    region: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class SimulatorFactory(Protocol):
    """The simulated system of one dialect."""

    @property
    def dialect(self) -> str:
        """The dialect's name, as in the regions file (and the entry point's name)."""

    @property
    def kind(self) -> str:
        """``CUSTODY`` or ``PROBATION``: the kind of system it simulates."""

    @property
    def systems(self) -> Sequence[SystemSpec]:
        """Systems this plugin can add to the estate (empty for none)."""

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        """The app serving ``store`` at ``base_url`` (the runner wraps it in fault injection),
        with fresh credentials in both the app and :attr:`SimulatedApp.region`."""


def check_factory(candidate: object, where: str, dialect: str | None = None) -> SimulatorFactory:
    """``candidate`` (or an instance of it, if it is a class) as a factory, or a SimulatorError
    naming ``where`` and what is wrong."""
    factory: Any = candidate() if isinstance(candidate, type) else candidate
    problems = [
        f"{name} is not a string"
        for name in ("dialect", "kind")
        if not isinstance(getattr(factory, name, None), str)
    ]
    if not callable(getattr(factory, "create", None)):
        problems.append("it has no create(store, state, base_url) method")
    systems = getattr(factory, "systems", None)
    if not (isinstance(systems, Sequence) and all(isinstance(s, SystemSpec) for s in systems)):
        problems.append("systems is not a sequence of SystemSpec")
    if not problems and factory.kind not in KINDS:
        problems.append(f"kind {factory.kind!r} is not one of {', '.join(KINDS)}")
    if not problems and dialect is not None and factory.dialect != dialect:
        problems.append(f"its dialect is {factory.dialect!r}, not {dialect!r}")
    if problems or not isinstance(factory, SimulatorFactory):
        raise SimulatorError(f"{where} is not a simulator factory: {'; '.join(problems)}")
    return factory


def _describe(entry: EntryPoint) -> str:
    return f"simulator entry point {entry.name!r} ({entry.value})"


def load_simulators(entries: Iterable[EntryPoint] | None = None) -> dict[str, SimulatorFactory]:
    """Every installed simulator factory, by dialect name (``entries``: the entry points to use
    instead of the installed ones)."""
    found: dict[str, SimulatorFactory] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP) if entries is None else entries:
        where = _describe(entry)
        try:
            loaded = entry.load()
        except Exception as exc:  # an installed plugin that cannot even be imported
            raise SimulatorError(f"{where} cannot be loaded: {exc}") from exc
        found[entry.name] = check_factory(loaded, where, dialect=entry.name)
    return found


def factory_for(store: SystemStore, simulators: Mapping[str, SimulatorFactory]) -> SimulatorFactory:
    """The factory serving ``store``, or a SimulatorError naming the system and its dialect."""
    factory = simulators.get(store.dialect)
    if factory is None:
        installed = ", ".join(sorted(simulators)) or "none"
        raise SimulatorError(
            f"system {store.name!r}: no simulator for dialect {store.dialect!r} "
            f"(installed: {installed})"
        )
    if factory.kind != store.kind:
        raise SimulatorError(
            f"system {store.name!r}: the {store.dialect!r} simulator serves {factory.kind}, "
            f"not {store.kind}"
        )
    return factory


def declared_systems(
    names: Sequence[str], simulators: Mapping[str, SimulatorFactory] | None = None
) -> tuple[SystemSpec, ...]:
    """The systems called ``names`` among those the installed plugins declare, in that order."""
    known = {
        spec.name: spec
        for factory in (load_simulators() if simulators is None else simulators).values()
        for spec in factory.systems
    }
    missing = [name for name in names if name not in known]
    if missing:
        raise SimulatorError(
            f"no simulator plugin declares the system {', '.join(map(repr, missing))} "
            f"(declared: {', '.join(sorted(known)) or 'none'})"
        )
    return tuple(known[name] for name in dict.fromkeys(names))
