"""The archive file: creation, migrations, pragmas and refusing files that are not archives."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import ArchiveError, open_archive
from archive.db import schema_version
from archive.errors import ArchiveNotFoundError, NotAnArchiveError, SchemaTooNewError
from archive.migrations import known_names, migrations

ROOT = Path(__file__).resolve().parent.parent

ARTICLE_COLUMNS = [
    "id",
    "url",
    "url_raw",
    "site",
    "post_id",
    "title",
    "subtitle",
    "section",
    "section_path",
    "published",
    "published_raw",
    "published_source",
    "published_utc",
    "modified",
    "modified_raw",
    "modified_source",
    "visible_date_raw",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "body_text",
    "body_html",
    "language",
    "word_count",
    "content_hash",
    "flags",
    "stripped",
    "field_sources",
    "embeds",
    "first_seen",
    "last_seen",
    "fetched_at",
    "first_crawl_id",
    "last_crawl_id",
]
TABLES = {
    "articles",
    "authors",
    "article_authors",
    "categories",
    "article_categories",
    "tags",
    "article_tags",
    "images",
    "crawls",
    "articles_fts",
}


def _sidecars(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name + "-")]


def test_new_archive_has_every_table_and_migration(fresh_db):
    assert set(fresh_db.table_names()) >= TABLES
    assert schema_version(fresh_db) == known_names()
    assert len(known_names()) >= 8


def test_articles_has_required_columns(fresh_db):
    columns = set(fresh_db["articles"].columns_dict)
    missing = [name for name in ARTICLE_COLUMNS if name not in columns]
    assert missing == []
    assert fresh_db["articles"].pks == ["id"]


def test_wal_and_foreign_keys_are_on(fresh_db, db_path):
    assert fresh_db.journal_mode == "wal"
    assert next(fresh_db.query("PRAGMA foreign_keys"))["foreign_keys"] == 1
    fresh_db.close()
    again = open_archive(db_path)
    assert again.journal_mode == "wal"
    assert next(again.query("PRAGMA foreign_keys"))["foreign_keys"] == 1
    again.close()


def test_fts_triggers_and_indexes_exist(fresh_db):
    assert fresh_db["articles"].detect_fts() == "articles_fts"
    assert fresh_db["articles_fts"].virtual_table_using == "FTS5"
    triggers = {trigger.name for trigger in fresh_db["articles"].triggers}
    assert {"articles_ai", "articles_ad", "articles_au"} <= triggers
    indexed = {tuple(index.columns) for index in fresh_db["articles"].indexes}
    assert {("published_utc",), ("section",), ("site",)} <= indexed


def test_link_tables_cascade_on_delete(fresh_db):
    for table in ("article_authors", "article_categories", "article_tags", "images"):
        keys = [fk for fk in fresh_db.execute(f"PRAGMA foreign_key_list({table})").fetchall()]
        to_articles = [fk for fk in keys if fk[2] == "articles"]
        assert to_articles, table
        assert all(fk[6] == "CASCADE" for fk in to_articles), table
    assert fresh_db["article_authors"].pks == ["article_id", "author_id"]


def test_migrations_are_idempotent(fresh_db, db_path):
    schema = fresh_db.schema
    migrations.apply(fresh_db)
    migrations.apply(fresh_db)
    assert fresh_db.schema == schema
    fresh_db.close()
    again = open_archive(db_path)
    assert again.schema == schema
    count = again.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'newsarchive'")
    assert count.fetchone()[0] == len(known_names())
    again.close()


def test_pending_migrations_are_applied_on_open(db_path):
    import sqlite_utils

    partial = sqlite_utils.Database(db_path)
    migrations.apply(partial, stop_before="m007_articles_fts")
    assert "articles_fts" not in partial.table_names()
    partial.close()
    db = open_archive(db_path)
    assert "articles_fts" in db.table_names()
    assert schema_version(db) == known_names()
    db.close()


def test_missing_file_without_create_is_an_error(db_path):
    with pytest.raises(ArchiveNotFoundError, match="not found"):
        open_archive(db_path, create=False)
    with pytest.raises(ArchiveError):
        open_archive(db_path, readonly=True)
    assert not db_path.exists()


def test_create_makes_parent_directories(tmp_path):
    path = tmp_path / "data" / "nested" / "archive.db"
    db = open_archive(path)
    assert path.exists()
    db.close()


def test_random_bytes_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "random.db"
    data = random.Random(7).randbytes(8192)
    path.write_bytes(data)
    with pytest.raises(NotAnArchiveError, match="not a database"):
        open_archive(path)
    assert path.read_bytes() == data
    assert _sidecars(path) == []


def test_sqlite_header_with_garbage_is_refused(tmp_path):
    path = tmp_path / "broken.db"
    data = b"SQLite format 3\x00" + random.Random(3).randbytes(4096)
    path.write_bytes(data)
    with pytest.raises(ArchiveError):
        open_archive(path)
    assert path.read_bytes() == data


def test_foreign_sqlite_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotAnArchiveError, match="not a newsarchive archive.*users"):
        open_archive(path)
    with pytest.raises(NotAnArchiveError):
        open_archive(path, readonly=True)
    assert path.read_bytes() == before
    assert _sidecars(path) == []


def test_newer_schema_is_refused(fresh_db, db_path):
    fresh_db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        ["newsarchive", "m999_from_the_future", "2030-01-01 00:00:00+00:00"],
    )
    fresh_db.close()
    with pytest.raises(SchemaTooNewError, match="m999_from_the_future"):
        open_archive(db_path)


def test_empty_file_is_initialised_only_when_creating(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(NotAnArchiveError, match="empty"):
        open_archive(path, create=False)
    db = open_archive(path)
    assert schema_version(db) == known_names()
    db.close()


def test_readonly_archive_reads_but_does_not_write(fresh_db, db_path):
    fresh_db.execute(
        "INSERT INTO crawls (spider, site, started) VALUES ('tdi', 'tdi', '2026-01-01T00:00:00Z')"
    )
    fresh_db.close()
    db = open_archive(db_path, readonly=True)
    assert db.execute("SELECT count(*) FROM crawls").fetchone()[0] == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM crawls")
    db.close()


def test_error_messages_are_one_line(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all\n" * 10)
    with pytest.raises(ArchiveError) as info:
        open_archive(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_import_archive_does_not_import_scrapy():
    code = (
        "import sys, archive, archive.db, archive.store, archive.queries, archive.migrations\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'crawler', 'twisted'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
