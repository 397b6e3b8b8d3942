"""Real servers some tests need (Redis, PostgreSQL): skipped with a reason where absent, except
in CI, where ``OFFENDER_GRAPH_REQUIRE_SERVICES=1`` turns the skip into a failure."""

from __future__ import annotations

import os
import socket

import pytest

REDIS_URL = os.environ.get("OFFENDER_GRAPH_TEST_REDIS", "redis://127.0.0.1:6379/15")
POSTGRES_ADDRESS = ("127.0.0.1", 5432)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) the calling test unless ``host:port`` accepts connections."""
    if _reachable(host, port):
        return
    reason = f"{name} is not running on {host}:{port}"
    if os.environ.get("OFFENDER_GRAPH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and OFFENDER_GRAPH_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def require_redis() -> str:
    """The Redis URL tests use (database 15), once the server is known to answer."""
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL
