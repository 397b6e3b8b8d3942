"""A real PostgreSQL for the audit tests: a database per test, and an outage on demand."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.services import require_server

ADMIN_URL = os.environ.get("OFFENDER_GRAPH_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_URL, autocommit=True)


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new database (skipped, or failed in CI, without a server), dropped after."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    name = f"og_audit_{secrets.token_hex(4)}"
    with admin() as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def rows(url: str) -> tuple[int, int]:
    """(rows, distinct ids) of ``audit_events``."""
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*), count(DISTINCT id) FROM audit_events").fetchone()
    assert row is not None
    return int(str(row[0])), int(str(row[1]))


def refuse_connections(url: str, seconds: float) -> None:
    """The database refuses every new connection for ``seconds``, its open ones terminated."""
    name = url.rsplit("/", 1)[1]
    with admin() as connection:
        connection.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        time.sleep(seconds)
        connection.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
