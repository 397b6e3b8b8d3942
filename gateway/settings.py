"""Gateway settings: read once at start-up from the config file, then frozen.

Each table of the file is one frozen dataclass: ``[gateway]`` is :class:`GatewaySettings` itself,
``[cache]`` is :class:`CacheSettings` and ``[resilience]`` is :class:`ResilienceSettings`. One
reader (:func:`_table`) validates every table the same way: unknown keys and wrong types are named,
numbers must be positive (or zero where a field says so), values are never echoed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast, get_type_hints

from connectors.config import RegionConfig, parse_regions, read_toml
from connectors.errors import ConfigurationError

S = TypeVar("S")


@dataclass(frozen=True)
class CacheSettings:
    """``[cache]``: region answers kept for reuse; in memory unless ``url`` names a Redis."""

    enabled: bool = True
    url: str = ""  # e.g. redis://127.0.0.1:6379/0; empty: in-process memory
    default_ttl: float = 60.0  # seconds an answer stays fresh (regions may set cache_ttl)
    stale_grace: float = 600.0  # seconds past freshness an answer may stand in for a failure
    namespace: str = "og"  # key prefix, so several deployments can share one Redis


@dataclass(frozen=True)
class ResilienceSettings:
    """``[resilience]``: circuit breaker, retries and the background health probe."""

    failure_threshold: int = 5  # consecutive failures that open a region's breaker
    open_seconds: float = 10.0  # how long a breaker stays open before a trial call
    auth_open_seconds: float = 300.0  # open time after the region refused our credentials
    probe_interval: float = 5.0  # seconds between background health probes of each region
    retries: int = 2  # extra attempts for a retryable failure of an idempotent read
    backoff_initial: float = 0.05  # seconds before the first retry (doubles, with jitter)
    backoff_max: float = 0.5  # longest wait between attempts


@dataclass(frozen=True)
class GatewaySettings:
    """Everything ``create_app`` needs. The ``[gateway]`` table of the config file sets these."""

    regions: tuple[RegionConfig, ...]
    request_deadline: float = 5.0  # seconds for a whole GraphQL request's upstream work
    max_depth: int = 12
    max_aliases: int = 30  # each alias of offender() is a fan-out to every region
    max_tokens: int = 5000
    max_cost: int = 1500  # estimated upstream calls of one query (see schema/cost.py)
    max_page_size: int = 100
    max_pages_per_request: int = 200  # result pages one request may read from all regions
    introspection: bool = True
    graphiql: bool = True
    max_body_bytes: int = 256 * 1024
    body_timeout: float = 10.0  # seconds a client may take to send its request body
    id_key: str = field(default="", repr=False)  # base64 key of opaque offender ids (64 bytes)
    cache: CacheSettings = field(default_factory=CacheSettings)
    resilience: ResilienceSettings = field(default_factory=ResilienceSettings)


_TABLES: dict[str, type] = {"cache": CacheSettings, "resilience": ResilienceSettings}
_MAY_BE_ZERO = frozenset({"retries", "default_ttl", "stale_grace"})


def _table(cls: type[S], table: object, where: str, **given: Any) -> S:
    """Validate one table against the fields of ``cls`` (``given`` fields are not in the file)."""
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"[{where}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)} - set(given) - set(_TABLES)  # type: ignore[arg-type]
    options: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigurationError(f"{where}.{key} is not a known setting")
        expected = hints[key]
        accepted: tuple[type, ...] = (int, float) if expected is float else (expected,)
        if isinstance(value, bool) != (expected is bool) or not isinstance(value, accepted):
            raise ConfigurationError(f"{where}.{key} must be a {expected.__name__}")
        if expected in (int, float):
            number = cast(float, value)
            if number < 0 or (number == 0 and key not in _MAY_BE_ZERO):
                raise ConfigurationError(f"{where}.{key} must be positive")
            value = float(number) if expected is float else number
        options[key] = value
    return cls(**given, **options)


def parse_settings(document: Mapping[str, Any]) -> GatewaySettings:
    """Validate a parsed config document: ``[gateway]``, ``[cache]``, ``[resilience]`` and
    ``[regions.*]`` tables."""
    nested: dict[str, object] = {
        name: _table(cls, document.get(name, {}), name) for name, cls in _TABLES.items()
    }
    return _table(
        GatewaySettings,
        document.get("gateway", {}),
        "gateway",
        regions=parse_regions(document),
        **nested,
    )


def load_settings(path: Path) -> GatewaySettings:
    """Read and validate a gateway config file."""
    return parse_settings(read_toml(path))
