"""`offender-graph cache invalidate` as an operator runs it: a fresh process per command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import PersonName, PersonRecord
from gateway.cache_store import CacheStore, Entry
from gateway.pipeline.cache import cache_key
from tests.services import require_redis

REGIONS = """
[regions.prison-north]
dialect = "soap-prison"
kind = "CUSTODY"
base_url = "http://127.0.0.1:9/"

[regions.probation-east]
dialect = "rest-camel"
kind = "PROBATION"
base_url = "http://127.0.0.1:9/"

[auth]
mode = "off"
"""
NOMS = Identifier(IdentifierKind.NOMS, "A1234AA")


def invalidate(identifier: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "cache",
            "invalidate",
            identifier,
            "--config",
            config,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_bad_identifier_exits_2_with_the_parsers_message(tmp_path: Path) -> None:
    result = invalidate("2012/0394773A", tmp_path / "unused.toml")
    assert result.returncode == 2
    assert "has PNC check character A, but 2012/0394773 needs H" in result.stderr


def test_the_in_memory_cache_has_nothing_shared_to_invalidate(tmp_path: Path) -> None:
    config = tmp_path / "estate.toml"
    config.write_text(REGIONS)
    result = invalidate("A1234AA", config)
    assert result.returncode == 1
    assert "in-memory cache lives inside each gateway process" in result.stderr
    assert "[cache] url" in result.stderr


async def test_a_redis_cache_is_invalidated_and_the_count_printed(tmp_path: Path) -> None:
    url = require_redis()
    namespace = f"test-{uuid.uuid4().hex}"
    config = tmp_path / "estate.toml"
    config.write_text(f'[cache]\nurl = "{url}"\nnamespace = "{namespace}"\n{REGIONS}')
    record = PersonRecord("prison-north", "P1", (NOMS,), PersonName("Jo", "Smith"), None)
    find = Capability.FIND_BY_IDENTIFIERS
    seeded = [
        (cache_key(namespace, "prison-north", find, NOMS), Entry([record], 1.0)),
        (cache_key(namespace, "probation-east", find, NOMS), Entry([], 1.0)),
        (cache_key(namespace, "prison-north", Capability.ALERTS_FOR, "P1"), Entry([], 1.0)),
        (cache_key(namespace, "prison-north", Capability.ALERTS_FOR, "P2"), Entry([], 1.0)),
    ]

    store = CacheStore.redis(url, namespace)
    try:
        await store.set_many(seeded, 60)
        result = await asyncio.to_thread(invalidate, " a1234aa ", config)
        entries = await store.get_many([key for key, _ in seeded])
    finally:
        await store.delete_many([key for key, _ in seeded])
        await store.aclose()
    assert [entry is not None for entry in entries] == [False, False, False, True]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "invalidated 3 cached answers for NOMS:A1234AA"
