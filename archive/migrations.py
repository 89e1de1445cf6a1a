"""The archive schema, as an append-only list of sqlite-utils migrations.

Every change to the schema is a new function registered on :data:`migrations`, added at the end.
An applied migration is never edited: the ``_sqlite_migrations`` table records which ones an
archive has, and :func:`archive.open_archive` applies the pending ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlite_utils

if TYPE_CHECKING:
    from sqlite_utils import Database

#: Name of the migration set in ``_sqlite_migrations``; it marks a database as a newsarchive archive.
MIGRATION_SET = "newsarchive"

migrations = sqlite_utils.Migrations(MIGRATION_SET)


@migrations()
def m001_create_crawls(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            spider TEXT NOT NULL,
            site TEXT,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            stats TEXT,
            args TEXT,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_updated INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0
        )
        """
    )


@migrations()
def m002_create_articles(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            url_raw TEXT,
            site TEXT,
            page_type TEXT,
            post_id INTEGER,
            title TEXT,
            subtitle TEXT,
            section TEXT,
            section_path TEXT,
            published TEXT,
            published_raw TEXT,
            published_source TEXT,
            published_utc TEXT,
            modified TEXT,
            modified_raw TEXT,
            modified_source TEXT,
            modified_utc TEXT,
            visible_date_raw TEXT,
            dateline_place TEXT,
            dateline_raw TEXT,
            dateline_date TEXT,
            body_text TEXT,
            body_html TEXT,
            language TEXT,
            site_timezone TEXT,
            word_count INTEGER,
            content_hash TEXT,
            flags TEXT,
            stripped TEXT,
            field_sources TEXT,
            embeds TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_changed TEXT NOT NULL,
            fetched_at TEXT,
            first_crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL,
            last_crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL
        )
        """
    )


@migrations()
def m003_create_authors(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            site TEXT,
            name TEXT NOT NULL,
            url TEXT,
            website TEXT,
            bio TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE article_authors (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            PRIMARY KEY (article_id, author_id)
        )
        """
    )
    db.execute("CREATE INDEX idx_article_authors_author ON article_authors(author_id)")


def _create_terms(db: Database, table: str, link_table: str, link_column: str) -> None:
    db.execute(
        f"""
        CREATE TABLE {table} (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            site TEXT,
            name TEXT NOT NULL,
            url TEXT UNIQUE
        )
        """
    )
    db.execute(
        f"""
        CREATE TABLE {link_table} (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            {link_column} INTEGER NOT NULL REFERENCES {table}(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            PRIMARY KEY (article_id, {link_column})
        )
        """
    )
    db.execute(f"CREATE INDEX idx_{link_table}_{link_column} ON {link_table}({link_column})")


@migrations()
def m004_create_categories(db: Database) -> None:
    _create_terms(db, "categories", "article_categories", "category_id")


@migrations()
def m005_create_tags(db: Database) -> None:
    _create_terms(db, "tags", "article_tags", "tag_id")


@migrations()
def m006_create_images(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('featured', 'inline')),
            url TEXT NOT NULL,
            caption TEXT,
            alt TEXT,
            width INTEGER,
            height INTEGER,
            UNIQUE (article_id, position)
        )
        """
    )


@migrations()
def m007_articles_fts(db: Database) -> None:
    db.table("articles").enable_fts(["title", "body_text"], fts_version="FTS5", create_triggers=True)


@migrations()
def m008_articles_indexes(db: Database) -> None:
    db.execute("CREATE INDEX idx_articles_published_utc ON articles(published_utc)")
    db.execute("CREATE INDEX idx_articles_section ON articles(section)")
    db.execute("CREATE INDEX idx_articles_site ON articles(site)")
    db.execute("CREATE INDEX idx_articles_site_post_id ON articles(site, post_id)")


@migrations()
def m009_article_views(db: Database) -> None:
    db.execute(
        """
        CREATE VIEW article_list AS
        SELECT
            a.id,
            a.url,
            a.title,
            a.section,
            a.published,
            (SELECT group_concat(name, '; ') FROM (
                SELECT au.name AS name FROM article_authors aa JOIN authors au ON au.id = aa.author_id
                WHERE aa.article_id = a.id ORDER BY aa.position
            )) AS authors,
            (SELECT group_concat(name, '; ') FROM (
                SELECT t.name AS name FROM article_tags l JOIN tags t ON t.id = l.tag_id
                WHERE l.article_id = a.id ORDER BY l.position
            )) AS tags,
            (SELECT group_concat(name, '; ') FROM (
                SELECT c.name AS name FROM article_categories l JOIN categories c ON c.id = l.category_id
                WHERE l.article_id = a.id ORDER BY l.position
            )) AS categories,
            a.word_count,
            substr(a.published, 1, 4) AS year
        FROM articles a
        """
    )
    db.execute(
        """
        CREATE VIEW articles_by_month AS
        SELECT substr(published, 1, 7) AS month, count(*) AS articles
        FROM articles
        WHERE published IS NOT NULL
        GROUP BY month
        ORDER BY month
        """
    )


@migrations()
def m010_url_state(db: Database) -> None:
    """Per-URL crawl state and where each URL was found (see ``archive/state.py``)."""
    db.execute(
        """
        CREATE TABLE urls (
            url TEXT PRIMARY KEY,
            site TEXT,
            kind TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            section TEXT,
            page INTEGER,
            first_seen TEXT NOT NULL,
            first_crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL,
            last_fetched TEXT,
            last_ok TEXT,
            last_changed TEXT,
            status INTEGER,
            etag TEXT,
            last_modified TEXT,
            content_hash TEXT,
            final_url TEXT,
            next_due TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            fetches INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX idx_urls_site_next_due ON urls(site, next_due)")
    db.execute("CREATE INDEX idx_urls_state ON urls(state)")
    db.execute(
        """
        CREATE TABLE discoveries (
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            found_on TEXT,
            section TEXT,
            page INTEGER,
            lastmod TEXT,
            last_found_on TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL,
            PRIMARY KEY (url, source)
        )
        """
    )
    db.execute("CREATE INDEX idx_discoveries_source ON discoveries(source)")


@migrations()
def m011_captures(db: Database) -> None:
    """One row per HTTP response written to the WARC files (see ``archive/captures.py``)."""
    db.execute(
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL,
            url TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            status INTEGER NOT NULL,
            content_type TEXT,
            record_type TEXT NOT NULL CHECK (record_type IN ('response', 'revisit')),
            warc_file TEXT NOT NULL,
            warc_offset INTEGER NOT NULL,
            warc_length INTEGER NOT NULL,
            payload_digest TEXT,
            payload_length INTEGER,
            refers_to INTEGER REFERENCES captures(id) ON DELETE SET NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_captures_url ON captures(url, id)")


@migrations()
def m012_article_versions(db: Database) -> None:
    """Every distinct version of an article, and the removal mark (see ``archive/versions.py``)."""
    db.execute(
        """
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            recorded TEXT NOT NULL,
            crawl_id INTEGER REFERENCES crawls(id) ON DELETE SET NULL,
            cause TEXT NOT NULL,
            changed_fields TEXT,
            declared INTEGER,
            body_diff TEXT,
            content_hash TEXT,
            snapshot TEXT NOT NULL,
            UNIQUE (article_id, version)
        )
        """
    )
    db.execute("ALTER TABLE articles ADD COLUMN removed TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN removed_status INTEGER")


@migrations()
def m013_fts_update_trigger(db: Database) -> None:
    """Re-index an article for full-text search only when its title or body text is updated.

    The index holds the title and body text alone: an update of any other column (``last_seen`` of a
    recrawl, a removal mark) leaves it as it is, so the trigger no longer deletes and re-adds the entry.
    """
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(
        """
        CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body_text" ON "articles" BEGIN
          INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body_text")
            VALUES('delete', old.rowid, old."title", old."body_text");
          INSERT INTO "articles_fts" (rowid, "title", "body_text")
            VALUES (new.rowid, new."title", new."body_text");
        END
        """
    )


@migrations()
def m014_articles_fts_prefix(db: Database) -> None:
    """``articles_fts`` with indexes of 2- and 3-character prefixes, for prefix queries (``wor*``).

    The index is rebuilt from ``articles``; its triggers stay as they are.
    """
    db.execute("DROP TABLE articles_fts")
    db.execute(
        'CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (\n'
        '    "title", "body_text",\n'
        '    content="articles",\n'
        "    prefix='2 3'\n"
        ")"
    )
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")


def known_names() -> list[str]:
    """Names of every migration this code knows, in order."""
    empty = sqlite_utils.Database(memory=True)
    try:
        return [migration.name for migration in migrations.pending(empty)]
    finally:
        empty.close()
