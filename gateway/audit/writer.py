"""The audit log: ``record`` queues an event and returns; a background task writes batches.

Events go to a bounded in-memory queue that one task drains into the store in batches of up to
``batch_size``, retrying a failed batch with jittered exponential backoff. A batch the store
still refuses is spilled (:mod:`gateway.audit.spill`), as is every batch while the store is
known to be down and any event that finds the queue full; a keeper task reopens the store and
replays the spill into it (also at start-up), deleting a spill file only once the store has
confirmed every entry. Each event gets a UUID when recorded and the store skips an id it holds,
so a replay never duplicates. ``record`` never blocks and never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential, wait_random

from gateway.audit.events import AuditEvent
from gateway.audit.spill import Spill, claimed, discard
from gateway.audit.store import AuditStore, Entry

log = logging.getLogger("offender_graph.audit")
COMPLAINT_INTERVAL = 60.0  # seconds between errors about lost events


@dataclass(frozen=True)
class Timing:
    """How hard the writer tries before spilling, and how often it tries to replay."""

    attempts: int = 3  # tries of one batch while the store is thought up
    backoff_initial: float = 0.05
    backoff_max: float = 1.0
    replay_interval: float = 1.0  # seconds between replays (doubling while the store is down)
    replay_max: float = 30.0
    write_timeout: float = 10.0  # seconds one batch may take before it counts as failed
    close_timeout: float = 5.0  # seconds aclose waits for the queue before spilling the rest


class AuditLog:
    """An :class:`~gateway.audit.events.AuditSink` writing to ``store``, spilling to
    ``spill_dir``."""

    def __init__(
        self,
        store: AuditStore,
        spill_dir: Path,
        queue_size: int = 10_000,
        batch_size: int = 200,
        timing: Timing = Timing(),
    ) -> None:
        self.store = store
        self.spill = Spill(spill_dir)
        self.batch_size = batch_size
        self.timing = timing
        self._queue: asyncio.Queue[Entry] = asyncio.Queue(queue_size)
        self._healthy = False  # the store answered last time; False until it is opened
        self._lock = asyncio.Lock()  # the spill file's fsync and rotation
        self._tasks: list[asyncio.Task[None]] = []
        self.written = 0  # entries the store confirmed (batches and replays)
        self.spilled = 0  # entries that went to the spill
        self.lost = 0  # entries neither stored nor spilled (the spill directory unwritable)
        self._complained = -COMPLAINT_INTERVAL

    def record(self, event: AuditEvent) -> None:
        try:
            entry = Entry.new(event)
            try:
                self._queue.put_nowait(entry)
            except asyncio.QueueFull:
                self.spill.append((entry,))  # buffered; the drain task fsyncs it
                self.spilled += 1
        except Exception:  # the request must not pay for the audit: never raise
            self._lost(1)

    def depth(self) -> int:
        """Events waiting in the queue (for the ``audit_queue_depth`` gauge)."""
        return self._queue.qsize()

    @property
    def healthy(self) -> bool:
        return self._healthy

    async def start(self) -> None:
        """Open the store and replay any spill (once, briefly), then start the tasks."""
        try:
            async with asyncio.timeout(self.timing.close_timeout):
                await self._recover()
        except Exception as exc:  # down at start-up: spill until the keeper reaches it
            log.warning("the audit store is unreachable (%s): spilling", type(exc).__name__)
        self._tasks = [asyncio.create_task(self._drain()), asyncio.create_task(self._keep())]

    async def aclose(self) -> None:
        """Write what is queued (within ``close_timeout``), spill the rest, close the store."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.timing.close_timeout):
                    await self._queue.join()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        rest = []
        while not self._queue.empty():
            rest.append(self._queue.get_nowait())
        if rest:
            self._spill(rest)
        self.spill.rotate()
        with contextlib.suppress(Exception):
            await self.store.aclose()

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._deliver(batch)
            except asyncio.CancelledError:
                self._spill(batch)
                raise
            finally:
                for _ in batch:
                    self._queue.task_done()
            await self._sync()

    async def _deliver(self, batch: Sequence[Entry]) -> None:
        if self._healthy:
            try:
                async for attempt in self._retrying():
                    with attempt:
                        async with asyncio.timeout(self.timing.write_timeout):
                            await self.store.write(batch)
                self.written += len(batch)
                return
            except Exception as exc:
                self._healthy = False
                log.warning("the audit store is unreachable (%s): spilling", type(exc).__name__)
        self._spill(batch)

    def _retrying(self) -> AsyncRetrying:
        timing = self.timing
        return AsyncRetrying(
            stop=stop_after_attempt(timing.attempts),
            wait=wait_exponential(multiplier=timing.backoff_initial, max=timing.backoff_max)
            + wait_random(0, timing.backoff_initial),
            reraise=True,
        )

    def _spill(self, entries: Sequence[Entry]) -> None:
        try:
            self.spill.append(entries)
            self.spilled += len(entries)
        except OSError:
            self._lost(len(entries))

    def _lost(self, count: int) -> None:
        """Count events neither stored nor spilled; log them at most once a minute."""
        self.lost += count
        now = time.monotonic()
        if now - self._complained >= COMPLAINT_INTERVAL:
            self._complained = now
            log.error("audit events lost (%d so far): the spill cannot be written", self.lost)

    async def _sync(self) -> None:
        """``fsync`` the spill if anything went to it (the descriptor stays open meanwhile)."""
        async with self._lock:
            try:
                fd = self.spill.flush()
                if fd is not None and self.spill.pending:
                    await asyncio.to_thread(os.fsync, fd)
            except OSError:
                log.exception("the audit spill could not be synced")

    async def _keep(self) -> None:
        """Reopen the store when it was down and replay the spill, with backoff."""
        delay = self.timing.replay_interval
        while True:
            await asyncio.sleep(delay)
            try:
                await self._recover()
                delay = self.timing.replay_interval
            except Exception as exc:  # the store is still down: try again later
                self._healthy = False
                log.debug("audit store not back yet: %s", type(exc).__name__)
                delay = min(delay * 2, self.timing.replay_max)

    async def _recover(self) -> None:
        if not self._healthy:
            await self.store.open()  # creates the schema if missing; proves the store answers
        async with self._lock:
            if self.spill.pending:
                self.spill.rotate()
        for path in self.spill.files():
            with claimed(path) as entries:
                if entries is None:
                    continue  # another process holds it
                for start in range(0, len(entries), self.batch_size):
                    await self.store.write(entries[start : start + self.batch_size])
                discard(path)
                self.written += len(entries)
                if entries:
                    log.info("replayed %d audit events from %s", len(entries), path.name)
        self._healthy = True
