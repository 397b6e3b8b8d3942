"""`offender-graph` as a user runs it: the demo on real ports, the example answered; help, version
and one-line errors for a taken port or a bad config."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from gateway.cli import main, parser
from gateway.cli.estate import start_estate
from simulators.server import free_port


def read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    """Lines the process printed up to the one after ``marker`` (the demo's banner ends so)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} within {timeout}s; printed: {lines}")


def test_demo_starts_the_estate_and_answers_the_example_query(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "estate.toml"
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "demo",
            "--people",
            "400",
            "--seed",
            "3",
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            banner = read_until(process, "Ctrl-C stops everything", timeout=60)
            text = "\n".join(banner)
            assert f"GraphiQL: http://127.0.0.1:{port}/graphql" in text
            assert "400 people in 7 regional systems" in text
            examples = re.findall(r"^  ([AG]\d{4}[A-Z]{2})  CRN ", text, flags=re.M)
            assert len(examples) == 5
            assert "[regions.prison-wales]" in config.read_text()

            page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"})
            assert examples[0] in page.text  # GraphiQL opens on the first example person
            assert "Bearer <token>" in page.text  # and shows where the token goes
            assert f"offender-graph token prison-officer --config {config}" in text
            token = subprocess.run(  # the demo authenticates: a development issuer's token
                [
                    sys.executable,
                    "-m",
                    "gateway.cli",
                    "token",
                    "global-search",
                    "--config",
                    str(config),
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()
            answer = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": "query($id: String!) { offender(identifier: $id) "
                    "{ identifiers { nomsNumber } records { region systemKind } } }",
                    "variables": {"id": examples[0]},
                },
                headers={"authorization": f"Bearer {token}"},
                timeout=15,
            ).json()
            assert "errors" not in answer
            offender = answer["data"]["offender"]
            assert offender["identifiers"]["nomsNumber"] == examples[0]
            assert {r["systemKind"] for r in offender["records"]} == {"CUSTODY", "PROBATION"}
            assert len({r["region"] for r in offender["records"]}) >= 3
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        assert process.returncode == 0


def test_serve_refuses_a_bad_config_with_the_key_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[regions.north]\ndialect = "soap-prison"\nkind = "PRISON"\n')
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "regions.north.kind must be CUSTODY or PROBATION" in result.stderr


# ---- the command line itself -------------------------------------------------------------------
CLI = Path(sys.executable).with_name("offender-graph")  # the console script of this venv
REGION_TOML = (
    '[regions.north]\ndialect = "soap-prison"\nkind = "CUSTODY"\nbase_url = "http://127.0.0.1:9/"\n'
    '[auth]\nmode = "off"\n'
)
COMMANDS = [
    [],
    ["demo"],
    ["simulate"],
    ["serve"],
    ["config"],
    ["config", "check"],
    ["cache"],
    ["cache", "invalidate"],
    ["schema"],
    ["schema", "export"],
    ["schema", "diff"],
]


def offender_graph(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout)


def subcommand(names: list[str]) -> argparse.ArgumentParser:
    """The parser of ``offender-graph NAMES...``."""
    found = parser()
    for name in names:
        (group,) = (a for a in found._actions if isinstance(a, argparse._SubParsersAction))
        found = group.choices[name]
    return found


def test_version_is_the_package_version() -> None:
    result = offender_graph("--version")
    assert (result.returncode, result.stdout) == (
        0,
        f"offender-graph {version('offender-graph')}\n",
    )


@pytest.mark.parametrize("names", COMMANDS, ids=lambda names: " ".join(names) or "top")
def test_help_has_no_markup_and_shows_every_default(
    names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as leaving:
        main([*names, "--help"])
    assert leaving.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: offender-graph")
    assert not re.search(r"``|`|:class:|:func:|\*\*|^#|^\.\. ", text, flags=re.M)
    assert "default: None" not in text
    for action in subcommand(names)._actions:
        if action.option_strings and action.dest not in ("help", "version"):
            assert action.help, f"{action.option_strings} has no help text"
            shown = " ".join(text.split())  # argparse wraps long help lines
            if action.default is argparse.SUPPRESS:  # filled in later: the help says what with
                assert "(default: " in action.help, action.option_strings
            else:
                assert f"(default: {action.default})" in shown, action.option_strings


def test_serve_help_shows_the_defaults_a_user_relies_on(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for default in ("(default: var/estate.toml)", "(default: 1)", "(default: 127.0.0.1)"):
        assert default in shown
    assert "(default: 8000)" in shown


@pytest.mark.parametrize("workers", ["1", "3"])
def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path: Path, workers: str) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(REGION_TOML, encoding="utf-8")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = offender_graph(
            "serve", "--config", str(config), "--port", str(port), "--workers", workers
        )
    assert result.returncode == 1
    assert result.stderr == f"port {port} on 127.0.0.1 is taken (is another gateway running?)\n"
    assert result.stdout == ""


def test_serve_with_a_missing_or_unreadable_config_says_so_in_one_line(tmp_path: Path) -> None:
    missing = offender_graph("serve", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 1
    assert (
        missing.stderr == f"configuration error: config file {tmp_path}/nope.toml does not exist\n"
    )
    unreadable = offender_graph("serve", "--config", str(tmp_path))  # a directory
    assert unreadable.returncode == 1
    assert unreadable.stderr == (
        f"configuration error: config file {tmp_path} cannot be read: Is a directory\n"
    )


def test_serve_names_each_problem_of_a_bad_config_on_its_own_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[gateway]\nmax_depth = 0\nmax_cost = true\n\n" + REGION_TOML)
    result = offender_graph("serve", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "configuration error: gateway.max_depth must be positive",
        "configuration error: gateway.max_cost must be a whole number",
    ]


def test_a_port_out_of_range_is_a_usage_error() -> None:
    result = offender_graph("serve", "--port", "70000")
    assert result.returncode == 2
    assert "70000 is not a port number (0 to 65535)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_directory_and_config_are_for_the_owner_only(tmp_path: Path) -> None:
    config = tmp_path / "var" / "estate.toml"
    running = start_estate(people=30, seed=1, config=config, base_port=0)
    running.stop()
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "id_key = " in config.read_text(encoding="utf-8")
