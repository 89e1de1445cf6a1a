"""Capture rows (table ``captures``): one per HTTP response written to the WARC files.

A row points to its WARC record: the file (relative to the archive's directory), the byte offset and
length of the record, and the payload digest. A ``revisit`` row (the payload did not change, or the
server answered 304) refers to the capture that holds the payload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive import sql

if TYPE_CHECKING:
    from sqlite_utils import Database

RESPONSE, REVISIT = "response", "revisit"
#: Columns of a capture, in table order (without ``id``).
COLUMNS = (
    "crawl_id",
    "url",
    "fetched_at",
    "status",
    "content_type",
    "record_type",
    "warc_file",
    "warc_offset",
    "warc_length",
    "payload_digest",
    "payload_length",
    "refers_to",
)
_COLUMN_SET = frozenset(COLUMNS)
_INSERT = f"INSERT INTO captures ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
_LAST_PAYLOAD = "SELECT * FROM captures WHERE url = ? AND record_type = 'response' ORDER BY id DESC LIMIT 1"


def add_capture(db: Database, **values: Any) -> int:
    """Insert a capture row (keyword arguments: :data:`COLUMNS`); return its id."""
    unknown = values.keys() - _COLUMN_SET
    if unknown:
        raise ValueError(f"unknown capture columns: {', '.join(sorted(unknown))}")
    cursor = sql.write(db, _INSERT, [values.get(name) for name in COLUMNS])
    return int(cursor.lastrowid or 0)


def get_capture(db: Database, capture_id: int) -> dict[str, Any] | None:
    """The capture row ``capture_id``."""
    rows = list(db.query("SELECT * FROM captures WHERE id = ?", [capture_id]))
    return rows[0] if rows else None


def last_payload(db: Database, url: str) -> dict[str, Any] | None:
    """The newest capture of ``url`` that holds a payload (a ``response`` record), or None."""
    return sql.one(db, _LAST_PAYLOAD, (url,))


def payload_of(db: Database, capture: dict[str, Any]) -> dict[str, Any] | None:
    """The capture holding the payload of ``capture`` (itself, or the one a revisit refers to)."""
    seen: set[int] = set()
    while capture["record_type"] == REVISIT:
        target = capture["refers_to"]
        if target is None or target in seen:
            return None
        seen.add(target)
        found = get_capture(db, target)
        if found is None:
            return None
        capture = found
    return capture


def latest_ok(db: Database, urls: list[str]) -> dict[str, Any] | None:
    """The newest 200 (or 304) capture of any of ``urls``, or None."""
    if not urls:
        return None
    marks = ", ".join("?" for _ in urls)
    rows = list(
        db.query(
            f"SELECT * FROM captures WHERE url IN ({marks}) AND status IN (200, 304)"
            " ORDER BY id DESC LIMIT 1",
            urls,
        )
    )
    return rows[0] if rows else None


def captures_of(db: Database, url: str) -> list[dict[str, Any]]:
    """Every capture of ``url``, oldest first."""
    return list(db.query("SELECT * FROM captures WHERE url = ? ORDER BY id", [url]))
