"""``offender-graph audit --person``, run as a real subprocess against a SQLite audit file."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from connectors.identifiers import parse_identifier
from gateway.audit.events import AuditOutcome
from gateway.audit.sqlite_store import SqliteAuditStore
from gateway.audit.store import Entry
from gateway.ids import OffenderIds, new_id_key
from tests.gateway.audit.helpers import START, event

CLI = Path(sys.executable).with_name("offender-graph")
CONFIG = """\
[gateway]
id_key = "{key}"

[auth]
mode = "off"

[audit]
url = "sqlite:///{database}"

[regions.prison-north]
dialect = "soap-prison"
kind = "CUSTODY"
base_url = "http://10.255.255.1:9/"
"""


def audit(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "audit", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def setup(tmp_path: Path) -> Path:
    """A config and an audit file: alice and bob looked at A1234BC, carol at someone else."""
    key = new_id_key()
    ids = OffenderIds.from_setting(key)
    person = ids.digest(parse_identifier("A1234BC"))
    other = ids.digest(parse_identifier("B2345CD"))
    database = tmp_path / "audit.db"
    looked = [
        Entry.new(event(0, keys=(person, "k-crn"), subject="alice")),
        Entry.new(event(86_400, keys=(person,), subject="bob")),
        Entry.new(event(3_600, keys=(other,), subject="carol")),
    ]
    dave = event(172_800, keys=(person,), subject="dave")
    redacted = Entry.new(replace(dave, outcome=AuditOutcome.REDACTED, field_groups=()))

    async def write() -> None:
        store = SqliteAuditStore(database)
        await store.open()
        await store.write([*looked, redacted])
        await store.aclose()

    asyncio.run(write())
    config = tmp_path / "gateway.toml"
    config.write_text(CONFIG.format(key=key, database=database))
    return config


def test_the_table_lists_who_looked_newest_first(tmp_path: Path) -> None:
    result = audit(setup(tmp_path), "--person", "a1234bc")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == "when subject client outcome field groups correlation id".split()
    assert [line.split()[1] for line in lines] == ["dave", "bob", "alice"]
    assert lines[0].split()[3:5] == ["REDACTED", "-"]
    assert lines[2].split()[3:] == ["SHOWN", "IDENTITY,SENTENCE", "req-0"]


def test_json_and_the_date_window(tmp_path: Path) -> None:
    config = setup(tmp_path)
    day = (START + timedelta(days=1)).date().isoformat()
    result = audit(config, "--person", "A1234BC", "--from", day, "--to", day, "--json")
    assert result.returncode == 0, result.stderr
    (only,) = json.loads(result.stdout)
    assert only["subject"] == "bob" and only["client"] == "case-app"
    assert only["field_groups"] == ["IDENTITY", "SENTENCE"]


def test_nobody_looked_and_a_bad_identifier(tmp_path: Path) -> None:
    config = setup(tmp_path)
    nobody = audit(config, "--person", "C3456DE")
    assert nobody.returncode == 0 and "no audit events about NOMS:C3456DE" in nobody.stdout
    wrong = audit(config, "--person", "not-an-id")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
