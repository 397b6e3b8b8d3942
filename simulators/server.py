"""Run ASGI apps on real sockets (uvicorn on 127.0.0.1) in a background thread.

Used by ``offender-graph simulate``, by ``make demo`` and by tests that must cross a real network.
Every app served here keeps the W3C trace context of the requests it received
(:class:`TraceLog`): ``GET /_sim/traces`` lists the last :data:`MAX_TRACES`, oldest first, and
``DELETE /_sim/traces`` clears them, so a test can follow one trace from the gateway into a
regional system. :class:`EstateAdmin` adds ``POST /_sim/move`` and ``POST /_sim/merge`` to each
system of a running estate: people move and records merge while a gateway indexes them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators import changes
from simulators.changes import ChangeError, UnknownRecord
from simulators.truth import Estate

T = TypeVar("T")
log = logging.getLogger("simulators.traces")

TRACES_PATH = "/_sim/traces"
MOVE_PATH = "/_sim/move"
MERGE_PATH = "/_sim/merge"
MAX_TRACES = 1000  # received trace contexts kept per app, the oldest dropped first
_TRACE_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate"}


class TraceLog:
    """Record the ``traceparent`` (and ``tracestate``) of every request that carries one."""

    def __init__(self, app: ASGIApp, size: int = MAX_TRACES) -> None:
        self.app = app
        self.received: deque[dict[str, str]] = deque(maxlen=size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == TRACES_PATH:
                await self._control(scope["method"], send)
                return
            self._record(scope)
        await self.app(scope, receive, send)

    def _record(self, scope: Scope) -> None:
        found = {
            _TRACE_HEADERS[key]: value.decode("latin-1")
            for key, value in scope["headers"]
            if key in _TRACE_HEADERS
        }
        if "traceparent" in found:
            found.update(method=scope["method"], path=scope["path"])
            self.received.append(found)
            log.debug("%s %s traceparent %s", scope["method"], scope["path"], found["traceparent"])

    async def _control(self, method: str, send: Send) -> None:
        payload: object
        if method == "GET":
            status, payload = 200, list(self.received)
        elif method == "DELETE":
            self.received.clear()
            status, payload = 200, []
        else:
            status, payload = 405, {"error": f"no control endpoint {method} traces"}
        await _send_json(send, status, payload)


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
                    TraceLog(app),
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


class EstateAdmin:
    """The ``/_sim/move`` and ``/_sim/merge`` endpoints of one system of a running estate
    (:mod:`simulators.changes`), so a test can move people and merge records while it runs.

    - ``POST /_sim/move`` ``{"localId", "to"}`` (a prison id or probation region code) answers
      ``{"system", "localId"}``: where the record is now (another system's, under a new id,
      when ``to`` is a place that system covers).
    - ``POST /_sim/merge`` ``{"loser", "survivor"}`` (local ids) answers ``{"system",
      "localId", "retired"}``: the survivor, and the identifiers the merge retired.

    A body that is not such an object answers 400, an unknown local id 404, a change the
    estate cannot make 409, each with ``{"error"}``.
    """

    def __init__(self, app: ASGIApp, estate: Estate, system: str) -> None:
        self.app = app
        self.estate = estate
        self.system = system

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = _ADMIN.get((scope.get("method", ""), scope.get("path", "")))
        if scope["type"] != "http" or handler is None:
            await self.app(scope, receive, send)
            return
        try:
            body = json.loads(await _read_body(receive) or b"null")
            fields = _ADMIN_FIELDS[scope["path"]]
            if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
                raise ValueError(f"expected a JSON object with {' and '.join(fields)} (strings)")
            status, payload = 200, handler(self, *(body[f] for f in fields))
        except UnknownRecord as exc:
            status, payload = 404, {"error": str(exc)}
        except ChangeError as exc:
            status, payload = 409, {"error": str(exc)}
        except ValueError as exc:  # json.JSONDecodeError too
            status, payload = 400, {"error": str(exc)}
        await _send_json(send, status, payload)

    def move(self, local_id: str, to: str) -> dict[str, object]:
        moved = changes.move(self.estate, self.system, local_id, to)
        return {"system": moved.system, "localId": moved.local_id}

    def merge(self, loser: str, survivor: str) -> dict[str, object]:
        retired = changes.merge(self.estate, self.system, loser, survivor)
        return {"system": self.system, "localId": survivor, "retired": retired}


_ADMIN: dict[tuple[str, str], Callable[..., dict[str, object]]] = {
    ("POST", MOVE_PATH): EstateAdmin.move,
    ("POST", MERGE_PATH): EstateAdmin.merge,
}
_ADMIN_FIELDS = {MOVE_PATH: ("localId", "to"), MERGE_PATH: ("loser", "survivor")}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
