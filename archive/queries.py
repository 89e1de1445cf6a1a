"""Reading the archive: counts, single articles, newest articles, full-text search, crawls."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, SearchQueryError
from archive.records import JSON_FIELDS, load_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

#: Section label for articles without a section.
NO_SECTION = "(none)"
#: Characters that only appear in a query written in FTS5 syntax.
FTS_SYNTAX = re.compile(r'["()*:^{}+]')
SNIPPET_TOKENS = 16

AUTHOR_NAMES_SQL = """
    (SELECT json_group_array(name) FROM (
        SELECT au.name AS name FROM article_authors aa JOIN authors au ON au.id = aa.author_id
        WHERE aa.article_id = a.id ORDER BY aa.position
    )) AS authors
"""
FTS_JOIN = "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
SUMMARY_COLUMNS = "a.id, a.url, a.site, a.title, a.section, a.published, a.published_utc, a.word_count"


def count_articles(db: Database) -> int:
    """Number of stored articles."""
    return next(iter(db.query("SELECT count(*) AS n FROM articles")))["n"]


def get_article(db: Database, url_or_id: str | int) -> dict[str, Any] | None:
    """One article with its JSON columns decoded and its authors, categories, tags and images as lists.

    ``url_or_id`` is the article id (an ``int`` or a string of digits), its canonical URL or the URL it
    was fetched from (with or without the trailing slash).
    """
    row = _find_article(db, url_or_id)
    return None if row is None else _with_children(db, row)


def _with_children(db: Database, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` (all ``articles`` columns) with JSON decoded and its authors, terms and images added."""
    for name in JSON_FIELDS:
        row[name] = load_json(row[name])
    article_id = row["id"]
    row["authors"] = _rows(
        db,
        "SELECT au.id, au.name, au.url, au.website, au.bio FROM article_authors aa"
        " JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = ? ORDER BY aa.position",
        [article_id],
    )
    row["categories"] = _terms(db, "categories", "article_categories", "category_id", article_id)
    row["tags"] = _terms(db, "tags", "article_tags", "tag_id", article_id)
    row["images"] = _rows(
        db,
        "SELECT url, caption, alt, role, width, height, position FROM images"
        " WHERE article_id = ? ORDER BY position",
        [article_id],
    )
    return row


def _find_article(db: Database, url_or_id: str | int) -> dict[str, Any] | None:
    if isinstance(url_or_id, int) or str(url_or_id).strip().isdigit():
        rows = _rows(db, "SELECT * FROM articles WHERE id = ?", [int(url_or_id)])
        return rows[0] if rows else None
    url = str(url_or_id).strip()
    other = url[:-1] if url.endswith("/") else url + "/"
    for column in ("url", "url_raw"):
        for candidate in (url, other):
            rows = _rows(db, f"SELECT * FROM articles WHERE {column} = ? ORDER BY id LIMIT 1", [candidate])
            if rows:
                return rows[0]
    return None


def _terms(db: Database, table: str, link_table: str, column: str, article_id: int) -> list[dict[str, Any]]:
    return _rows(
        db,
        f"SELECT t.id, t.name, t.url FROM {link_table} l JOIN {table} t ON t.id = l.{column}"
        " WHERE l.article_id = ? ORDER BY l.position",
        [article_id],
    )


def _rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(db.query(sql, params or []))


def articles_per_section(db: Database) -> list[tuple[str, int]]:
    """``(section, count)`` pairs, most articles first; articles without a section count as ``(none)``."""
    rows = db.query(
        "SELECT coalesce(section, ?) AS section, count(*) AS n FROM articles"
        " GROUP BY coalesce(section, ?) ORDER BY n DESC, section",
        [NO_SECTION, NO_SECTION],
    )
    return [(row["section"], row["n"]) for row in rows]


def newest(db: Database, limit: int = 5) -> list[dict[str, Any]]:
    """The most recently published articles (by ``published_utc``; undated articles last)."""
    rows = _rows(
        db,
        f"SELECT {SUMMARY_COLUMNS}, {AUTHOR_NAMES_SQL} FROM articles a"
        " ORDER BY a.published_utc IS NULL, a.published_utc DESC, a.id DESC LIMIT ?",
        [int(limit)],
    )
    return [_with_authors(row) for row in rows]


def _with_authors(row: dict[str, Any]) -> dict[str, Any]:
    row["authors"] = load_json(row["authors"]) or []
    return row


def search(db: Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Full-text search of titles and bodies, best match first, with a ``snippet`` marking hits ``[so]``.

    ``query`` uses SQLite FTS5 syntax. A query of plain words that FTS5 cannot parse (``Indo-Pacific``,
    ``Pakistan's``) is retried with each word quoted; a query using FTS5 syntax that does not parse
    raises :class:`~archive.errors.SearchQueryError`.
    """
    text = (query or "").strip()
    if not text:
        raise SearchQueryError("empty search query")
    try:
        return _match(db, text, limit)
    except sqlite3.OperationalError as error:
        _raise_unless_syntax(error)
        if FTS_SYNTAX.search(text):
            raise SearchQueryError(
                f"invalid full-text query {text!r}: {error} "
                '(use plain words, "a phrase", prefix*, AND/OR/NOT, NEAR(a b))'
            ) from error
    quoted = " ".join('"' + word.replace('"', '""') + '"' for word in text.split())
    logger.debug("Retrying search %r as %r", text, quoted)
    try:
        return _match(db, quoted, limit)
    except sqlite3.OperationalError as error:
        _raise_unless_syntax(error)
        raise SearchQueryError(f"invalid full-text query {text!r}: {error}") from error


def _raise_unless_syntax(error: sqlite3.OperationalError) -> None:
    if "no such table" in str(error):
        raise ArchiveError(f"the archive has no full-text index: {error}") from error


def _match(db: Database, match: str, limit: int) -> list[dict[str, Any]]:
    sql = (
        f"SELECT {SUMMARY_COLUMNS}, {AUTHOR_NAMES_SQL},"
        f" snippet(articles_fts, -1, '[', ']', '…', {SNIPPET_TOKENS}) AS snippet,"
        " articles_fts.rank AS rank"
        " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
        " WHERE articles_fts MATCH ? ORDER BY {order} LIMIT ?"
    )
    return [_with_authors(row) for row in _best_ranked(db, sql, [match], int(limit))]


def _best_ranked(db: Database, sql: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` best rows of ``sql`` (``... ORDER BY {order} LIMIT ?``) by FTS rank, then by id.

    Ordered by ``rank`` alone, FTS5 sorts the matches itself and SQLite builds snippets and joins
    only for the rows returned, instead of for every match: searches for common words get about
    twice as fast. The rows are then put in (rank, id) order; when equal ranks straddle the limit,
    the exact (rank, id) query decides which rows make it.
    """
    exact = sql.replace("{order}", "articles_fts.rank, a.id")
    if limit < 1:
        return _rows(db, exact, [*params, limit])
    rows = _rows(db, sql.replace("{order}", "articles_fts.rank"), [*params, limit + 1])
    if len(rows) > limit and rows[limit - 1]["rank"] == rows[limit]["rank"]:
        return _rows(db, exact, [*params, limit])
    return sorted(rows[:limit], key=lambda row: (row["rank"], row["id"]))


def last_crawls(db: Database, limit: int = 5) -> list[dict[str, Any]]:
    """The most recent crawls, newest first, with ``stats`` and ``args`` decoded."""
    rows = _rows(db, "SELECT * FROM crawls ORDER BY id DESC LIMIT ?", [int(limit)])
    for row in rows:
        row["stats"] = load_json(row["stats"])
        row["args"] = load_json(row["args"])
    return rows


# --- filters, filtered search, streaming and statistics -------------------------------------------

#: Characters that mark a query as deliberately written in FTS5 syntax (phrases, groups, ``NEAR(...)``).
FTS_STRUCTURE = re.compile(r'["()]')
#: ``articles.flags`` values about the publication date.
DATE_FLAGS = (
    "published_missing",
    "published_unparsed",
    "published_tz_assumed",
    "published_relative",
    "published_in_future",
    "modified_before_published",
)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_day(value: str) -> str:
    """``value`` if it is a calendar date written ``YYYY-MM-DD``; else :class:`ArchiveError`."""
    try:
        if DAY.fullmatch(value):
            dt.date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise ArchiveError(f"invalid date {value!r}: expected YYYY-MM-DD")


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles to select; every condition given must hold.

    ``section`` matches the article's section or any level of its section path, ignoring case;
    ``author`` is part of an author's name, ignoring case; ``since`` and ``until`` (``YYYY-MM-DD``,
    inclusive) compare the publication date as printed by the site, so undated articles never match.
    """

    section: str | None = None
    author: str | None = None
    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for day in (self.since, self.until):
            if day is not None:
                check_day(day)

    def sql(self) -> tuple[str, list[Any]]:
        """SQL conditions on ``articles a`` (``"1"`` when there are none) and their parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.section:
            conditions.append(
                "(a.section = ? COLLATE NOCASE OR EXISTS (SELECT 1 FROM json_each(a.section_path) p"
                " WHERE p.value = ? COLLATE NOCASE))"
            )
            params += [self.section, self.section]
        if self.author:
            conditions.append(
                "EXISTS (SELECT 1 FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
                " WHERE aa.article_id = a.id AND au.name LIKE ? ESCAPE '\\')"
            )
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", self.author) + "%")
        if self.since:
            conditions.append("substr(a.published, 1, 10) >= ?")
            params.append(self.since)
        if self.until:
            conditions.append("substr(a.published, 1, 10) <= ?")
            params.append(self.until)
        return " AND ".join(conditions) or "1", params


#: Matches ranked at most by default. A query matching more articles ranks only the most recently
#: archived ones (the highest ids), so that its cost stops growing with the archive; FTS5 computes
#: the rank of every match it sorts, about a microsecond each.
RANK_WINDOW = 20_000


@dataclass(frozen=True)
class SearchResults:
    """The rows :func:`search_results` found, and how many matches were ranked to choose them.

    ``matches`` counts the articles that match the query and the filters. ``ranked`` is the same
    number, unless the matches outnumbered the ranking window: then only the ``ranked`` most recently
    archived matches were ranked, and :attr:`bounded` is true.
    """

    rows: list[dict[str, Any]]
    matches: int
    ranked: int

    @property
    def bounded(self) -> bool:
        """Whether ranking was bounded to the most recently archived matches."""
        return self.ranked < self.matches


def search_articles(
    db: Database,
    query: str,
    *,
    filters: ArticleFilter | None = None,
    limit: int = 20,
    marks: tuple[str, str] = ("[", "]"),
    window: int | None = RANK_WINDOW,
) -> list[dict[str, Any]]:
    """The rows of :func:`search_results` (same arguments)."""
    return search_results(db, query, filters=filters, limit=limit, marks=marks, window=window).rows


def search_results(
    db: Database,
    query: str,
    *,
    filters: ArticleFilter | None = None,
    limit: int = 20,
    marks: tuple[str, str] = ("[", "]"),
    window: int | None = RANK_WINDOW,
) -> SearchResults:
    """Full-text search restricted by ``filters``, best match first, hits in ``snippet`` between ``marks``.

    Rows are ordered by FTS5 rank, then by id. When more than ``window`` articles match the query and
    the filters, only the ``window`` most recently archived of them (highest ids) are ranked, and the
    result says so (:attr:`SearchResults.bounded`); with at most ``window`` matches, or with
    ``window=None``, every match is ranked. A window smaller than ``limit`` counts as ``limit``.

    Plain words always work: a query that FTS5 cannot parse is retried with every word quoted, unless
    it uses quotes or parentheses, which only FTS5 syntax does; then
    :class:`~archive.errors.SearchQueryError` explains the problem.
    """
    text = (query or "").strip()
    if not text:
        raise SearchQueryError("empty search query")
    if window is not None and window < 1:
        raise ValueError(f"the ranking window must be at least 1, not {window}")
    limit = int(limit)
    if window is not None and limit > window:
        window = limit

    def run(match: str) -> SearchResults:
        return _ranked_search(db, _FullText.of(match, filters or ArticleFilter()), limit, marks, window)

    try:
        return run(text)
    except sqlite3.OperationalError as error:
        _raise_unless_syntax(error)
        if FTS_STRUCTURE.search(text):
            raise SearchQueryError(_syntax_message(text, error)) from error
    quoted = " ".join('"' + word.replace('"', '""') + '"' for word in text.split())
    logger.debug("Retrying search %r as %r", text, quoted)
    try:
        return run(quoted)
    except sqlite3.OperationalError as error:
        _raise_unless_syntax(error)
        raise SearchQueryError(_syntax_message(text, error)) from error


@dataclass(frozen=True)
class _FullText:
    """A full-text query with its filters: ``FROM ... WHERE ...`` SQL and its parameters.

    Without filters the FTS index is read alone; filters join ``articles a``, whose columns they test.
    """

    match: str
    sql: str
    params: list[Any]

    @classmethod
    def of(cls, match: str, filters: ArticleFilter) -> _FullText:
        where, params = filters.sql()
        if where == "1":
            return cls(match, "FROM articles_fts WHERE articles_fts MATCH ?", [match])
        return cls(match, f"{FTS_JOIN} WHERE articles_fts MATCH ? AND {where}", [match, *params])


def _ranked_search(
    db: Database, query: _FullText, limit: int, marks: tuple[str, str], window: int | None
) -> SearchResults:
    matches = _count_matches(db, query)
    floor, ranked = None, matches
    if window is not None and matches > window:
        floor = _window_floor(db, query, window)
        ranked = matches if floor is None else window
    rows = _with_details(db, query.match, _best_matches(db, query, floor, limit), marks)
    if ranked < matches:
        logger.debug("Ranked the %d most recently archived of %d matches", ranked, matches)
    return SearchResults(rows, matches, ranked)


def _count_matches(db: Database, query: _FullText) -> int:
    """Articles matching ``query``: a scan of the index without ranking, cheap even for common words."""
    return int(db.execute(f"SELECT count(*) {query.sql}", query.params).fetchone()[0])


def _window_floor(db: Database, query: _FullText, window: int) -> int | None:
    """The id of the ``window``-th most recently archived match, ``None`` if there are not that many."""
    sql = f"SELECT articles_fts.rowid {query.sql} ORDER BY articles_fts.rowid DESC LIMIT 1 OFFSET ?"
    row = db.execute(sql, [*query.params, window - 1]).fetchone()
    return None if row is None else int(row[0])


def _best_matches(db: Database, query: _FullText, floor: int | None, limit: int) -> list[tuple[int, float]]:
    """``(id, rank)`` of the ``limit`` best matches with an id of at least ``floor``, by rank then id.

    Ordered by two terms, the matches go through SQLite's sorter, which keeps only the best ``limit``
    rows; ``ORDER BY rank`` alone would have FTS5 sort every match itself, which is slower. Snippets
    and article columns are read afterwards, for the rows returned only.
    """
    above = "" if floor is None else " AND articles_fts.rowid >= ?"
    sql = (
        f"SELECT articles_fts.rowid, articles_fts.rank {query.sql}{above}"
        " ORDER BY articles_fts.rank, articles_fts.rowid LIMIT ?"
    )
    params = [*query.params, *([] if floor is None else [floor]), limit]
    return [(int(row_id), rank) for row_id, rank in db.execute(sql, params).fetchall()]


def _with_details(
    db: Database, match: str, best: list[tuple[int, float]], marks: tuple[str, str]
) -> list[dict[str, Any]]:
    """The summary columns, authors, snippet and rank of the articles of ``best``, in its order."""
    if not best:
        return []
    where, params = _id_condition(match, [row_id for row_id, _ in best])
    sql = (
        f"SELECT {SUMMARY_COLUMNS}, {AUTHOR_NAMES_SQL},"
        f" snippet(articles_fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) AS snippet"
        f" {FTS_JOIN} WHERE articles_fts MATCH ? AND {where}"
    )
    found = {row["id"]: row for row in _rows(db, sql, [*marks, match, *params])}
    rows = []
    for row_id, rank in best:
        if row_id in found:
            row = _with_authors(found[row_id])
            row["rank"] = rank
            rows.append(row)
    return rows


def _id_condition(match: str, ids: list[int]) -> tuple[str, list[Any]]:
    """SQL condition selecting the matches ``ids`` of ``match``, and its parameters.

    FTS5 looks each id up in the index, which is cheap, except in prefix queries: a prefix longer
    than the prefix indexes (``worl*``) merges the lists of all its terms again at every lookup, so
    those read the index once over the range of the ids instead.
    """
    listed = json.dumps(ids)
    if "*" in match:
        where = (
            "articles_fts.rowid BETWEEN ? AND ? AND +articles_fts.rowid IN (SELECT value FROM json_each(?))"
        )
        return where, [min(ids), max(ids), listed]
    return "articles_fts.rowid IN (SELECT value FROM json_each(?))", [listed]


def _syntax_message(text: str, error: Exception) -> str:
    return (
        f"invalid full-text query {text!r}: {error} "
        '(use plain words, "a phrase", prefix*, AND/OR/NOT, NEAR(a b))'
    )


def iter_articles(db: Database, filters: ArticleFilter | None = None) -> Iterator[dict[str, Any]]:
    """Yield the selected articles one at a time, as :func:`get_article` returns them, in id order.

    Rows are read from an open cursor, so memory use does not grow with the size of the archive.
    """
    where, params = (filters or ArticleFilter()).sql()
    for row in db.query(f"SELECT a.* FROM articles a WHERE {where} ORDER BY a.id", params):
        yield _with_children(db, row)


def articles_per_month(db: Database) -> list[tuple[str, int]]:
    """``(YYYY-MM, count)`` pairs in month order, by the publication date; undated articles left out."""
    rows = db.query(
        "SELECT substr(published, 1, 7) AS month, count(*) AS n FROM articles"
        " WHERE published IS NOT NULL GROUP BY month ORDER BY month"
    )
    return [(row["month"], row["n"]) for row in rows]


def articles_per_author(db: Database, limit: int | None = None) -> list[tuple[str, int]]:
    """``(author name, count)`` pairs, most articles first; all authors when ``limit`` is ``None``."""
    rows = db.query(
        "SELECT au.name AS name, count(*) AS n FROM authors au JOIN article_authors aa"
        " ON aa.author_id = au.id GROUP BY au.id ORDER BY n DESC, au.name LIMIT ?",
        [-1 if limit is None else int(limit)],
    )
    return [(row["name"], row["n"]) for row in rows]


def count_authors(db: Database) -> int:
    """Number of authors with at least one article."""
    return next(iter(db.query("SELECT count(DISTINCT author_id) AS n FROM article_authors")))["n"]


def published_range(db: Database) -> tuple[str | None, str | None]:
    """Earliest and latest publication dates (``YYYY-MM-DD``), ``(None, None)`` without dated articles."""
    row = next(
        iter(
            db.query(
                "SELECT min(substr(published, 1, 10)) AS first, max(substr(published, 1, 10)) AS last"
                " FROM articles WHERE published IS NOT NULL"
            )
        )
    )
    return row["first"], row["last"]


def date_problems(db: Database) -> list[tuple[str, int]]:
    """``(problem, count)``: articles without a publication date, then articles per date flag present."""
    undated = next(iter(db.query("SELECT count(*) AS n FROM articles WHERE published IS NULL")))["n"]
    marks = ", ".join("?" for _ in DATE_FLAGS)
    rows = db.query(
        "SELECT f.value AS flag, count(DISTINCT a.id) AS n FROM articles a, json_each(a.flags) f"
        f" WHERE f.value IN ({marks}) GROUP BY f.value ORDER BY n DESC, f.value",
        list(DATE_FLAGS),
    )
    return [("no publication date", undated), *((row["flag"], row["n"]) for row in rows)]
