"""Gateway settings: read once at start-up from the config file and the environment, then frozen.

Each table of the file is one frozen dataclass: ``[gateway]`` is :class:`GatewaySettings` itself,
``[cache]`` is :class:`CacheSettings`, ``[resilience]`` is :class:`ResilienceSettings` and
``[auth]`` is :class:`AuthSettings`. Every
key may also be set by an environment variable ``OFFENDER_GRAPH_<TABLE>__<KEY>`` (read with
pydantic-settings, any case), which wins over the file, which wins over the default. One reader
(:func:`_table`) validates every table the same way: unknown keys and wrong types are named (with
the variable, for a value from the environment), numbers must be positive (or zero where a field
says so), values are never echoed. The secrets ``gateway.id_key`` and ``cache.url`` (it may hold a
Redis password) may be given by reference, ``{ env = "NAME" }`` or ``{ file = "PATH" }``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast, get_type_hints

from pydantic import Field, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from connectors.config import (
    ConfigProblems,
    RegionConfig,
    collect,
    parse_regions,
    read_toml,
    resolve_secret,
)
from connectors.errors import ConfigurationError

ENV_PREFIX = "OFFENDER_GRAPH_"


@dataclass(frozen=True)
class CacheSettings:
    """``[cache]``: region answers kept for reuse; in memory unless ``url`` names a Redis."""

    enabled: bool = True
    url: str = field(default="", repr=False)  # redis://[:password@]host:port/db; empty: memory
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
class AuditSettings:
    """``[audit]``: the log of every person resolved for a user (README "Audit log")."""

    enabled: bool = True
    url: str = field(default="", repr=False)  # "", sqlite:///PATH or postgresql://...
    queue_size: int = 10_000  # events held in memory for the writer; past it they spill
    batch_size: int = 200  # events written in one transaction
    spill_dir: str = "var/audit-spill"  # where events wait while the store is unreachable


@dataclass(frozen=True)
class IndexSettings:
    """``[index]``: the person index (stable ids; a known person asked of their regions only)."""

    enabled: bool = True
    url: str = field(default="", repr=False)  # "", :memory:, sqlite:///PATH or postgresql://...
    ttl: float = 86_400.0  # seconds an entry is trusted (people move): a day


AUTH_MODES = ("jwt", "off")
AUTH_ALGORITHMS = ("RS256", "ES256")
DEV_ISSUER = "offender-graph-dev"  # the local development issuer's `iss` (auth/dev_issuer.py)


@dataclass(frozen=True)
class AuthSettings:
    """``[auth]``: who a request acts for, from an OAuth2 bearer JWT (``mode = "off"``: nobody is
    asked; every request acts for the unrestricted development principal)."""

    mode: str = "jwt"  # "jwt" or "off"
    issuer: str = ""  # the tokens' `iss`; required with "jwt" (unless the dev issuer is on)
    audience: str = ""  # the tokens' `aud`; required with "jwt" (unless the dev issuer is on)
    jwks_url: str = ""  # the issuer's key set; required with "jwt" (unless the dev issuer is on)
    algorithms: str = "RS256 ES256"  # accepted signature algorithms (space-separated)
    leeway: float = 30.0  # seconds of clock skew allowed on exp and nbf
    jwks_cache_seconds: float = 300.0  # how long a fetched key set is used before a refetch
    jwks_refetch_seconds: float = 30.0  # least time between refetches for an unknown kid
    jwks_timeout: float = 3.0  # seconds one key set fetch may take
    roles_claim: str = "roles"  # a list of roles, or a space-separated string (as `scope`)
    prisons_claim: str = "caseload"  # the prison ids of the user's caseload
    regions_claim: str = "probation_regions"  # the probation region codes of the user
    client_claims: str = "azp client_id"  # the first of these present names the client
    operator_role: str = "OPERATOR"  # the role that sees /ready details, /status and /metrics
    dev_issuer: bool = False  # serve and trust the local development issuer (never in production)
    dev_key_file: str = "var/dev-issuer-key.pem"  # the dev issuer's private key (made if absent)


@dataclass(frozen=True)
class PolicySettings:
    """``[policy]``: who may see whom and which fields (README "Roles, scopes and the policy
    file"); ``file`` empty: the policy shipped in the package (``auth/default_policy.toml``)."""

    file: str = ""  # a TOML policy file: roles → scope and field groups, limited-access mode


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
    introspection: bool = False  # production defaults: both off unless configured
    graphiql: bool = False
    trusted_documents: str = ""  # the front-end build's manifest of trusted documents (JSON)
    adhoc_documents: bool = True  # false: only trusted documents run (needs trusted_documents)
    document_cache_size: int = 1000  # documents kept parsed and validated (0: none)
    max_body_bytes: int = 256 * 1024
    body_timeout: float = 10.0  # seconds a client may take to send its request body
    cors_origins: str = ""  # browser origins allowed to call (space-separated); empty: CORS off
    compress_min_bytes: int = 1024  # answers this large or more are gzipped (if accepted)
    id_key: str = field(default="", repr=False)  # base64 key of opaque offender ids (64 bytes)
    cache: CacheSettings = field(default_factory=CacheSettings)
    resilience: ResilienceSettings = field(default_factory=ResilienceSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    index: IndexSettings = field(default_factory=IndexSettings)


class _Environment(BaseSettings):
    """The settings in the environment, as text: ``OFFENDER_GRAPH_CACHE__URL`` is ``cache.url``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore"
    )
    gateway: dict[str, str] = Field(default_factory=dict)
    cache: dict[str, str] = Field(default_factory=dict)
    resilience: dict[str, str] = Field(default_factory=dict)
    auth: dict[str, str] = Field(default_factory=dict)
    audit: dict[str, str] = Field(default_factory=dict)
    policy: dict[str, str] = Field(default_factory=dict)
    index: dict[str, str] = Field(default_factory=dict)


_TABLES: dict[str, type] = {
    "gateway": GatewaySettings,
    "cache": CacheSettings,
    "resilience": ResilienceSettings,
    "auth": AuthSettings,
    "audit": AuditSettings,
    "policy": PolicySettings,
    "index": IndexSettings,
}
_MAY_BE_ZERO = frozenset({"retries", "default_ttl", "stale_grace", "document_cache_size"})
_SECRETS = frozenset({"id_key", "url"})  # may be given as { env = "NAME" } or { file = "PATH" }
_KINDS = {bool: "boolean", int: "whole number", float: "number", str: "string"}


def environment_variable(table: str, key: str) -> str:
    """The variable that sets ``table.key``: ``OFFENDER_GRAPH_CACHE__URL`` for ``cache.url``."""
    return f"{ENV_PREFIX}{table}__{key}".upper()


def _environment() -> dict[str, dict[str, str]]:
    try:
        return _Environment().model_dump()
    except (SettingsError, ValidationError):
        names = ", ".join(ENV_PREFIX + table.upper() for table in _TABLES)
        raise ConfigurationError(
            f"the environment variables {names} must be unset or JSON objects of strings; "
            f"set one key with {ENV_PREFIX}<TABLE>__<KEY>"
        ) from None


def _value(name: str, key: str, expected: type, value: object, text: bool) -> object:
    """One setting checked against its field's type; ``text``: a string from the environment."""
    if key in _SECRETS and not text:
        value = resolve_secret(value, name)
    if text and expected is not str:
        try:
            value = TypeAdapter(expected).validate_strings(cast(str, value))
        except ValidationError:
            raise ConfigurationError(f"{name} must be a {_KINDS[expected]}") from None
    accepted: tuple[type, ...] = (int, float) if expected is float else (expected,)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, accepted):
        raise ConfigurationError(f"{name} must be a {_KINDS[expected]}")
    if expected in (int, float):
        number = cast(float, value)
        if not math.isfinite(number) or number < 0 or (number == 0 and key not in _MAY_BE_ZERO):
            least = "zero or more" if key in _MAY_BE_ZERO else "positive"
            raise ConfigurationError(f"{name} must be {least}")
        return float(number) if expected is float else number
    return value


def _table(cls: type, table: object, where: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """The validated keys of one table of ``cls``, the environment's over the file's; every
    problem is reported at once."""
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"[{where}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)} - {"regions"} - set(_TABLES)
    given: dict[str, tuple[object, str]] = {key: (value, "") for key, value in table.items()}
    for key, text in environment.items():
        given[key] = (text, environment_variable(where, key))
    options: dict[str, Any] = {}
    problems: list[str] = []
    for key, (value, variable) in given.items():
        name = f"{where}.{key}" + (f" (from {variable})" if variable else "")
        if key not in known:
            problems.append(f"{name} is not a known setting")
            continue
        options[key] = collect(
            problems, partial(_value, name, key, hints[key], value, bool(variable)), None
        )
    if problems:
        raise ConfigProblems(problems)
    return options


def parse_settings(document: Mapping[str, Any]) -> GatewaySettings:
    """Validate a parsed config document (``[gateway]``, ``[cache]``, ``[resilience]`` and
    ``[regions.*]`` tables) with the environment applied; every problem is reported at once."""
    environment = _environment()
    problems: list[str] = []
    none: dict[str, Any] = {}
    tables = {
        name: collect(
            problems, partial(_table, cls, document.get(name, {}), name, environment[name]), none
        )
        for name, cls in _TABLES.items()
    }
    regions = collect(
        problems, partial(parse_regions, document), cast(tuple[RegionConfig, ...], ())
    )
    auth = AuthSettings(mode="off")  # a placeholder when [auth] itself is wrong
    if tables["auth"] is not none:
        auth = collect(problems, partial(_auth, tables["auth"]), auth)
    if problems:
        raise ConfigProblems(problems)
    return GatewaySettings(
        regions=regions,
        cache=CacheSettings(**tables["cache"]),
        resilience=ResilienceSettings(**tables["resilience"]),
        auth=auth,
        audit=AuditSettings(**tables["audit"]),
        policy=PolicySettings(**tables["policy"]),
        index=IndexSettings(**tables["index"]),
        **tables["gateway"],
    )


def _auth(options: Mapping[str, Any]) -> AuthSettings:
    """``[auth]``, its keys checked together: a known mode and algorithms, and with "jwt" the
    issuer, audience and key set (or the development issuer, which cannot stand for another)."""
    auth = AuthSettings(**options)
    problems: list[str] = []
    if auth.mode not in AUTH_MODES:
        problems.append(f"auth.mode must be one of {', '.join(AUTH_MODES)}")
    algorithms = auth.algorithms.split()
    if not algorithms or not set(algorithms) <= set(AUTH_ALGORITHMS):
        problems.append(f"auth.algorithms must name some of {', '.join(AUTH_ALGORITHMS)}")
    if auth.mode == "jwt" and auth.dev_issuer:
        if auth.issuer not in ("", DEV_ISSUER) or auth.jwks_url:
            problems.append(
                "auth.dev_issuer trusts only the development issuer: unset auth.issuer and "
                "auth.jwks_url, or turn auth.dev_issuer off"
            )
    elif auth.mode == "jwt":
        missing = [
            f"auth.{key}" for key in ("issuer", "audience", "jwks_url") if not options.get(key)
        ]
        if missing:
            problems.append(f'auth.mode = "jwt" needs {", ".join(missing)} (or auth.mode = "off")')
    if problems:
        raise ConfigProblems(problems)
    return auth


def load_settings(path: Path) -> GatewaySettings:
    """Read and validate a gateway config file, with the environment applied."""
    return parse_settings(read_toml(path))
