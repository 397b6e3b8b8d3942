"""`offender-graph config check FILE`: every problem named (table and key), or one summary line
without any secret; nothing started, no region asked."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from gateway.config_check import run_check
from gateway.ids import new_id_key

# the shipped dialects and any installed beside them (the example regions of examples/)
INSTALLED = sorted(e.name for e in entry_points(group="offender_graph.connectors"))

CLI = Path(sys.executable).with_name("offender-graph")  # the console script of this venv
SECRET = "k3y-Zp40-never-printed"
REDIS_PASSWORD = "pw-Hq12-never-printed"
# Ports nothing listens on: a check that contacted a region would fail or hang.
ESTATE = f"""
[gateway]
id_key = {{ env = "TEST_ID_KEY" }}

[auth]
issuer = "https://login.example.internal/"
audience = "offender-graph"
jwks_url = "https://login.example.internal/.well-known/jwks.json"

[cache]
url = "redis://:{REDIS_PASSWORD}@10.255.255.1:6390/1"

[regions.prison-north]
dialect = "soap-prison"
kind = "CUSTODY"
base_url = "http://10.255.255.1:9/"

[regions.probation-wales]
dialect = "rest-snake"
kind = "PROBATION"
base_url = "http://10.255.255.1:9/"
auth = {{ type = "api_key", api_key = {{ env = "TEST_SNAKE_KEY" }} }}

[regions.probation-london]
dialect = "rest-camel"
kind = "PROBATION"
base_url = "http://10.255.255.1:9/"
auth = {{ type = "oauth2", token_url = "http://10.255.255.1:9/t", client_id = "g", \
client_secret = "{SECRET}" }}
"""
ID_KEY = new_id_key()


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ID_KEY", ID_KEY)
    monkeypatch.setenv("TEST_SNAKE_KEY", SECRET)
    for name in list(os.environ):
        if name.upper().startswith(
            ("OFFENDER_GRAPH_GATEWAY", "OFFENDER_GRAPH_CACHE", "OFFENDER_GRAPH_AUTH")
        ):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_config_is_summed_up_in_one_line_without_secrets(tmp_path: Path) -> None:
    code, lines = run_check(write(tmp_path, ESTATE))
    assert code == 0
    assert lines == [
        "config OK: 3 regions (soap-prison: prison-north; rest-snake: probation-wales; "
        "rest-camel: probation-london); cache redis at 10.255.255.1:6390; id_key set"
    ]
    for secret in (SECRET, REDIS_PASSWORD, ID_KEY):
        assert secret not in lines[0]


def test_memory_cache_and_no_id_key_are_said(tmp_path: Path) -> None:
    text = ESTATE.replace('id_key = { env = "TEST_ID_KEY" }', "").replace(
        "[cache]\nurl", "[cache]\n# url"
    )
    code, lines = run_check(write(tmp_path, text))
    assert code == 0
    assert lines[0].endswith("cache memory (per process); id_key not set (ids change at restart)")


def test_every_problem_is_named_by_table_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_SNAKE_KEY")
    monkeypatch.setenv("OFFENDER_GRAPH_GATEWAY__MAX_DEPTH", "deep")
    text = ESTATE.replace("[cache]", "[cache]\nstale_grace = -5").replace(
        'kind = "CUSTODY"', 'kind = "PRISON"'
    )
    path = write(tmp_path, text)
    code, lines = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}: gateway.max_depth (from OFFENDER_GRAPH_GATEWAY__MAX_DEPTH) must be a whole "
        "number",
        f"{path}: cache.stale_grace must be zero or more",
        f"{path}: regions.prison-north.kind must be CUSTODY or PROBATION",
        f"{path}: regions.probation-wales.auth.api_key: environment variable TEST_SNAKE_KEY is "
        "not set",
    ]


def test_dialects_cache_url_and_id_key_are_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ID_KEY", "too-short")
    text = (
        ESTATE.replace('dialect = "soap-prison"', 'dialect = "soap-prisn"')
        .replace(
            'dialect = "rest-snake"\nkind = "PROBATION"', 'dialect = "rest-snake"\nkind = "CUSTODY"'
        )
        .replace(f"redis://:{REDIS_PASSWORD}@", f"http://:{REDIS_PASSWORD}@")
    )
    path = write(tmp_path, text)
    code, lines = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}: regions.prison-north.dialect: no dialect of that name; installed: "
        + ", ".join(INSTALLED),
        f"{path}: regions.probation-wales.kind: dialect rest-snake does not serve CUSTODY",
        f"{path}: cache.url must be a redis:// or rediss:// URL",
        f"{path}: gateway.id_key must be the base64 of 64 bytes",
    ]
    assert not any(REDIS_PASSWORD in line for line in lines)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    code, lines = run_check(tmp_path / "nope.toml")
    assert (code, lines) == (1, [f"config file {tmp_path / 'nope.toml'} does not exist"])


def test_the_command_as_a_user_runs_it(tmp_path: Path) -> None:
    good = write(tmp_path, ESTATE)
    env = {**os.environ, "TEST_ID_KEY": ID_KEY, "TEST_SNAKE_KEY": SECRET}
    ok = subprocess.run(
        [str(CLI), "config", "check", str(good)], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("config OK: 3 regions (") and ok.stdout.count("\n") == 1
    assert ok.stderr == ""

    env["OFFENDER_GRAPH_RESILIENCE__RETRIES"] = "many"
    bad = subprocess.run(
        [str(CLI), "config", "check", str(good)], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr == (
        f"{good}: resilience.retries (from OFFENDER_GRAPH_RESILIENCE__RETRIES) must be a whole "
        "number\n"
    )
