"""Shared benchmark machinery: the estate and servers on loopback, a bounded load loop, statistics.

Everything runs in this one process: the simulated estate (7 uvicorn servers on one event loop in
one background thread), the gateway and the floor (each a uvicorn server in its own background
thread) and the load generator (an httpx.AsyncClient on the main thread's event loop). They share
one GIL, so absolute figures are "one busy core" figures; the ratios, measured side by side under
the same conditions, are the point.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import platform
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.settings import parse_settings
from simulators.faults import Faults
from simulators.population import DEFAULT_SEED, generate_estate
from simulators.runner import RunningEstate
from simulators.server import ServerGroup, free_port
from simulators.truth import Estate

# The figures are the output: the gateway's own log lines (a degraded region logs each failure)
# would bury them, so only errors are printed.
logging.basicConfig(level=logging.ERROR)

# --- servers -----------------------------------------------------------------------------------


@dataclass
class EstateRun:
    """The generated estate running on loopback, and how long each step took (seconds)."""

    estate: Estate
    running: RunningEstate
    generate_s: float
    start_s: float


def generate(people: int, seed: int = DEFAULT_SEED) -> tuple[Estate, float]:
    """The seeded population, and how long generating it took."""
    t0 = time.perf_counter()
    estate = generate_estate(seed=seed, people=people)
    return estate, time.perf_counter() - t0


def start_estate(estate: Estate, generate_s: float = math.nan) -> EstateRun:
    """Serve every system of ``estate`` on its own free loopback port."""
    t0 = time.perf_counter()
    running = RunningEstate(estate).start()
    return EstateRun(estate, running, generate_s, time.perf_counter() - t0)


@dataclass
class Served:
    """One ASGI app served by uvicorn in a background thread."""

    group: ServerGroup
    base_url: str
    start_s: float

    def cpu(self) -> Clock:
        return group_cpu(self.group)

    def stop(self) -> None:
        self.group.stop()


# --- CPU time by thread --------------------------------------------------------------------------

Clock = Callable[[], float]


def thread_cpu(thread: threading.Thread) -> Clock:
    """CPU seconds used so far by one thread (Linux and other POSIX systems)."""
    assert thread.ident is not None, "thread not started"
    clock_id = time.pthread_getcpuclockid(thread.ident)
    return lambda: time.clock_gettime(clock_id)


def group_cpu(group: ServerGroup) -> Clock:
    """CPU clock of the thread a :class:`ServerGroup` runs its servers in."""
    thread = group.thread
    assert thread is not None, "server group not started"
    return thread_cpu(thread)


def serve(app: ASGIApp) -> Served:
    """Serve ``app`` on a free loopback port; returns once it accepts connections.

    uvicorn runs the app's lifespan start-up (the gateway starts its connectors there) before it
    reports ``started``, so a returned gateway is ready.
    """
    port = free_port()
    t0 = time.perf_counter()
    group = ServerGroup([(app, port)])
    group.start(timeout=30)
    return Served(group, f"http://127.0.0.1:{port}", time.perf_counter() - t0)


COLD = {"enabled": False}  # the cache off: every lookup makes its upstream calls
QUIET = {"probe_interval": 3600.0}  # no background probe: its calls would show in the counters


def serve_gateway(
    running: RunningEstate,
    cache: Mapping[str, Any] = COLD,
    resilience: Mapping[str, Any] | None = None,
    region: Mapping[str, Any] | None = None,
    **gateway: Any,
) -> Served:
    """The real gateway (``create_app``) for the running estate; cold unless ``cache`` says
    otherwise. ``region`` options are set on every region's table (e.g. ``timeout``)."""
    tables = running.region_tables()
    for table in tables.values():
        table.update(region or {})
    settings = parse_settings(
        {
            "regions": tables,
            "gateway": gateway,
            "cache": dict(cache),
            "resilience": {**QUIET, **(resilience or {})},
            "auth": {"mode": "off"},
        }
    )
    return serve(create_app(settings))


# --- simulator control -------------------------------------------------------------------------


def set_faults(running: RunningEstate, *, only: str | None = None, **faults: Any) -> None:
    """Set the same faults on every system, or on the one named ``only`` (unnamed settings go
    back to none)."""
    Faults.from_mapping(faults)  # fail early on a typo
    for name, system in running.systems.items():
        if only is None or name == only:
            httpx.put(system.url + "_sim/faults", json=faults, timeout=5).raise_for_status()


def reset_counters(running: RunningEstate) -> None:
    for system in running.systems.values():
        httpx.delete(system.url + "_sim/counters", timeout=5).raise_for_status()


def read_counters(running: RunningEstate) -> dict[str, Counter[str]]:
    """Upstream requests by system and operation since the last reset."""
    found: dict[str, Counter[str]] = {}
    for name, system in running.systems.items():
        response = httpx.get(system.url + "_sim/counters", timeout=5)
        response.raise_for_status()
        found[name] = Counter(response.json())
    return found


def operations(counters: Mapping[str, Counter[str]]) -> dict[str, Counter[str]]:
    """Counters without the catch-all ``_requests`` (which counts every call once more)."""
    return {
        name: Counter({op: n for op, n in c.items() if op != "_requests"})
        for name, c in counters.items()
    }


# --- load --------------------------------------------------------------------------------------

Request = Callable[[httpx.AsyncClient, Any], Awaitable[str | None]]
"""Send one request for an item; return None on success, or a short description of the error."""


@dataclass
class LoadResult:
    """Latencies (seconds) of the requests that finished, and the errors met."""

    label: str
    concurrency: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # seconds by clock name, during the run

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        """The q-th percentile latency in milliseconds."""
        return percentile(self.latencies, q) * 1000

    def cpu_ms(self, clock: str) -> float:
        """CPU milliseconds per request spent in one clock's thread."""
        return self.cpu[clock] * 1000 / self.count if self.count and clock in self.cpu else math.nan


async def run_load(
    label: str,
    send: Request,
    items: Sequence[Any],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    clocks: Mapping[str, Clock] | None = None,
) -> LoadResult:
    """``concurrency`` workers cycle through ``items`` until ``max_requests`` or ``max_seconds``.

    Bounded both ways: no worker starts a request after the deadline, and every request has a
    client timeout, so the loop always ends. Each worker keeps one connection alive. ``clocks``
    (CPU clocks by name) are read before and after; the load generator's own thread is ``client``.
    """
    clocks = {**(clocks or {}), "client": time.thread_time}
    result = LoadResult(label, concurrency, 0.0)
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        cpu_before = {name: clock() for name, clock in clocks.items()}
        start = time.perf_counter()
        deadline = start + max_seconds

        async def worker() -> None:
            nonlocal next_index
            while next_index < max_requests and time.perf_counter() < deadline:
                item = items[next_index % len(items)]
                next_index += 1
                t0 = time.perf_counter()
                try:
                    error = await send(client, item)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                result.latencies.append(time.perf_counter() - t0)
                if error is not None:
                    result.errors.append(error)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - start
        result.cpu = {name: clock() - cpu_before[name] for name, clock in clocks.items()}
    return result


def percentile(values: Iterable[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of ``values``; NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- printing ----------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A compact fixed-width table; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [
        all(_is_number(row[i]) for row in cells) and bool(cells) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    rule = "  " + "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return text == "-"
    return True


def machine_note() -> str:
    """Cores, CPU model and Python: what a reader needs to compare figures."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for row in cpuinfo:
                if row.startswith("model name"):
                    model = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"
