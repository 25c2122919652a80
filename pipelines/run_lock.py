"""One run per warehouse: an exclusive lock taken before a run reads anything, held until it ends.

The lock is an `flock` on `<warehouse>.lock`, so the kernel releases it when the holder dies however it dies
(SIGKILL, OOM, a reboot): a dead holder's lock is simply free, and the next run takes it over. The file names the
holder's PID, for the message a second run prints; it is removed when the holder finishes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another meterline run holds this warehouse."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return "unknown"
    return text.split()[0] if text else "unknown"


def _acquire(path: Path) -> int:
    """An fd holding the lock on the file now at `path`, or WarehouseBusy."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WarehouseBusy(f"{path.with_suffix('')} is in use by another meterline run (PID {_holder(path)});"
                                " it exits 1 rather than wait: try again when that run has finished") from None
        try:
            same = os.fstat(fd).st_ino == path.stat().st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        # The holder before us removed the file between our open and our lock: lock the new one instead.
        os.close(fd)


@contextmanager
def run_lock(warehouse: Path) -> Iterator[None]:
    """Hold the warehouse for one run; a second run on the same warehouse fails at once with WarehouseBusy."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(warehouse)
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)
