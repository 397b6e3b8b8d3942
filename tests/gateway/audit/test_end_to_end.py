"""A read through a real gateway (SQLite audit log) is what ``offender-graph audit`` reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from gateway.ids import new_id_key
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import serve_gateway
from tests.gateway.audit.test_cli_audit import CLI, CONFIG

LOOKUP = "query Lookup($id: String!) { offender(identifier: $id) { id name { surname } } }"


def test_a_lookup_is_recorded_and_the_audit_command_finds_it(
    running_estate: RunningEstate, estate: Estate, tmp_path: Path
) -> None:
    key, database = new_id_key(), tmp_path / "audit.db"
    audit = {"url": f"sqlite:///{database}", "spill_dir": str(tmp_path / "spill")}
    person = next(p.noms for p in estate.people.values() if p.noms)
    group, url = serve_gateway(running_estate, audit=audit, id_key=key)
    try:
        answer = httpx.post(
            url,
            json={"query": LOOKUP, "variables": {"id": person}},
            headers={"x-correlation-id": "audit-end-to-end"},
            timeout=15,
        )
        offender = answer.json()["data"]["offender"]
    finally:
        group.stop()  # drains the queue into the file
    config = tmp_path / "gateway.toml"
    config.write_text(CONFIG.format(key=key, database=database))
    result = subprocess.run(
        [str(CLI), "audit", "--config", str(config), "--person", person, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (event,) = json.loads(result.stdout)
    assert event["person_id"] == offender["id"]
    assert event["outcome"] == "SHOWN" and event["operation"] == "Lookup"
    assert "IDENTITY" in event["field_groups"]
    assert event["correlation_id"] == "audit-end-to-end"
