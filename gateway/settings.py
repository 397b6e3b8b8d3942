"""Gateway settings: read once at start-up from the config file, then frozen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.config import RegionConfig, parse_regions, read_toml
from connectors.errors import ConfigurationError


@dataclass(frozen=True)
class GatewaySettings:
    """Everything ``create_app`` needs. The ``[gateway]`` table of the config file sets these."""

    regions: tuple[RegionConfig, ...]
    request_deadline: float = 5.0  # seconds for a whole GraphQL request's upstream work
    max_depth: int = 12
    max_aliases: int = 30  # each alias of offender() is a fan-out to every region
    max_tokens: int = 5000
    max_page_size: int = 100
    introspection: bool = True
    graphiql: bool = True
    max_body_bytes: int = 256 * 1024


_GATEWAY_KEYS: dict[str, type | tuple[type, ...]] = {
    "request_deadline": (int, float),
    "max_depth": int,
    "max_aliases": int,
    "max_tokens": int,
    "max_page_size": int,
    "introspection": bool,
    "graphiql": bool,
    "max_body_bytes": int,
}


def parse_settings(document: Mapping[str, Any]) -> GatewaySettings:
    """Validate a parsed config document: ``[gateway]`` options and ``[regions.*]`` tables."""
    table = document.get("gateway", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[gateway] must be a table")
    options: dict[str, Any] = {}
    for key, value in table.items():
        expected = _GATEWAY_KEYS.get(key)
        if expected is None:
            raise ConfigurationError(f"gateway.{key} is not a known setting")
        wrong_bool = isinstance(value, bool) and expected is not bool
        if wrong_bool or not isinstance(value, expected):
            raise ConfigurationError(f"gateway.{key} has the wrong type: {value!r}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value <= 0:
                raise ConfigurationError(f"gateway.{key} must be positive")
            options[key] = float(value) if key == "request_deadline" else value
        else:
            options[key] = value
    return GatewaySettings(regions=parse_regions(document), **options)


def load_settings(path: Path) -> GatewaySettings:
    """Read and validate a gateway config file."""
    return parse_settings(read_toml(path))
