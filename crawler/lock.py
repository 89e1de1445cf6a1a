"""One writer per archive: a lock file beside the database (``archive.db.lock``), held with flock.

The lock is held for the whole crawl. A second run on the same archive finds it taken and stops at
once with :data:`~crawler.exitcodes.LOCKED` (3). The operating system releases the lock when the
holder exits, even after ``kill -9``, so a crashed run never blocks the next one. Within one process
the lock is re-entrant: the command line takes it and the crawl it starts takes it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)


class ArchiveLockedError(Exception):
    """Another process holds the archive's lock."""


def lock_path(db_path: str | Path) -> Path:
    """The lock file of an archive: ``archive.db`` -> ``archive.db.lock``."""
    path = Path(db_path)
    return path.with_name(path.name + ".lock")


class _Held:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.count = 0


_HELD: dict[str, _Held] = {}
_GUARD = threading.Lock()


def acquire(db_path: str | Path) -> Path:
    """Take the lock of the archive at ``db_path``; :class:`ArchiveLockedError` if another process has it."""
    path = lock_path(db_path)
    key = str(path.resolve())
    with _GUARD:
        held = _HELD.get(key)
        if held is None:
            held = _HELD[key] = _Held(_take(path))
        held.count += 1
    return path


def release(db_path: str | Path) -> None:
    """Give the lock back (the file is kept; only the flock is released)."""
    key = str(lock_path(db_path).resolve())
    with _GUARD:
        held = _HELD.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count <= 0:
            del _HELD[key]
            with contextlib.suppress(OSError):
                fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)


@contextlib.contextmanager
def hold(db_path: str | Path) -> Iterator[Path]:
    """``with hold(db):`` the archive is locked for the block."""
    path = acquire(db_path)
    try:
        yield path
    finally:
        release(db_path)


def is_held(db_path: str | Path) -> bool:
    """Whether this process holds the lock of the archive at ``db_path``."""
    with _GUARD:
        return str(lock_path(db_path).resolve()) in _HELD


def _take(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise ArchiveLockedError(
            f"{path.with_suffix('')} is locked by another run ({holder}); this run stops without crawling"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.pwrite(fd, f"pid {os.getpid()} since {stamp}\n".encode(), 0)
    logger.debug("Locked %s", path)
    return fd


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
