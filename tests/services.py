"""Real servers and programs some tests need (Redis, PostgreSQL, chromium): skipped with a reason
where absent, except in CI, where ``OFFENDER_GRAPH_REQUIRE_SERVICES=1`` turns the skip into a
failure."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("OFFENDER_GRAPH_TEST_REDIS", "redis://127.0.0.1:6379/15")
POSTGRES_ADDRESS = ("127.0.0.1", 5432)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright downloads no browser of its own


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _missing(reason: str) -> None:
    """Skip the calling test, or fail it where ``OFFENDER_GRAPH_REQUIRE_SERVICES=1`` (CI)."""
    if os.environ.get("OFFENDER_GRAPH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and OFFENDER_GRAPH_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) the calling test unless ``host:port`` accepts connections."""
    if not _reachable(host, port):
        _missing(f"{name} is not running on {host}:{port}")


def require_redis() -> str:
    """The Redis URL tests use (database 15), once the server is known to answer."""
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL


def require_chromium() -> str:
    """The path of Debian's chromium, once it and Python Playwright are both installed."""
    if importlib.util.find_spec("playwright") is None:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return str(CHROMIUM)


NODE_TOOLS = Path(__file__).resolve().parent / "federation" / "js"


def require_node_tools() -> Path:
    """The folder of the npm tools (composition, router, codegen), once Node.js and its
    ``npm ci`` install are there."""
    if shutil.which("node") is None:
        _missing("Node.js is not installed")
    if not (NODE_TOOLS / "node_modules").is_dir():
        _missing(f"the npm tools are not installed (npm ci --prefix {NODE_TOOLS.name})")
    return NODE_TOOLS
