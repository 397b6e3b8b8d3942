"""The queued audit log: record never blocks, failures spill, spills replay, none lost."""

from __future__ import annotations

import asyncio
import fcntl
import json
import stat
import time
from collections.abc import Sequence
from pathlib import Path

from gateway.audit.sqlite_store import SqliteAuditStore
from gateway.audit.store import Entry
from gateway.audit.writer import AuditLog
from tests.gateway.audit.helpers import QUICK, FlakyStore, count_rows, event, settle


def spill_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("spill-*.jsonl"))


async def test_events_are_written_in_batches(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "audit.db")
    log = AuditLog(store, tmp_path / "spill", batch_size=50, timing=QUICK)
    await log.start()
    for n in range(500):
        log.record(event(n))
    await settle(lambda: log.written == 500)
    await log.aclose()
    assert count_rows(tmp_path / "audit.db") == (500, 500)
    assert store.writes < 500  # batched, not one write per event
    assert log.spilled == 0 and spill_files(tmp_path / "spill") == []


async def test_a_failure_the_retry_outlasts_spills_nothing(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "audit.db")
    failures = iter([True, False])
    original = store.write

    async def write_after_one_failure(entries: Sequence[Entry]) -> None:
        store.down = next(failures, False)
        await original(entries)

    store.write = write_after_one_failure  # type: ignore[method-assign]
    log = AuditLog(store, tmp_path / "spill", timing=QUICK)
    await log.start()
    log.record(event(1))
    await settle(lambda: log.written == 1)
    await log.aclose()
    assert log.spilled == 0 and count_rows(tmp_path / "audit.db") == (1, 1)


async def test_a_stalled_store_never_blocks_record_and_the_overflow_spills(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "audit.db")
    log = AuditLog(store, tmp_path / "spill", queue_size=100, batch_size=10, timing=QUICK)
    await log.start()
    store.stalled.clear()  # every write now hangs
    slowest = 0.0
    for n in range(5000):
        began = time.perf_counter()
        log.record(event(n))
        slowest = max(slowest, time.perf_counter() - began)
    assert slowest < 0.005, f"record took {slowest * 1e6:.0f} µs"
    assert log.depth() == 100  # full: the drain holds one batch, stalled
    await asyncio.sleep(0.05)
    spilled = spill_files(tmp_path / "spill")
    assert len(spilled) == 1 and stat.S_IMODE(spilled[0].stat().st_mode) == 0o600
    store.stalled.set()
    await settle(lambda: log.written >= 5000 and not spill_files(tmp_path / "spill"))
    await log.aclose()
    assert count_rows(tmp_path / "audit.db") == (5000, 5000)


async def test_an_outage_spills_and_the_spill_replays_with_none_lost_none_doubled(
    tmp_path: Path,
) -> None:
    store = FlakyStore(tmp_path / "audit.db")
    log = AuditLog(store, tmp_path / "spill", queue_size=1000, batch_size=25, timing=QUICK)
    await log.start()

    async def reader(worker: int) -> None:
        for n in range(200):
            log.record(event(worker * 1000 + n))
            await asyncio.sleep(0.0005)

    readers = asyncio.gather(*(reader(w) for w in range(10)))
    await asyncio.sleep(0.05)
    store.down = True
    await asyncio.sleep(0.3)
    assert spill_files(tmp_path / "spill")  # the outage went to disk
    store.down = False
    await readers
    await settle(lambda: log.healthy and log.depth() == 0 and not spill_files(tmp_path / "spill"))
    await log.aclose()
    assert log.spilled > 0
    assert count_rows(tmp_path / "audit.db") == (2000, 2000)


async def test_a_spill_left_by_an_earlier_run_is_replayed_at_start_up(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "audit.db")
    store.down = True
    first = AuditLog(store, tmp_path / "spill", timing=QUICK)
    await first.start()
    for n in range(30):
        first.record(event(n))
    await first.aclose()  # the store never came back: everything is on disk
    (spilled,) = spill_files(tmp_path / "spill")
    lines = [json.loads(line) for line in spilled.read_text().splitlines()]
    assert len(lines) == 30 and set(lines[0]) == {
        "id",
        "at",
        "subject",
        "client",
        "person_id",
        "person_keys",
        "field_groups",
        "outcome",
        "correlation_id",
        "operation",
    }
    second = AuditLog(SqliteAuditStore(tmp_path / "audit.db"), tmp_path / "spill", timing=QUICK)
    await second.start()
    assert spill_files(tmp_path / "spill") == []
    await second.aclose()
    assert count_rows(tmp_path / "audit.db") == (30, 30)


async def test_a_torn_line_is_skipped_and_a_locked_file_left_alone(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    good = [Entry.new(event(n)) for n in range(3)]
    torn = spill / "spill-1-aa.jsonl"
    torn.write_text("".join(e.to_json() + "\n" for e in good) + good[0].to_json()[:20])
    busy = spill / "spill-2-bb.jsonl"
    busy.write_text(Entry.new(event(9)).to_json() + "\n")
    with busy.open() as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another replica is writing it
        log = AuditLog(SqliteAuditStore(tmp_path / "audit.db"), spill, timing=QUICK)
        await log.start()
        await log.aclose()
    assert count_rows(tmp_path / "audit.db") == (3, 3)
    assert spill_files(spill) == [busy]


async def test_record_never_raises(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    log = AuditLog(FlakyStore(tmp_path / "audit.db"), blocked / "spill", queue_size=1)
    log.record(event(1))
    log.record(event(2))  # the queue is full and the spill cannot be made: counted, not raised
    log.record(event(3))
    assert log.depth() == 1 and log.lost == 2
