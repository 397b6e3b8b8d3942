"""``offender-graph config check FILE``: validate a config file, with the environment applied, as
the gateway would at start-up, without starting anything or contacting any region."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from connectors.base import Connector
from connectors.config import ConfigProblems, collect
from connectors.errors import ConfigurationError
from connectors.registry import available_dialects, check_dialect
from gateway.cache_store import build_store
from gateway.http_stack import cors_origins
from gateway.ids import OffenderIds
from gateway.settings import GatewaySettings, load_settings
from gateway.trusted_documents import load_trusted_documents


def check_config(path: Path) -> GatewaySettings:
    """The settings of ``path``, or :class:`ConfigProblems` naming every problem found: the file's
    keys, each region's dialect (installed, serving its kind), the cache URL, the id key and the
    trusted documents' manifest."""
    settings = load_settings(path)
    problems: list[str] = []
    none: dict[str, type[Connector]] = {}
    dialects = collect(problems, available_dialects, none)
    problems += dialect_problems(settings, dialects)
    collect(problems, lambda: asyncio.run(build_store(settings.cache).aclose()), None)
    if settings.id_key:
        collect(problems, lambda: OffenderIds.from_setting(settings.id_key), None)
    no_origins: list[str] = []
    collect(problems, lambda: cors_origins(settings), no_origins)
    trusted = partial(load_trusted_documents, settings.trusted_documents, settings.adhoc_documents)
    collect(problems, trusted, None)
    if problems:
        raise ConfigProblems(problems)
    return settings


def dialect_problems(
    settings: GatewaySettings, dialects: Mapping[str, type[Connector]]
) -> list[str]:
    """A region whose dialect is not installed, does not serve the region's kind, declares a
    capability it does not implement, or refuses the region's ``options``."""
    problems: list[str] = []
    for region in settings.regions:
        where = f"regions.{region.name}"
        cls = dialects.get(region.dialect)
        if cls is None:
            installed = ", ".join(sorted(dialects)) or "none"
            problems.append(f"{where}.dialect: no dialect of that name; installed: {installed}")
        elif region.kind not in cls.kinds:
            problems.append(f"{where}.kind: dialect {region.dialect} does not serve {region.kind}")
        else:
            collect(problems, partial(check_dialect, region, cls), None)
    return problems


def summary(settings: GatewaySettings) -> str:
    """One line of what the config sets up, without any secret."""
    by_dialect: dict[str, list[str]] = {}
    for region in settings.regions:
        by_dialect.setdefault(region.dialect, []).append(region.name)
    regions = "; ".join(f"{dialect}: {', '.join(names)}" for dialect, names in by_dialect.items())
    cache = "off" if not settings.cache.enabled else "memory (per process)"
    if settings.cache.enabled and settings.cache.url:
        parts = urlsplit(settings.cache.url)  # host and port only: the URL may hold a password
        cache = f"redis at {parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
    key = "set" if settings.id_key else "not set (ids change at restart)"
    count = f"{len(settings.regions)} region{'s' if len(settings.regions) > 1 else ''}"
    return f"config OK: {count} ({regions}); cache {cache}; id_key {key}"


def run_check(path: Path) -> tuple[int, list[str]]:
    """The exit code and the lines to print: the summary (0), or each problem (1)."""
    try:
        return 0, [summary(check_config(path))]
    except ConfigProblems as exc:
        return 1, [f"{path}: {problem}" for problem in exc.problems]
    except ConfigurationError as exc:  # the file itself (its message names it) or the environment
        return 1, [str(exc)]
