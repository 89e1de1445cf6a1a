"""Plain statements on the archive connection, for the statements a crawl runs for every page.

``Database.query`` wraps each read in a savepoint (to reject statements that return no rows) and
``Database.execute`` checks the transaction state around each write. The write path of a crawl runs
tens of fixed statements per page inside one open transaction, so it uses the connection directly:
reads return tuples or one ``dict``, writes inside a transaction go straight to the connection.
The SQL strings are constants, so SQLite's prepared statements are reused from the connection's
statement cache. Everything else uses ``db.query`` and ``db.execute``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from sqlite_utils import Database

logger = logging.getLogger(__name__)


def first(db: Database, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    """The first row of the read ``sql`` as a tuple, or None."""
    row: tuple[Any, ...] | None = db.conn.execute(sql, params).fetchone()
    return row


def one(db: Database, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of the read ``sql`` as a ``dict`` (column name to value), or None."""
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def column(db: Database, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """The first column of every row of the read ``sql``."""
    return [row[0] for row in db.conn.execute(sql, params)]


def write(db: Database, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
    """Run the write ``sql``: on the connection inside a transaction, else committed by ``db.execute``."""
    if db.conn.in_transaction:
        return db.conn.execute(sql, params)
    return db.execute(sql, list(params))


def write_many(db: Database, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run the write ``sql`` once per row of parameters (inside a transaction when one is open)."""
    if not rows:
        return
    if db.conn.in_transaction:
        db.conn.executemany(sql, rows)
        return
    with db.atomic():
        db.conn.executemany(sql, rows)
