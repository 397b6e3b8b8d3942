"""The spill: audit entries the store could not take yet, in local append-only files.

Each process appends JSON lines (one :class:`~gateway.audit.store.Entry` a line, the fields of
``audit_events``) to its own file ``spill-<pid>-<random>.jsonl`` (mode 0600) in the spill
directory, holding an exclusive ``flock`` on it while it does; the writer ``fsync``s after each
batch. Replaying claims every other file it can lock (its own current one first rotated), writes
its entries to the store and deletes the file only once the store has confirmed them all; a
replica's file in use stays locked and is left alone. A torn last line (a crash mid-write) is
skipped with a warning.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from gateway.audit.store import Entry

log = logging.getLogger("offender_graph.audit")
PATTERN = "spill-*.jsonl"


class Spill:
    """This process's spill file in ``directory``, opened at the first entry."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._file: IO[str] | None = None
        self._path: Path | None = None
        self.pending = 0  # entries appended to the current file and not yet replayed

    def append(self, entries: Iterable[Entry]) -> None:
        """Append entries (buffered: :meth:`sync` makes them durable)."""
        handle = self._open()
        for entry in entries:
            handle.write(entry.to_json() + "\n")
            self.pending += 1

    def flush(self) -> int | None:
        """Hand the buffered lines to the OS; the file's descriptor, for an ``fsync``."""
        if self._file is None:
            return None
        self._file.flush()
        return self._file.fileno()

    def sync(self) -> None:
        """Flush and ``fsync`` the current file."""
        fd = self.flush()
        if fd is not None:
            os.fsync(fd)

    def rotate(self) -> None:
        """Close the current file (made durable) so it can be replayed; the next append opens a
        new one."""
        if self._file is not None:
            self.sync()
            self._file.close()  # releases the lock
            self._file = self._path = None
            self.pending = 0

    def _open(self) -> IO[str]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = f"spill-{os.getpid()}-{secrets.token_hex(4)}.jsonl"
            path = self.directory / name
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._file, self._path = os.fdopen(fd, "a", encoding="utf-8"), path
        return self._file

    def files(self) -> list[Path]:
        """The spill files there are, other than the one being written, oldest name first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(PATTERN) if p != self._path)


@contextmanager
def claimed(path: Path) -> Iterator[list[Entry] | None]:
    """The entries of a spill file while holding its lock, or ``None`` if another process holds
    it (or it is gone). The caller deletes the file with :func:`discard` inside the block."""
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        yield None
        return
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        if not path.exists():  # replayed and deleted by another process meanwhile
            yield None
            return
        yield list(_entries(path, handle))


def discard(path: Path) -> None:
    """Delete a replayed spill file (its entries are in the store)."""
    path.unlink(missing_ok=True)


def _entries(path: Path, handle: IO[str]) -> Iterator[Entry]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield Entry.from_json(line)
        except (ValueError, KeyError, TypeError):
            log.warning(
                "audit spill %s line %d is torn or not an entry: skipped", path.name, number
            )
