"""Full-text search ranking: every match, or the most recently archived ones when there are too many."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive, queries, store
from archive.errors import SearchQueryError
from archive.migrations import migrations

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlite_utils import Database

BASE = "https://example.com"
WORDS = ["treaty", "trade", "talks", "tariff", "summit", "border", "envoy", "navy", "grain", "visa"]
SECTIONS = ["News", "Opinion", "Analysis"]
QUERIES = ["treaty", "trade OR envoy", '"trade talks"', "tar*", "ta*", "treaty summit"]


def _body(rng: random.Random, number: int) -> str:
    if number % 9 == 4:
        return "A treaty on trade talks was signed."  # the same text, so equal ranks
    words = rng.choices(WORDS, weights=range(len(WORDS), 0, -1), k=rng.randint(6, 40))
    return " ".join(words).capitalize() + "."


@pytest.fixture
def archive(fresh_db: Database, make_record: Callable[..., dict[str, Any]]) -> Database:
    """45 articles drawn from a small vocabulary, in three sections, by two authors."""
    rng = random.Random(7)
    for number in range(45):
        url = f"{BASE}/article-{number}/"
        section = SECTIONS[number % 3]
        record = make_record(
            url=url,
            url_raw=url,
            title=f"Note {number}",
            body_text=_body(rng, number),
            section=section,
            section_path=[section],
            authors=[{"name": "Ann Lee" if number % 2 else "Bo Chan"}],
        )
        store.upsert_article(fresh_db, record)
    return fresh_db


def _matching_ids(db: Database, match: str, section: str | None = None) -> list[int]:
    """Ids of the articles matching ``match`` (and in ``section``), newest first, without ranking."""
    sql = "SELECT a.id, a.section FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    rows = db.execute(f"{sql} WHERE articles_fts MATCH ?", [match]).fetchall()
    return sorted((row_id for row_id, name in rows if section in (None, name)), reverse=True)


def _reference(db: Database, match: str, ids: list[int], limit: int) -> list[tuple[int, float, str]]:
    """``(id, rank, snippet)`` of the ``limit`` best of ``ids``: every match ranked by FTS5, then kept."""
    sql = (
        "SELECT rowid, rank, snippet(articles_fts, -1, '[', ']', '…', 16) FROM articles_fts"
        " WHERE articles_fts MATCH ? ORDER BY rank"
    )
    keep = set(ids)
    ranked = [row for row in db.execute(sql, [match]).fetchall() if row[0] in keep]
    return sorted(ranked, key=lambda row: (row[1], row[0]))[:limit]


def _found(results: queries.SearchResults) -> list[tuple[int, float, str]]:
    return [(row["id"], row["rank"], row["snippet"]) for row in results.rows]


@pytest.mark.parametrize("match", QUERIES)
@pytest.mark.parametrize("limit", [1, 3, 8])
def test_every_match_ranked_when_there_are_at_most_window(archive: Database, match: str, limit: int) -> None:
    ids = _matching_ids(archive, match)
    assert len(ids) > limit, "the query matches more articles than it returns"
    expected = _reference(archive, match, ids, limit)
    exhaustive = queries.search_results(archive, match, limit=limit, window=None)

    assert _found(exhaustive) == expected
    assert (exhaustive.matches, exhaustive.ranked, exhaustive.bounded) == (len(ids), len(ids), False)
    for window in (len(ids), len(ids) + 1, 10 * len(ids)):
        results = queries.search_results(archive, match, limit=limit, window=window)
        assert results.rows == exhaustive.rows
        assert (results.matches, results.ranked, results.bounded) == (len(ids), len(ids), False)


@pytest.mark.parametrize("match", QUERIES)
@pytest.mark.parametrize(("window", "limit"), [(5, 3), (8, 6), (1, 1), (12, 5)])
def test_only_the_most_recently_archived_are_ranked_beyond_the_window(
    archive: Database, match: str, window: int, limit: int
) -> None:
    ids = _matching_ids(archive, match)
    window = max(window, limit)
    assert len(ids) > window
    results = queries.search_results(archive, match, limit=limit, window=window)

    assert _found(results) == _reference(archive, match, ids[:window], limit)
    assert (results.matches, results.ranked, results.bounded) == (len(ids), window, True)
    everything = queries.search_results(archive, match, limit=limit, window=None)
    if _reference(archive, match, ids, limit) != _reference(archive, match, ids[:window], limit):
        assert results.rows != everything.rows


def test_filters_apply_before_the_window(archive: Database) -> None:
    filters = queries.ArticleFilter(section="opinion")
    ids = _matching_ids(archive, "treaty", section="Opinion")
    assert 4 < len(ids) < len(_matching_ids(archive, "treaty"))

    bounded = queries.search_results(archive, "treaty", filters=filters, limit=2, window=4)
    assert _found(bounded) == _reference(archive, "treaty", ids[:4], 2)
    assert (bounded.matches, bounded.ranked, bounded.bounded) == (len(ids), 4, True)
    whole = queries.search_results(archive, "treaty", filters=filters, limit=2, window=len(ids))
    assert _found(whole) == _reference(archive, "treaty", ids, 2)
    assert not whole.bounded


def test_filters_combine_with_the_window(archive: Database) -> None:
    filters = queries.ArticleFilter(section="news", author="ann")
    rows = archive.execute(
        "SELECT a.id FROM articles a JOIN article_authors aa ON aa.article_id = a.id"
        " JOIN authors au ON au.id = aa.author_id WHERE a.section = 'News' AND au.name = 'Ann Lee'"
    ).fetchall()
    ids = [row_id for row_id in _matching_ids(archive, "trade OR envoy") if (row_id,) in rows]
    assert len(ids) > 3

    results = queries.search_results(archive, "trade OR envoy", filters=filters, limit=2, window=3)
    assert _found(results) == _reference(archive, "trade OR envoy", ids[:3], 2)
    assert (results.matches, results.ranked) == (len(ids), 3)


def test_a_window_smaller_than_the_limit_ranks_as_many_as_the_limit(archive: Database) -> None:
    ids = _matching_ids(archive, "treaty")
    results = queries.search_results(archive, "treaty", limit=6, window=2)

    assert _found(results) == _reference(archive, "treaty", ids[:6], 6)
    assert (results.ranked, len(results.rows)) == (6, 6)


def test_search_articles_returns_the_rows_ranked_within_the_default_window(
    archive: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _matching_ids(archive, "treaty")
    assert (
        queries.search_articles(archive, "treaty", limit=5)
        == queries.search_results(archive, "treaty", limit=5, window=None).rows
    )
    monkeypatch.setattr(queries, "RANK_WINDOW", 6)
    rows = queries.search_articles(archive, "treaty", limit=5, window=queries.RANK_WINDOW)
    assert [row["id"] for row in rows] == [row[0] for row in _reference(archive, "treaty", ids[:6], 5)]


def test_no_match(archive: Database) -> None:
    results = queries.search_results(archive, "zeppelin", window=1)

    assert (results.rows, results.matches, results.ranked, results.bounded) == ([], 0, 0, False)


def test_plain_words_and_syntax_errors_with_a_window(archive: Database) -> None:
    plain = queries.search_results(archive, "treaty, summit", limit=3, window=2)
    assert plain.matches == len(_matching_ids(archive, "treaty summit"))
    assert plain.bounded
    with pytest.raises(SearchQueryError, match="invalid full-text query"):
        queries.search_results(archive, '"treaty', window=2)


@pytest.mark.parametrize("window", [0, -5])
def test_the_window_is_at_least_one(archive: Database, window: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        queries.search_results(archive, "treaty", window=window)


# --- the prefix indexes (migration m014_articles_fts_prefix) ---------------------------------------


def test_new_archives_index_prefixes(fresh_db: Database) -> None:
    sql = fresh_db["articles_fts"].schema
    assert "prefix='2 3'" in sql
    assert fresh_db["articles"].detect_fts() == "articles_fts"


def test_an_archive_without_prefix_indexes_is_migrated_and_keeps_its_index(
    db_path: Path, make_record: Callable[..., dict[str, Any]]
) -> None:
    import sqlite_utils

    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m014_articles_fts_prefix")
    assert "prefix" not in old["articles_fts"].schema
    for number, body in enumerate(["Tariffs and treaties.", "A tariff war.", "Grain exports."]):
        url = f"{BASE}/old-{number}/"
        store.upsert_article(old, make_record(url=url, url_raw=url, title=f"Old {number}", body_text=body))
    old.close()

    db = open_archive(db_path)
    try:
        assert "prefix='2 3'" in db["articles_fts"].schema
        assert {row["title"] for row in queries.search_articles(db, "tar*")} == {"Old 0", "Old 1"}
        url = f"{BASE}/new/"
        store.upsert_article(db, make_record(url=url, url_raw=url, title="New", body_text="Tariff talks."))
        store.upsert_article(db, make_record(url=f"{BASE}/old-2/", url_raw=None, body_text="Rice exports."))
        assert {row["title"] for row in queries.search_articles(db, "ta*")} == {"New", "Old 0", "Old 1"}
        assert queries.search_articles(db, "grain") == []
        assert [row["url"] for row in queries.search_articles(db, "rice")] == [f"{BASE}/old-2/"]
        db.execute(
            "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)"
        )  # raises if not
    finally:
        db.close()
