"""``[audit]``: parsed like every table, and the sink it builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from gateway.audit.build import build_audit, build_store, queue_depth
from gateway.audit.events import DiscardAudit
from gateway.audit.postgres_store import PostgresAuditStore
from gateway.audit.sqlite_store import SqliteAuditStore
from gateway.audit.writer import AuditLog
from gateway.settings import AuditSettings, parse_settings

REGION = {"dialect": "soap-prison", "kind": "CUSTODY", "base_url": "http://10.255.255.1:9/"}


def parse(audit: dict[str, object]) -> AuditSettings:
    document = {"regions": {"north": REGION}, "auth": {"mode": "off"}, "audit": audit}
    return parse_settings(document).audit


def test_the_defaults_are_sqlite_under_var_and_on() -> None:
    settings = parse({})
    assert settings == AuditSettings(enabled=True, url="", spill_dir="var/audit-spill")
    store = build_store(settings.url)
    assert isinstance(store, SqliteAuditStore) and store.path == Path("var/audit.sqlite3")


def test_the_environment_sets_a_key_and_a_wrong_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_AUDIT__QUEUE_SIZE", "50")
    assert parse({"batch_size": 10}).queue_size == 50
    with pytest.raises(ConfigurationError, match=r"audit\.batch_size must be positive"):
        parse({"batch_size": 0})
    with pytest.raises(ConfigurationError, match=r"audit\.spil_dir is not a known setting"):
        parse({"spil_dir": "x"})


def test_the_url_chooses_the_store(tmp_path: Path) -> None:
    assert isinstance(build_store("postgresql://127.0.0.1/audit"), PostgresAuditStore)
    named = build_store(f"sqlite:///{tmp_path}/a.db")
    assert isinstance(named, SqliteAuditStore) and named.path == tmp_path / "a.db"
    with pytest.raises(ConfigurationError, match=r"audit\.url must be"):
        build_store("mysql://somewhere")


def test_disabled_is_no_audit_and_enabled_has_a_gauge(tmp_path: Path) -> None:
    off = build_audit(AuditSettings(enabled=False))
    assert isinstance(off, DiscardAudit) and queue_depth(off) is None
    on = build_audit(AuditSettings(url=f"sqlite:///{tmp_path}/a.db", spill_dir=str(tmp_path)))
    depth = queue_depth(on)
    assert isinstance(on, AuditLog) and depth is not None and depth() == 0
