"""Run ASGI apps on real sockets (uvicorn on 127.0.0.1) in a background thread.

Used by ``offender-graph simulate``, by ``make demo`` and by tests that must cross a real network.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop where it is installed (uvicorn's own choice of loop)."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerGroup:
    """Several uvicorn servers sharing one event loop in one background thread."""

    def __init__(self, apps: Sequence[tuple[ASGIApp, int]], host: str = "127.0.0.1") -> None:
        self.host = host
        self.servers = [
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    host=host,
                    port=port,
                    log_level="warning",
                    lifespan="auto",
                    access_log=False,
                )
            )
            for app, port in apps
        ]
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The thread serving every app (None before :meth:`start`)."""
        return self._thread

    def urls(self) -> list[str]:
        """Base URLs, in the order the apps were given."""
        return [f"http://{self.host}:{s.config.port}/" for s in self.servers]

    def start(self, timeout: float = 15.0) -> None:
        """Start every server and wait until all accept connections."""
        self._thread = threading.Thread(target=self._run, name="simulators", daemon=True)
        self._thread.start()
        loop_deadline = timeout
        waited = 0.0
        while not all(s.started for s in self.servers):
            if not self._thread.is_alive():
                raise RuntimeError("simulator servers failed to start (is a port taken?)")
            if waited > loop_deadline:
                raise TimeoutError("simulator servers did not start in time")
            threading.Event().wait(0.02)
            waited += 0.02

    def _run(self) -> None:
        run(self.serve())

    async def serve(self) -> None:
        """Serve all apps until :meth:`stop` (usable directly from an event loop too)."""
        await asyncio.gather(*(server.serve() for server in self.servers))

    def stop(self) -> None:
        """Ask every server to exit and wait for the thread."""
        for server in self.servers:
            server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> ServerGroup:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
