"""Start the whole simulated estate on real sockets; write the region config the gateway reads."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp

from connectors.config import RegionConfig, parse_regions
from simulators.faults import FaultInjection, Faults, SimState
from simulators.rest_camel import create_camel_app
from simulators.rest_snake import create_snake_app
from simulators.server import ServerGroup, free_port
from simulators.soap_prison import create_prison_app
from simulators.stores import SystemStore
from simulators.truth import Estate


@dataclass
class SimulatedSystem:
    """One running system: its store, live faults and counters, and how to reach it."""

    store: SystemStore
    state: SimState
    app: ASGIApp
    port: int
    auth: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def region_table(self) -> dict[str, Any]:
        """This system's ``[regions.NAME]`` table for the gateway config."""
        auth: dict[str, str] = {"type": "none"}
        if self.store.dialect == "rest-camel":
            auth = {"type": "oauth2", "token_url": self.url + "oauth/token", **self.auth}
        elif self.store.dialect == "rest-snake":
            auth = {"type": "api_key", "header": "X-API-Key", **self.auth}
        return {
            "dialect": self.store.dialect,
            "kind": self.store.kind,
            "title": self.store.title,
            "base_url": self.url,
            "timeout": 2.0,
            "concurrency": 8,
            "auth": auth,
        }


def build_system(
    store: SystemStore, port: int = 0, faults: Faults | None = None
) -> SimulatedSystem:
    """The ASGI app of one store, wrapped in fault injection, with fresh credentials."""
    state = SimState(faults, seed=port)
    auth: dict[str, str] = {}
    if store.dialect == "soap-prison":
        app: ASGIApp = create_prison_app(store, state)
    elif store.dialect == "rest-camel":
        auth = {"client_id": f"gateway-{store.name}", "client_secret": secrets.token_urlsafe(24)}
        app = create_camel_app(
            store, state, client_id=auth["client_id"], client_secret=auth["client_secret"]
        )
    elif store.dialect == "rest-snake":
        auth = {"api_key": secrets.token_urlsafe(24)}
        app = create_snake_app(store, state, api_key=auth["api_key"])
    else:
        raise ValueError(f"no simulator for dialect {store.dialect!r}")
    return SimulatedSystem(store, state, FaultInjection(app, state), port or free_port(), auth)


class RunningEstate:
    """Every system of an estate served on 127.0.0.1, each on its own port."""

    def __init__(self, estate: Estate, base_port: int = 0) -> None:
        self.estate = estate
        self.systems = {
            name: build_system(store, base_port + i if base_port else 0)
            for i, (name, store) in enumerate(estate.systems.items())
        }
        self.group = ServerGroup([(s.app, s.port) for s in self.systems.values()])

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
        tables (``cache={"url": ...}`` writes ``[cache]``)."""
        lines = ["# Written by `offender-graph simulate`: the simulated estate's regions.", ""]
        for name, table in {"gateway": gateway or {}, **tables}.items():
            if table:
                lines += [f"[{name}]", *(_assign(k, v) for k, v in table.items()), ""]
        for name, table in self.region_tables().items():
            lines.append(f"[regions.{name}]")
            lines += [_assign(k, v) for k, v in table.items() if not isinstance(v, dict)]
            auth = ", ".join(f"{k} = {json.dumps(v)}" for k, v in table["auth"].items())
            lines += [f"auth = {{ {auth} }}", ""]
        return "\n".join(lines)


def _assign(key: str, value: Any) -> str:
    return f"{key} = {json.dumps(value)}"
