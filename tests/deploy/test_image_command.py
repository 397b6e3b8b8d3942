"""The images' start commands, run as the images run them (``tests/deploy/container.py``): as their
numeric user, in their working directory, with their environment only, against real simulators.
They come up healthy, the gateway never imports the simulators, and nothing is written outside the
data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from gateway.ids import new_id_key
from simulators.runner import RunningEstate
from simulators.server import free_port
from tests.deploy.container import container, owned_by, wait_for
from tests.deploy.dockerfile import REPO

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="running a command as the image's user needs root"
)
WRITABLE = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), REPO]  # and the stand-in itself
NOBODY = '{ offender(identifier: "Z9999ZZ") { id } }'


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports that were free a moment ago."""
    while True:
        base = free_port()
        try:
            for offset in range(1, count):
                with socket.create_server(("127.0.0.1", base + offset)):
                    pass
        except OSError:
            continue
        return base


def stop(process: subprocess.Popen[str]) -> int:
    """``docker stop``: SIGTERM, then the return code within Docker's 10 s grace period."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=10)


def imported_packages(profile: str) -> set[str]:
    """Top-level packages named in ``PYTHONPROFILEIMPORTTIME`` output."""
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in profile.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_the_gateway_image_command_serves_as_its_user(running_estate: RunningEstate) -> None:
    with container("gateway") as box:
        port = free_port()
        box.ports[8000] = port  # the image's EXPOSE
        config = running_estate.config_toml(
            {"id_key": new_id_key()}, resilience={"probe_interval": 0.5}
        )
        box.mount("/config/gateway.toml", config)
        before = owned_by(box.uid, [*WRITABLE, box.root])
        how = box.drop_privileges()
        with tempfile.TemporaryFile("w+") as stderr:
            process = box.popen(
                box.spec.command(), stderr=stderr, env={"PYTHONPROFILEIMPORTTIME": "1"}
            )
            try:
                wait_for(f"http://127.0.0.1:{port}/health", process)
                ready = wait_for(f"http://127.0.0.1:{port}/ready", process).json()
                deadline = time.monotonic() + 20
                while {r["status"] for r in ready["regions"].values()} != {"UP"}:
                    assert time.monotonic() < deadline, ready
                    time.sleep(0.2)
                    ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).json()
                assert set(ready["regions"]) == set(running_estate.systems)
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": NOBODY}, timeout=10
                )
                assert answer.status_code == 200 and answer.json()["data"] == {"offender": None}
                healthcheck = box.run(box.spec.healthcheck, timeout=10)
                assert healthcheck.returncode == 0, (how, healthcheck.stderr)
            finally:
                code = stop(process)
            stderr.seek(0)
            printed = stderr.read()
        assert code in (0, -signal.SIGTERM), printed[-2000:]
        packages = imported_packages(printed)
        assert {"gateway", "connectors", "schema"} <= packages
        assert "simulators" not in packages  # the gateway image has none
        written = owned_by(box.uid, [*WRITABLE, box.root]) - before
        assert all(path == box.data or box.data in path.parents for path in written), written


def test_the_estate_image_command_writes_its_config_into_the_data_dir() -> None:
    with container("estate") as box:
        base = free_ports(7)
        for offset in range(7):  # its --base-port and the six after it
            box.ports[9100 + offset] = base + offset
        before = owned_by(box.uid, [*WRITABLE, box.root])
        box.drop_privileges()
        with box.popen(
            box.spec.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as process:
            try:
                deadline = time.monotonic() + 60
                while (check := box.run(box.spec.healthcheck, timeout=10)).returncode != 0:
                    assert process.poll() is None, process.stdout and process.stdout.read()
                    assert time.monotonic() < deadline, check.stderr
                    time.sleep(0.2)
            finally:
                code = stop(process)
        assert code in (0, -signal.SIGTERM)
        config = box.data / "estate.toml"
        assert config.stat().st_uid == box.uid and config.stat().st_mode & 0o777 == 0o600
        assert "[regions.prison-north]" in config.read_text(encoding="utf-8")
        written = owned_by(box.uid, [*WRITABLE, box.root]) - before
        assert written and all(box.data in path.parents for path in written), written


def test_the_stand_in_translates_only_the_container_paths() -> None:
    with container("gateway") as box:
        box.ports[8000] = 18000
        assert box.translate("/data") == str(box.data)
        assert box.translate("/data/estate.toml") == f"{box.data}/estate.toml"
        assert box.translate("/database") == "/database"
        assert box.translate("/srv/data") == "/srv/data"
        assert box.translate("http://127.0.0.1:8000/health") == "http://127.0.0.1:18000/health"
        assert box.translate("80001") == "80001"
        assert box.translate("('127.0.0.1', 8000), 2") == "('127.0.0.1', 18000), 2"
        assert box.translate("0.0.0.0") == "127.0.0.1"
        assert box.environment()["PATH"].startswith(f"{box.paths['/opt/venv']}/bin:")
