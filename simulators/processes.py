"""Start ``offender-graph serve`` as a separate process, as an operator would, for tests and
benchmarks that need real gateway processes (replicas, worker processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from simulators.server import free_port


class GatewayProcess:
    """A gateway process on a free loopback port; ``url`` is its ``/graphql``."""

    def __init__(self, config: Path, *, workers: int = 1, timeout: float = 60.0) -> None:
        port = free_port()
        command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)]
        command += ["--port", str(port), "--workers", str(workers)]
        # Its output (one JSON access line per request) goes to a file, not a pipe: a pipe
        # nobody reads fills up and then blocks the gateway mid-request.
        self._output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.base_url = f"http://127.0.0.1:{port}"
        self.url = self.base_url + "/graphql"
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        """Until ``/health`` answers; the process's output is in the error if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        output = self.stop()
        raise RuntimeError(f"the gateway did not start: {output}")

    def stop(self) -> str:
        """Stop the process (and its workers); returns what it printed."""
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
