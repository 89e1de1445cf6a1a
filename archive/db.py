"""Opening the archive file: checks, migrations, WAL and foreign keys."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from archive.errors import ArchiveError, ArchiveNotFoundError, NotAnArchiveError, SchemaTooNewError
from archive.migrations import known_names, migrations

logger = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATIONS_TABLE = "_sqlite_migrations"
BUSY_TIMEOUT_MS = 10_000


def open_archive(path: str | Path, *, create: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open the archive at ``path``, creating it and applying pending migrations as needed.

    The connection has ``foreign_keys`` on; a writable archive is put in WAL mode and brought up to
    the current schema. A file that is not a newsarchive archive is never modified.

    :raises ArchiveError: the file is missing (and ``create`` is false or ``readonly`` is true), is not
        a SQLite database, is a SQLite database of another application, or has a newer schema.
    """
    path = Path(path)
    _check_file(path, create=create, readonly=readonly)
    db = _connect(path, readonly=readonly)
    try:
        _check_archive(db, path, create=create, readonly=readonly)
        _configure(db, readonly=readonly)
        if readonly:
            _warn_pending(db, path)
        else:
            _migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _check_file(path: Path, *, create: bool, readonly: bool) -> None:
    if path.is_dir():
        raise NotAnArchiveError(f"{path} is a directory, not an archive file")
    if not path.exists():
        if readonly or not create:
            raise ArchiveNotFoundError(f"archive not found: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        logger.info("Creating archive %s", path)
        return
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise NotAnArchiveError(f"{path} is not an archive: file is not a database (not SQLite)")


def _connect(path: Path, *, readonly: bool) -> sqlite_utils.Database:
    if readonly:
        uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
    else:
        conn = sqlite3.connect(str(path))
    return sqlite_utils.Database(conn)


def _check_archive(db: sqlite_utils.Database, path: Path, *, create: bool, readonly: bool) -> None:
    try:
        tables = set(db.table_names())
        applied = _applied_names(db, tables)
    except sqlite3.DatabaseError as error:
        raise NotAnArchiveError(f"{path} is not an archive: {error}") from error
    if not applied:
        others = sorted(name for name in tables if name != MIGRATIONS_TABLE)
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise NotAnArchiveError(
                f"{path} is a SQLite database but not a newsarchive archive (tables: {shown})"
            )
        if readonly or not create:
            raise NotAnArchiveError(f"{path} is an empty database, not an initialised archive")
    unknown = [name for name in applied if name not in set(known_names())]
    if unknown:
        raise SchemaTooNewError(
            f"{path} has a newer archive schema than this version of newsarchive knows "
            f"(unknown migrations: {', '.join(unknown)}); upgrade newsarchive"
        )


def _applied_names(db: sqlite_utils.Database, tables: set[str]) -> list[str]:
    if MIGRATIONS_TABLE not in tables:
        return []
    return [migration.name for migration in migrations.applied(db)]


def _configure(db: sqlite_utils.Database, *, readonly: bool) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")


def _migrate(db: sqlite_utils.Database, path: Path) -> None:
    pending = [migration.name for migration in migrations.pending(db)]
    if not pending:
        return
    logger.info("Applying %d migration(s) to %s: %s", len(pending), path, ", ".join(pending))
    try:
        migrations.apply(db)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"could not upgrade the archive schema of {path}: {error}") from error


def _warn_pending(db: sqlite_utils.Database, path: Path) -> None:
    pending = migrations.pending(db)
    if pending:
        logger.warning("Archive %s opened read-only with %d pending migration(s)", path, len(pending))


def schema_version(db: sqlite_utils.Database) -> list[str]:
    """Names of the newsarchive migrations applied to ``db``, in the order they were applied."""
    return [migration.name for migration in migrations.applied(db)]


__all__ = ["open_archive", "schema_version"]
