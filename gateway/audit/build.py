"""The audit sink the settings ask for, and its lifecycle for the runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connectors.errors import ConfigurationError
from gateway.audit.events import AuditSink, DiscardAudit
from gateway.audit.store import AuditStore
from gateway.audit.writer import AuditLog
from gateway.settings import AuditSettings

DEFAULT_SQLITE = Path("var/audit.sqlite3")
SQLITE_PREFIX = "sqlite:///"


def build_store(url: str) -> AuditStore:
    """``""``: the SQLite file under ``var/``; ``sqlite:///PATH``: that SQLite file;
    ``postgresql://...``: PostgreSQL."""
    from gateway.audit.sqlite_store import SqliteAuditStore

    if not url:
        return SqliteAuditStore(DEFAULT_SQLITE)
    if url.startswith(SQLITE_PREFIX):
        return SqliteAuditStore(Path(url.removeprefix(SQLITE_PREFIX)))
    if url.startswith(("postgresql://", "postgres://")):
        from gateway.audit.postgres_store import PostgresAuditStore

        return PostgresAuditStore(url)
    raise ConfigurationError("audit.url must be empty, sqlite:///PATH or postgresql://...")


def build_audit(settings: AuditSettings) -> AuditSink:
    """The queued audit log over the configured store, or no audit when disabled."""
    if not settings.enabled:
        return DiscardAudit()
    return AuditLog(
        build_store(settings.url),
        Path(settings.spill_dir),
        queue_size=settings.queue_size,
        batch_size=settings.batch_size,
    )


async def start_audit(sink: AuditSink) -> None:
    if isinstance(sink, AuditLog):
        await sink.start()


async def close_audit(sink: AuditSink) -> None:
    if isinstance(sink, AuditLog):
        await sink.aclose()


def queue_depth(sink: AuditSink) -> Callable[[], int] | None:
    """What the ``audit_queue_depth`` gauge reads, if the sink has a queue."""
    return sink.depth if isinstance(sink, AuditLog) else None
