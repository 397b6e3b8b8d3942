"""The two sides of the peer benchmark over the same two simulated systems, and the one join
each answers: a person by NOMS number (name from the SOAP prison system) with their CRN and
offender manager (from the REST probation system).

- **peer**: GraphQL Mesh composes the prison's WSDL and ``probation-openapi.json``
  (``mesh.config.ts``) into a supergraph that Hive Gateway serves (``gateway.config.ts``).
- **ours**: ``offender-graph serve`` with those two regions only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from simulators.server import free_port

HERE = Path(__file__).parent
BIN = HERE / "node_modules" / ".bin"
PRISON_FIND = "PrisonOffenderService_PrisonOffenderService_PrisonOffenderPort_FindOffender"

PEER_QUERY = (
    f"query Join($noms: String!) {{ prison: {PRISON_FIND}("
    'FindOffender: {identifierType: "NOMS", value: $noms}) { offender { nomsNumber firstName '
    "lastName probation { results { offenders { crn offenderManagers { staffCode forename "
    "surname responsibleOfficer } } } } } } }"
)
OURS_QUERY = (
    "query Join($noms: String!) { offender(identifier: $noms) { identifiers { nomsNumber crn } "
    "name { forename surname } offenderManager { staffCode forename surname } } }"
)


@dataclass(frozen=True)
class Joined:
    """What both sides answer about one person, read the same way from each."""

    noms: str
    forename: str
    surname: str
    crn: str | None
    staff_code: str | None  # the responsible officer's


def bodies(query: str, noms_numbers: Sequence[str]) -> str:
    """One JSON request body a line, one person each (``post.lua`` cycles through them)."""
    lines = (json.dumps({"query": query, "variables": {"noms": n}}) for n in noms_numbers)
    return "\n".join(lines) + "\n"


def read_peer(answer: Mapping[str, Any]) -> Joined:
    [offender] = answer["data"]["prison"]["offender"]
    [result] = offender["probation"]["results"]
    [case] = result["offenders"]
    officers = [m["staffCode"] for m in case["offenderManagers"] if m["responsibleOfficer"]]
    return Joined(
        offender["nomsNumber"],
        offender["firstName"],
        offender["lastName"],
        case["crn"],
        officers[0] if officers else None,
    )


def read_ours(answer: Mapping[str, Any]) -> Joined:
    offender = answer["data"]["offender"]
    manager = offender["offenderManager"] or {}
    return Joined(
        offender["identifiers"]["nomsNumber"],
        offender["name"]["forename"],
        offender["name"]["surname"],
        offender["identifiers"]["crn"],
        manager.get("staffCode"),
    )


def missing_tools() -> str | None:
    """Why the peer cannot run here (no node/npm or no wrk), or None."""
    for tool in ("node", "npm", "wrk"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


def install_peer() -> None:
    """``npm ci`` the lock file's Mesh and Hive Gateway once (node_modules is not committed)."""
    if not (BIN / "hive-gateway").exists():
        command = ["npm", "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"]
        subprocess.run([*command, "--loglevel=error"], check=True)


def compose(prison_url: str, probation_url: str, output: Path) -> float:
    """Compose the supergraph (the prison's WSDL fetched from it); returns the seconds taken."""
    started = time.perf_counter()
    env = {**os.environ, "PRISON_URL": prison_url, "PROBATION_URL": probation_url.rstrip("/")}
    done = subprocess.run(
        [str(BIN / "mesh-compose"), "-o", str(output)],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0 or not output.exists():
        raise RuntimeError(f"mesh-compose failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


class HiveGateway:
    """Hive Gateway serving ``supergraph`` on a free loopback port; ``url`` is its /graphql.
    ``probation_token``: the bearer token the REST source sends (``{env.PROBATION_TOKEN}``);
    ``forks``: its worker processes."""

    def __init__(
        self, supergraph: Path, probation_token: str, forks: int = 1, timeout: float = 60.0
    ) -> None:
        port = free_port()
        self._output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        serve = ["supergraph", str(supergraph), "--fork", str(forks)]
        self.process = subprocess.Popen(
            [str(BIN / "hive-gateway"), *serve, "--host", "127.0.0.1", "--port", str(port)],
            cwd=HERE,
            env={**os.environ, "PROBATION_TOKEN": probation_token},
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}/graphql"
        self._wait(f"http://127.0.0.1:{port}/readiness", timeout)

    def _wait(self, health: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"Hive Gateway did not start: {self.stop()}")

    def stop(self) -> str:
        """Stop the process; returns what it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._output.seek(0)
        output = self._output.read()
        self._output.close()
        return output


def client_token(region: Mapping[str, Any]) -> str:
    """A bearer token from a rest-camel system (OAuth2 client credentials, its region table)."""
    auth = region["auth"]
    response = httpx.post(
        auth["token_url"],
        data={"grant_type": "client_credentials"},
        auth=(auth["client_id"], auth["client_secret"]),
        timeout=5,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
