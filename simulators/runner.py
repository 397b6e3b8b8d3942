"""Start the whole simulated estate on real sockets; write the region config the gateway reads.

Each system is served by the simulator plugin of its dialect (:mod:`simulators.plugin`): this
module knows no dialect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp

from connectors.config import RegionConfig, parse_regions
from simulators.faults import FaultInjection, Faults, SimState
from simulators.plugin import SimulatorFactory, factory_for, load_simulators
from simulators.server import EstateAdmin, ServerGroup, free_port
from simulators.stores import SystemStore
from simulators.truth import Estate

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key that needs no quotes
REGION_DEFAULTS: dict[str, Any] = {"timeout": 2.0, "concurrency": 8}  # a plugin may override


@dataclass
class SimulatedSystem:
    """One running system: its store, live faults and counters, and how to reach it."""

    store: SystemStore
    state: SimState
    app: ASGIApp
    port: int
    region: Mapping[str, Any] = field(default_factory=dict)  # the plugin's region-table keys

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def region_table(self) -> dict[str, Any]:
        """This system's ``[regions.NAME]`` table for the gateway config."""
        return {
            "dialect": self.store.dialect,
            "kind": self.store.kind,
            "title": self.store.title,
            "base_url": self.url,
            **REGION_DEFAULTS,
            **self.region,
        }


def build_system(
    store: SystemStore,
    port: int = 0,
    faults: Faults | None = None,
    simulators: Mapping[str, SimulatorFactory] | None = None,
) -> SimulatedSystem:
    """The app of one store from its dialect's plugin, wrapped in fault injection, with fresh
    credentials (``simulators``: the factories by dialect; default: the installed ones)."""
    factory = factory_for(store, load_simulators() if simulators is None else simulators)
    state = SimState(faults, seed=port)
    port = port or free_port()
    built = factory.create(store, state, f"http://127.0.0.1:{port}/")
    return SimulatedSystem(store, state, FaultInjection(built.app, state), port, built.region)


class RunningEstate:
    """Every system of an estate served on 127.0.0.1, each on its own port."""

    def __init__(
        self,
        estate: Estate,
        base_port: int = 0,
        simulators: Mapping[str, SimulatorFactory] | None = None,
    ) -> None:
        self.estate = estate
        known = load_simulators() if simulators is None else simulators
        self.systems = {
            name: build_system(store, base_port + i if base_port else 0, simulators=known)
            for i, (name, store) in enumerate(estate.systems.items())
        }
        self.group = ServerGroup(
            [(EstateAdmin(s.app, estate, name), s.port) for name, s in self.systems.items()]
        )

    def start(self) -> RunningEstate:
        self.group.start()
        return self

    def stop(self) -> None:
        self.group.stop()

    def __enter__(self) -> RunningEstate:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def region_tables(self) -> dict[str, dict[str, Any]]:
        return {name: s.region_table() for name, s in self.systems.items()}

    def region_configs(self) -> tuple[RegionConfig, ...]:
        return parse_regions({"regions": self.region_tables()})

    def config_toml(
        self, gateway: Mapping[str, Any] | None = None, **tables: Mapping[str, Any]
    ) -> str:
        """A complete gateway config file for this estate, with ``[gateway]`` and any other
        tables (``cache={"url": ...}`` writes ``[cache]``). ``[auth]`` is authentication off
        unless ``auth=`` says otherwise (the demo trusts the development issuer)."""
        lines = ["# Written by `offender-graph simulate`: the simulated estate's regions.", ""]
        tables = {"auth": {"mode": "off"}, **tables}
        for name, table in {"gateway": gateway or {}, **tables}.items():
            if table:
                lines += [f"[{name}]", *(_assign(k, v) for k, v in table.items()), ""]
        for name, table in self.region_tables().items():
            lines.append(f"[regions.{name}]")
            lines += [_assign(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
            lines += [_assign(k, v) for k, v in table.items() if isinstance(v, Mapping)]
            lines.append("")
        return "\n".join(lines)


def _assign(key: str, value: Any) -> str:
    return f"{_key(key)} = {_value(value)}"


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _value(value: Any) -> str:
    """A TOML value: mappings as inline tables, sequences as arrays, scalars as JSON spells them
    (a JSON string is a TOML basic string)."""
    if isinstance(value, Mapping):
        return "{ " + ", ".join(_assign(k, v) for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value)
