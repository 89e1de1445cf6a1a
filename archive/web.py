"""Serving an archive read-only in Datasette, with the metadata and templates shipped in the package.

Datasette is an optional dependency (``pip install 'newsarchive[web]'``); it runs in a child process,
started as ``python -m datasette serve --immutable ARCHIVE``, so nothing here imports it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.db import open_archive
from archive.errors import ArchiveError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

DATASETTE_DIR = Path(__file__).parent / "datasette"
METADATA_PATH = DATASETTE_DIR / "metadata.json"
TEMPLATES_DIR = DATASETTE_DIR / "templates"
#: Key of the archive database in the shipped metadata; replaced by the name Datasette gives the file.
METADATA_DATABASE = "archive"
INSTALL_HINT = "pip install 'newsarchive[web]'"
#: Datasette settings: short cells in table views (an article's row page shows its whole text).
SETTINGS = {"truncate_cells_html": "300"}
EDITED_WITH_VERSIONS_SQL = """select
  a.id,
  a.title,
  a.published,
  a.modified,
  round(julianday(a.modified_utc) - julianday(a.published_utc), 1) as days_later,
  (select count(*) from versions v where v.article_id = a.id) as versions,
  a.url
from articles a
where a.modified_utc > a.published_utc
  or exists (select 1 from versions v where v.article_id = a.id)
order by versions desc, days_later desc, a.id"""


def datasette_installed() -> bool:
    """Whether the ``datasette`` package can be imported."""
    return importlib.util.find_spec("datasette") is not None


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives the database file (its file name without the extension)."""
    return Path(db_path).stem


def has_versions(db: Database) -> bool:
    """Whether the archive keeps earlier versions of articles (a ``versions`` table with ``article_id``)."""
    return "versions" in db.table_names() and "article_id" in db["versions"].columns_dict


def datasette_metadata(db: Database, name: str) -> dict[str, Any]:
    """The shipped metadata for a database named ``name``, adapted to the tables ``db`` has."""
    if not METADATA_PATH.is_file():
        raise ArchiveError(f"the Datasette metadata of newsarchive is missing: {METADATA_PATH}; reinstall it")
    metadata = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
    database = metadata["databases"].pop(METADATA_DATABASE)
    if has_versions(db):
        edited = database["queries"]["edited_after_publication"]
        edited["sql"] = EDITED_WITH_VERSIONS_SQL
        edited["description"] += " Articles with stored earlier versions are listed too."
    metadata["databases"][name] = database
    return metadata


def datasette_argv(
    db_path: str | Path, metadata_path: Path, *, host: str, port: int, extra: Sequence[str] = ()
) -> list[str]:
    """The command line that serves ``db_path`` immutable (read-only) with the given metadata."""
    argv = [sys.executable, "-m", "datasette", "serve", "--immutable", str(db_path)]
    argv += ["--metadata", str(metadata_path), "--template-dir", str(TEMPLATES_DIR)]
    argv += ["--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        argv += ["--setting", name, value]
    return argv + list(extra)


@contextmanager
def datasette_command(
    db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001, extra: Sequence[str] = ()
) -> Iterator[list[str]]:
    """Check the archive, write its metadata to a temporary file and yield the Datasette command line.

    The metadata file is removed when the block ends.

    :raises ArchiveError: ``db_path`` is missing or is not a newsarchive archive.
    """
    db = open_archive(db_path, create=False, readonly=True)
    try:
        metadata = datasette_metadata(db, database_name(db_path))
    finally:
        db.close()
    with tempfile.TemporaryDirectory(prefix="newsarchive-datasette-") as directory:
        metadata_path = Path(directory) / "metadata.json"
        metadata_path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        yield datasette_argv(db_path, metadata_path, host=host, port=port, extra=extra)


def unmerged_wal(db_path: str | Path) -> bool:
    """Whether the archive has a non-empty write-ahead log, which immutable mode does not read."""
    wal = Path(f"{db_path}-wal")
    return wal.is_file() and wal.stat().st_size > 0


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette on the archive until it stops (Ctrl+C); return its exit code."""
    with datasette_command(db_path, host=host, port=port) as argv:
        logger.info("Starting %s", " ".join(argv))
        process = subprocess.Popen(argv)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            return 0
