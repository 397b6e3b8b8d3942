"""The person index a URL names."""

from __future__ import annotations

from pathlib import Path

from connectors.errors import ConfigurationError
from gateway.identity.index.store import PersonIndex

DEFAULT_SQLITE = Path("var/person-index.sqlite3")
SQLITE_PREFIX = "sqlite:///"
MEMORY = ":memory:"


def build_index(url: str) -> PersonIndex:
    """``""``: the SQLite file under ``var/``; ``:memory:``: an in-memory SQLite (this process
    only); ``sqlite:///PATH``: that SQLite file; ``postgresql://...``: PostgreSQL."""
    from gateway.identity.index.sqlite_store import SqlitePersonIndex

    if not url:
        return SqlitePersonIndex(DEFAULT_SQLITE)
    if url == MEMORY:
        return SqlitePersonIndex(MEMORY)
    if url.startswith(SQLITE_PREFIX):
        return SqlitePersonIndex(Path(url.removeprefix(SQLITE_PREFIX)))
    if url.startswith(("postgresql://", "postgres://")):
        from gateway.identity.index.postgres_store import PostgresPersonIndex

        return PostgresPersonIndex(url)
    raise ConfigurationError(
        "index.url must be empty, :memory:, sqlite:///PATH or postgresql://..."
    )
