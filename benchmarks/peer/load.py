"""Load for the peer benchmark: wrk with ``post.lua``, and the CPU a server's processes used.

wrk is C and runs outside Python, so the load generator does not compete with a Python loop for
the GIL; it still shares the machine's cores with the servers, equally for every side.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

POST_SCRIPT = Path(__file__).with_name("post.lua")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    """One wrk run: requests finished, errors, seconds, latency percentiles (ms), and the
    server's CPU seconds during it."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / self.requests if self.requests else float("nan")


def run_wrk(url: str, bodies: Path, *, seconds: float, connections: int, server_pid: int) -> Load:
    """``connections`` keep-alive connections POST ``bodies`` to ``url`` for ``seconds``."""
    threads = min(connections, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(POST_SCRIPT), url, "--", str(bodies), str(threads)]
    before = tree_cpu_seconds(server_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    cpu = tree_cpu_seconds(server_pid) - before
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(
        requests=summary["requests"],
        errors=summary["errors"],
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        cpu_s=cpu,
    )


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant (Linux ``/proc``): the
    gateway's worker processes, Hive Gateway's forks."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += used.get(current, 0.0)
        pending += children.get(current, [])
    return total
