"""The region config file: one TOML table per region, validated at start-up with clear errors.

```toml
[regions.prison-north]
dialect = "soap-prison"          # an entry point in the group offender_graph.connectors
kind = "CUSTODY"                 # CUSTODY or PROBATION
title = "North prison group"
base_url = "http://127.0.0.1:8101/"
timeout = 2.0                    # seconds, per upstream call
concurrency = 8                  # parallel upstream calls at most
auth = { type = "none" }         # none | api_key | oauth2
max_reply_bytes = 8388608        # largest reply accepted, on the wire and decompressed
cache_ttl = { default = 60, search_people = 30 }  # seconds fresh, per operation (gateway cache)
options = { max_batch = 50 }     # the dialect's own options, typed by its Options class
```

``options`` is checked against the dialect's ``Options`` model (:mod:`connectors.options`) when
the connectors are built: unknown keys and wrong types are refused, naming the key; secret options
are references only. The raw table never shows in a ``repr``.

A secret (``auth.api_key``, ``auth.client_secret``) may be written in place or, better, by
reference, resolved once at start-up: ``api_key = { env = "NAME" }`` reads the environment variable
``NAME``, ``api_key = { file = "PATH" }`` reads a file (relative to the working directory; leading
and trailing whitespace dropped). A missing variable or unreadable file is an error naming the key,
never the value. Every region is checked, so one error per region is reported at once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from connectors.errors import ConfigurationError
from connectors.records import SystemKind

AUTH_TYPES = ("none", "api_key", "oauth2")
SECRET_SOURCES = ("env", "file")
T = TypeVar("T")


class ConfigProblems(ConfigurationError):
    """Every problem found in a config at once, each naming its table and key."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def collect(problems: list[str], build: Callable[[], T], fallback: T) -> T:
    """``build()``; or, when it finds the config wrong, ``fallback`` with the problems noted."""
    try:
        return build()
    except ConfigProblems as exc:
        problems.extend(exc.problems)
    except ConfigurationError as exc:
        problems.append(str(exc))
    return fallback


def resolve_secret(value: object, where: str) -> str:
    """A secret written in place, or read from ``{ env = "NAME" }`` or ``{ file = "PATH" }``.
    Errors name ``where`` and the variable or file, never the secret."""
    if isinstance(value, str):
        return value
    if (
        not isinstance(value, Mapping)
        or len(value) != 1
        or not set(value) <= set(SECRET_SOURCES)
        or not all(isinstance(name, str) and name for name in value.values())
    ):
        raise ConfigurationError(
            f'{where} must be a string, {{ env = "NAME" }} or {{ file = "PATH" }}'
        )
    ((source, name),) = value.items()
    if source == "env":
        secret = os.environ.get(name)
        if secret is None:
            raise ConfigurationError(f"{where}: environment variable {name} is not set")
        origin = f"environment variable {name}"
    else:
        try:
            secret = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ConfigurationError(f"{where}: cannot read secret file {name}: {reason}") from None
        origin = f"secret file {name}"
    if not secret.strip():
        raise ConfigurationError(f"{where}: {origin} is empty")
    return secret.strip()


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How a connector authenticates to its region. Secrets never appear in ``repr``."""

    type: str = "none"
    header: str = "X-API-Key"
    api_key: str = field(default="", repr=False)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class RegionConfig:
    """One configured region: which dialect speaks to it, where, and within what limits."""

    name: str
    dialect: str
    kind: SystemKind
    base_url: str
    title: str = ""
    timeout: float = 2.0
    concurrency: int = 8
    auth: AuthConfig = field(default_factory=AuthConfig)
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)  # see Connector.Options
    max_reply_bytes: int = 8 * 1024 * 1024
    cache_ttl: Mapping[str, float] = field(default_factory=dict)  # operation or "default" -> s


REGION_KEYS = frozenset(
    {
        "dialect",
        "kind",
        "base_url",
        "title",
        "timeout",
        "concurrency",
        "auth",
        "options",
        "max_reply_bytes",
        "cache_ttl",
    }
)
CACHE_TTL_KEYS = frozenset(
    {
        "default",
        "find_by_identifiers",
        "search_people",
        "custody_for",
        "movements_for",
        "supervision_for",
        "managers_for",
        "alerts_for",
    }
)
AUTH_KEYS = frozenset({"type", "header", "api_key", "token_url", "client_id", "client_secret"})


def _require(table: Mapping[str, Any], key: str, where: str, kind: type) -> Any:
    """A required value of one type. Values are never echoed: they may be secrets."""
    if key not in table:
        raise ConfigurationError(f"{where}.{key} is required")
    value = table[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigurationError(
            f"{where}.{key} must be a {kind.__name__}, not a {type(value).__name__}"
        )
    return value


def _secret(table: Mapping[str, Any], key: str, where: str) -> str:
    """A required secret, in place or by reference (see :func:`resolve_secret`)."""
    if key not in table:
        raise ConfigurationError(f"{where}.{key} is required")
    return resolve_secret(table[key], f"{where}.{key}")


def _number(table: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        raise ConfigurationError(f"{where}.{key} must be a positive number")
    return float(value)


def _count(table: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{where}.{key} must be a whole number of at least 1")
    return value


def _known_keys(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )


def parse_auth(table: Mapping[str, Any], where: str) -> AuthConfig:
    """Validate an ``auth`` table for the type it names."""
    if not isinstance(table, Mapping):
        raise ConfigurationError(f'{where} must be a table, e.g. {{ type = "none" }}')
    _known_keys(table, AUTH_KEYS, where)
    auth_type = table.get("type", "none")
    if auth_type not in AUTH_TYPES:
        raise ConfigurationError(f"{where}.type must be one of {', '.join(AUTH_TYPES)}")
    if auth_type == "api_key":
        return AuthConfig(
            type="api_key",
            header=str(table.get("header", "X-API-Key")),
            api_key=_secret(table, "api_key", where),
        )
    if auth_type == "oauth2":
        return AuthConfig(
            type="oauth2",
            token_url=_require(table, "token_url", where, str),
            client_id=_require(table, "client_id", where, str),
            client_secret=_secret(table, "client_secret", where),
        )
    return AuthConfig()


def parse_region(name: str, table: Mapping[str, Any]) -> RegionConfig:
    """Validate one ``[regions.NAME]`` table."""
    where = f"regions.{name}"
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{where} must be a table")
    _known_keys(table, REGION_KEYS, where)
    kind_text = _require(table, "kind", where, str)
    try:
        kind = SystemKind(kind_text)
    except ValueError:
        raise ConfigurationError(f"{where}.kind must be CUSTODY or PROBATION") from None
    base_url = _require(table, "base_url", where, str)
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{where}.base_url must be an http(s) URL")
    options = table.get("options", {})
    if not isinstance(options, Mapping):
        raise ConfigurationError(f"{where}.options must be a table")
    return RegionConfig(
        max_reply_bytes=_count(table, "max_reply_bytes", where, 8 * 1024 * 1024),
        cache_ttl=_cache_ttl(table.get("cache_ttl", {}), f"{where}.cache_ttl"),
        name=name,
        dialect=_require(table, "dialect", where, str),
        kind=kind,
        base_url=base_url,
        title=str(table.get("title", name)),
        timeout=_number(table, "timeout", where, 2.0),
        concurrency=_count(table, "concurrency", where, 8),
        auth=parse_auth(table.get("auth", {}), f"{where}.auth"),
        options=dict(options),
    )


def _cache_ttl(table: object, where: str) -> dict[str, float]:
    """Seconds an answer stays fresh, per operation; 0 turns caching off for it."""
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{where} must be a table, e.g. {{ default = 60 }}")
    _known_keys(table, CACHE_TTL_KEYS, where)
    ttl: dict[str, float] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
            raise ConfigurationError(f"{where}.{key} must be a number of seconds (0 or more)")
        ttl[key] = float(value)
    return ttl


def parse_regions(document: Mapping[str, Any]) -> tuple[RegionConfig, ...]:
    """All regions of a parsed config document, in file order; every region is checked before
    :class:`ConfigProblems` reports what is wrong."""
    regions = document.get("regions")
    if not isinstance(regions, Mapping) or not regions:
        raise ConfigurationError("the config needs at least one [regions.NAME] table")
    problems: list[str] = []
    parsed = [
        collect(problems, partial(parse_region, name, table), None)
        for name, table in regions.items()
    ]
    if problems:
        raise ConfigProblems(problems)
    return tuple(region for region in parsed if region is not None)


def read_toml(path: Path) -> dict[str, Any]:
    """A config file's document, or a ConfigurationError that says what is wrong with the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"config file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"config file {path} cannot be read: {exc.strerror}") from None


def load_regions(path: Path) -> tuple[RegionConfig, ...]:
    """Read and validate a region config file."""
    return parse_regions(read_toml(path))
