"""`offender-graph demo` as a user runs it: a fresh process, real ports, the example answered."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
            answer = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": "query($id: String!) { offender(identifier: $id) "
                    "{ identifiers { nomsNumber } records { region systemKind } } }",
                    "variables": {"id": examples[0]},
                },
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
