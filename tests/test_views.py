"""The SQL views ``article_list`` and ``articles_by_month``, the statistics queries and the Datasette
metadata shipped with the package (its tables, columns and saved queries must match the schema)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
import sqlite_utils

from archive import open_archive
from archive.db import schema_version
from archive.migrations import known_names, migrations
from archive.queries import articles_per_author, articles_per_month, date_problems, search_articles
from archive.store import upsert_article
from archive.web import EDITED_WITH_VERSIONS_SQL, METADATA_DATABASE, METADATA_PATH, datasette_metadata

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    RecordFactory = Callable[..., dict[str, Any]]

BASE = "https://thediplomaticinsight.com"
LIST_COLUMNS = [
    "id",
    "url",
    "title",
    "section",
    "published",
    "authors",
    "tags",
    "categories",
    "word_count",
    "year",
]


def _records(make_record: RecordFactory) -> list[dict[str, Any]]:
    return [
        make_record(),
        make_record(
            url=f"{BASE}/two-authors/",
            published="2021-10-20T08:00:00+05:00",
            authors=[{"name": "Zed Last"}, {"name": "Amy First"}],
            tags=[{"name": "Zeta", "url": None}, {"name": "Alpha", "url": None}],
            categories=[],
            body_text="one two three",
        ),
        make_record(
            url=f"{BASE}/nobody/",
            published="2022-03-01T00:30:00+05:00",
            authors=[],
            tags=[],
            flags=["published_tz_assumed"],
        ),
        make_record(url=f"{BASE}/undated/", published=None, flags=["published_missing"]),
    ]


@pytest.fixture
def db(fresh_db: sqlite_utils.Database, make_record: RecordFactory) -> sqlite_utils.Database:
    for record in _records(make_record):
        upsert_article(fresh_db, record)
    return fresh_db


def test_views_are_created_by_the_last_migration(fresh_db: sqlite_utils.Database) -> None:
    assert "m009_article_views" in known_names()
    assert {"article_list", "articles_by_month"} <= set(fresh_db.view_names())
    assert [column.name for column in fresh_db["article_list"].columns] == LIST_COLUMNS
    assert [column.name for column in fresh_db["articles_by_month"].columns] == ["month", "articles"]


def test_article_list_has_one_row_per_article(db: sqlite_utils.Database) -> None:
    rows = {row["url"]: row for row in db.query("SELECT * FROM article_list")}

    assert len(rows) == db["articles"].count == 4
    first = rows[f"{BASE}/icaft-conference-of-oas-led-by-mexico/"]
    assert first["authors"] == "Carla Esparza Arteaga"
    assert first["tags"] == "OAS; Mexico"
    assert first["categories"] == "Diplomatic News; News"
    assert first["section"] == "Diplomatic News"
    assert first["year"] == "2021"
    assert first["word_count"] == len(first_body(db).split())


def first_body(db: sqlite_utils.Database) -> str:
    return db.execute("SELECT body_text FROM articles WHERE id = 1").fetchone()[0]


def test_article_list_keeps_byline_and_page_order(db: sqlite_utils.Database) -> None:
    row = next(db.query("SELECT * FROM article_list WHERE url = ?", [f"{BASE}/two-authors/"]))

    assert row["authors"] == "Zed Last; Amy First"
    assert row["tags"] == "Zeta; Alpha"
    assert row["categories"] is None
    assert row["word_count"] == 3


def test_article_list_without_authors_or_date(db: sqlite_utils.Database) -> None:
    nobody = next(db.query("SELECT * FROM article_list WHERE url = ?", [f"{BASE}/nobody/"]))
    undated = next(db.query("SELECT * FROM article_list WHERE url = ?", [f"{BASE}/undated/"]))

    assert nobody["authors"] is None and nobody["tags"] is None
    assert nobody["year"] == "2022"
    assert undated["published"] is None and undated["year"] is None


def test_article_list_follows_updates(db: sqlite_utils.Database, make_record: RecordFactory) -> None:
    upsert_article(db, make_record(authors=[{"name": "New Writer"}], tags=[]))

    row = next(db.query("SELECT * FROM article_list WHERE id = 1"))
    assert row["authors"] == "New Writer"
    assert row["tags"] is None


def test_articles_by_month(db: sqlite_utils.Database) -> None:
    rows = list(db.query("SELECT * FROM articles_by_month"))

    assert rows == [{"month": "2021-10", "articles": 2}, {"month": "2022-03", "articles": 1}]
    assert [(row["month"], row["articles"]) for row in rows] == articles_per_month(db)


def test_views_added_to_an_archive_made_before_them(db_path: Path, make_record: RecordFactory) -> None:
    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m009_article_views")
    upsert_article(old, make_record())
    assert "article_list" not in old.view_names()
    old.close()

    db = open_archive(db_path)

    assert schema_version(db) == known_names()
    assert "m009_article_views" in schema_version(db)
    assert [row["authors"] for row in db.query("SELECT authors FROM article_list")] == [
        "Carla Esparza Arteaga"
    ]
    db.close()


def test_statistics_queries(db: sqlite_utils.Database) -> None:
    assert articles_per_author(db) == [("Carla Esparza Arteaga", 2), ("Amy First", 1), ("Zed Last", 1)]
    assert articles_per_author(db, 1) == [("Carla Esparza Arteaga", 2)]
    assert date_problems(db) == [
        ("no publication date", 1),
        ("published_missing", 1),
        ("published_tz_assumed", 1),
    ]


def test_search_articles_marks_and_filters(db: sqlite_utils.Database) -> None:
    hits = search_articles(db, "terrorism", marks=("<b>", "</b>"))

    assert {hit["id"] for hit in hits} == {1, 3, 4}
    assert all("<b>terrorism</b>" in hit["snippet"] for hit in hits)


# --- Datasette metadata -----------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    return json.loads(METADATA_PATH.read_text(encoding="utf-8"))["databases"][METADATA_DATABASE]


def test_metadata_describes_existing_tables_and_columns(db: sqlite_utils.Database) -> None:
    tables = _shipped()["tables"]

    for name, config in tables.items():
        assert name in db.table_names() + db.view_names(), name
        columns = {column.name for column in db[name].columns}
        assert set(config.get("columns", {})) <= columns, name
        for key in ("sort_desc", "label_column", "fts_pk"):
            if key in config:
                assert config[key] in columns, (name, key)
        for facet in config.get("facets", []):
            assert facet in columns, (name, facet)
    assert set(tables["articles"]["columns"]) == {column.name for column in db["articles"].columns}
    assert set(tables["article_list"]["columns"]) == set(LIST_COLUMNS)
    for name in ("authors", "categories", "tags", "images", "crawls"):
        assert set(tables[name]["columns"]) == {column.name for column in db[name].columns}, name


def test_metadata_search_and_facets() -> None:
    tables = _shipped()["tables"]

    for name in ("articles", "article_list"):
        assert tables[name]["fts_table"] == "articles_fts"
        assert tables[name]["fts_pk"] == "id"
    assert tables["article_list"]["facets"] == ["section", "authors", "year"]


def _run_query(db: sqlite_utils.Database, sql: str, **params: Any) -> list[dict[str, Any]]:
    names = re.findall(r":(\w+)", sql)
    return list(db.query(sql, {name: params.get(name, "") for name in names}))


def test_saved_queries_run(db: sqlite_utils.Database) -> None:
    queries = _shipped()["queries"]

    assert set(queries) == {
        "latest_articles",
        "articles_by_author",
        "edited_after_publication",
        "missing_dates",
    }
    latest = _run_query(db, queries["latest_articles"]["sql"])
    assert [row["id"] for row in latest] == [3, 2, 1, 4]
    assert latest[1]["authors"] == "Zed Last; Amy First"
    by_author = _run_query(db, queries["articles_by_author"]["sql"], author="amy")
    assert [(row["id"], row["author"]) for row in by_author] == [(2, "Amy First")]
    edited = _run_query(db, queries["edited_after_publication"]["sql"])
    assert [(row["id"], row["days_later"]) for row in edited] == [(1, 1.3)]
    missing = _run_query(db, queries["missing_dates"]["sql"])
    assert [row["id"] for row in missing] == [3, 4]


def test_edited_after_publication_ignores_unmodified(db: sqlite_utils.Database) -> None:
    db.execute("UPDATE articles SET modified = NULL, modified_utc = NULL WHERE id != 1")
    db.execute("UPDATE articles SET modified_utc = published_utc WHERE id = 2")

    edited = _run_query(db, _shipped()["queries"]["edited_after_publication"]["sql"])

    assert [row["id"] for row in edited] == [1]


def test_metadata_uses_versions_only_when_the_table_exists(db: sqlite_utils.Database) -> None:
    plain = datasette_metadata(db, "tdi")["databases"]
    assert list(plain) == ["tdi"]
    assert plain["tdi"]["queries"] == _shipped()["queries"]

    db.execute("CREATE TABLE versions (id INTEGER PRIMARY KEY, article_id INTEGER, body_text TEXT)")
    db.execute("INSERT INTO versions (article_id, body_text) VALUES (4, 'old text')")
    with_versions = datasette_metadata(db, "tdi")["databases"]["tdi"]["queries"]["edited_after_publication"]

    assert with_versions["sql"] == EDITED_WITH_VERSIONS_SQL
    rows = _run_query(db, with_versions["sql"])
    assert {row["id"]: row["versions"] for row in rows}[4] == 1
