"""``offender-graph check-connector`` as a real subprocess against the simulated estate."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import Capability
from connectors.identifiers import IdentifierKind, try_parse_identifier
from connectors.registry import available_dialects
from simulators.runner import RunningEstate


@pytest.fixture(scope="module")
def config_file(running_estate: RunningEstate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("check") / "estate.toml"
    path.write_text(running_estate.config_toml(), encoding="utf-8")
    return path


def check(config: Path, region: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gateway.cli", "check-connector", region, "--config"]
    return subprocess.run(
        [*command, str(config), *options], capture_output=True, text=True, timeout=60
    )


def commonest_surname(running: RunningEstate, system: str) -> str:
    surnames = [r.surname for r in running.systems[system].store.records.values()]
    return max(set(surnames), key=surnames.count)


@pytest.fixture
def faults(running_estate: RunningEstate) -> Iterator[Any]:
    touched: list[str] = []

    def put(system: str, **settings: Any) -> None:
        touched.append(system)
        url = running_estate.systems[system].url + "_sim/faults"
        httpx.put(url, json=settings, timeout=5).raise_for_status()

    yield put
    for system in touched:
        httpx.put(running_estate.systems[system].url + "_sim/faults", json={}, timeout=5)


@pytest.mark.parametrize("system", ["prison-north", "probation-london", "probation-wales"])
def test_a_healthy_region_passes_with_a_report_per_capability(
    running_estate: RunningEstate, config_file: Path, system: str
) -> None:
    store = running_estate.systems[system].store
    pnc = next(
        p.value
        for r in store.records.values()
        if (p := try_parse_identifier(r.pnc_number, IdentifierKind.PNC))
    )
    surname = commonest_surname(running_estate, system)
    done = check(config_file, system, "--surname", surname, "--identifier", pnc)
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    assert f"check-connector {system} ({store.dialect}): PASS" in report
    for capability in available_dialects()[store.dialect].capabilities:
        line = next(x for x in report.splitlines() if f" {capability} " in f"{x} ")
        assert line.lstrip().startswith("pass") and "p50" in line and "max" in line
    assert "mapping failures: 0" in report
    assert "PNC" in report and "%" in report


def test_defaults_try_an_unheld_identifier_and_a_common_surname(config_file: Path) -> None:
    done = check(config_file, "prison-south")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pass  {Capability.SEARCH_PEOPLE}" in done.stdout and "Smith" in done.stdout


@pytest.mark.parametrize(
    ("settings", "shown"),
    [({"outage": True}, "REGION_UNAVAILABLE"), ({"malformed_rate": 1.0}, "UPSTREAM_INVALID")],
    ids=["outage", "malformed"],
)
def test_a_region_in_outage_or_answering_garbage_fails(
    config_file: Path, faults: Any, settings: dict[str, Any], shown: str
) -> None:
    faults("probation-wales", **settings)
    done = check(config_file, "probation-wales")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "(rest-snake): FAIL" in done.stdout and shown in done.stdout
    assert "FAIL  start-up health" in done.stdout
    assert f"skip  {Capability.SUPERVISION_FOR}" in done.stdout


def test_an_unknown_region_is_named(config_file: Path) -> None:
    done = check(config_file, "atlantis")
    assert done.returncode == 1 and "no region 'atlantis'" in done.stderr
