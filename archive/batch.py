"""One write transaction at a time over a connection, committed in batches.

A crawl writes many small *units* (an article with its version and URL state, a listing page with the
links it found, a capture row). Committing each one is slow; committing rarely loses much work when
the process is killed. :class:`WriteBatch` runs every unit in a savepoint of one open transaction and
commits when ``max_units`` weighted units were written or ``max_seconds`` passed since the last commit.
A unit is all or nothing: it is committed whole or not at all.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

#: One fixed savepoint name (nested units each release their own): its statements stay prepared.
SAVEPOINT, RELEASE, ROLLBACK_TO = (
    "SAVEPOINT newsarchive_unit",
    "RELEASE newsarchive_unit",
    "ROLLBACK TO newsarchive_unit",
)


class WriteBatch:
    """Batch the writes of ``db`` into transactions of ``max_units`` units or ``max_seconds`` seconds."""

    def __init__(
        self,
        db: Database,
        *,
        max_units: int = 50,
        max_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_units < 1:
            raise ValueError("max_units must be at least 1")
        self.db = db
        self.max_units = max_units
        self.max_seconds = max_seconds
        self.clock = clock
        self.pending = 0
        self.commits = 0
        self._since = clock()

    @contextmanager
    def unit(self, weight: int = 1) -> Iterator[Database]:
        """Write one unit: its statements run in a savepoint and are rolled back if it fails."""
        conn = self.db.conn
        if not conn.in_transaction:
            self.db.execute("BEGIN")
            self._since = self.clock()
        conn.execute(SAVEPOINT)
        try:
            yield self.db
        except BaseException:
            # An error that destroyed the transaction (savepoints included) leaves nothing to undo.
            if conn.in_transaction:
                conn.execute(ROLLBACK_TO)
                conn.execute(RELEASE)
            raise
        conn.execute(RELEASE)
        self.pending += weight
        if self.pending >= self.max_units or self.clock() - self._since >= self.max_seconds:
            self.commit()

    def commit(self) -> None:
        """Commit what was written since the last commit."""
        if self.db.conn.in_transaction:
            self.db.execute("COMMIT")
            self.commits += 1
            logger.debug("Committed %d unit(s)", self.pending)
        self.pending = 0
        self._since = self.clock()
