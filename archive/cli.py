"""Commands for reading an archive: ``search``, ``show``, ``export``, ``stats`` and ``serve``.

Each command is a thin layer over :mod:`archive.queries`, :mod:`archive.render`, :mod:`archive.export`
and :mod:`archive.web`; :data:`archive_commands` lists them for the ``newsarchive`` command group.
Every command opens the archive read-only and never modifies it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive import export as exporting
from archive import queries, web
from archive.db import open_archive
from archive.errors import ArchiveError
from archive.render import FORMATS as SHOW_FORMATS
from archive.render import render_article

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator

    from sqlite_utils import Database

DB_HELP = "Path of the SQLite archive."

db_option = click.option(
    "--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False), help=DB_HELP
)


def filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--section``, ``--author``, ``--since`` and ``--until`` to a command."""
    day = click.DateTime(formats=["%Y-%m-%d"])
    metavar = "YYYY-MM-DD"
    options = [
        click.option("--section", help="Only this section (or a parent section in its path); any case."),
        click.option("--author", help="Only articles by an author whose name contains this text; any case."),
        click.option(
            "--since", type=day, metavar=metavar, help="Only articles published on or after this date."
        ),
        click.option(
            "--until", type=day, metavar=metavar, help="Only articles published on or before this date."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _filter(
    section: str | None, author: str | None, since: dt.datetime | None, until: dt.datetime | None
) -> queries.ArticleFilter:
    return queries.ArticleFilter(
        section=section or None,
        author=author or None,
        since=since.date().isoformat() if since else None,
        until=until.date().isoformat() if until else None,
    )


@contextmanager
def archive_db(db_path: str) -> Iterator[Database]:
    """The archive opened read-only; archive and SQLite errors become one-line command errors."""
    try:
        db = open_archive(db_path, create=False, readonly=True)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from error
    try:
        yield db
    except ArchiveError as error:
        raise click.ClickException(str(error)) from error
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"cannot read {db_path}: {error}") from error
    finally:
        db.close()


# --- search -----------------------------------------------------------------------------------


@click.command("search")
@click.argument("query")
@filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Results at most.")
@click.option(
    "--exhaustive",
    is_flag=True,
    help=f"Rank every match. By default, a query matching more than {queries.RANK_WINDOW:,} articles ranks "
    "only the most recently archived of them, and says so.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results and the match counts as JSON.")
@db_option
def search_command(
    query: str,
    section: str | None,
    author: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    exhaustive: bool,
    as_json: bool,
    db_path: str,
) -> None:
    """Full-text search of the articles.

    Best match first. QUERY: words that must all occur, or SQLite FTS5 syntax: "an exact phrase",
    prefix*, OR, NOT, NEAR(word word). Each result shows its date, section, authors, URL and a snippet
    with the matching words in [brackets]. When too many articles match (see --exhaustive), only the
    most recently archived of them are ranked, and a last line says so.

    \b
    Example:
        newsarchive search "ammunition trafficking" --db tdi.db
        newsarchive search 'Pakistan OR India' --section "Diplomatic News" --since 2021-01-01 --json
    """
    filters = _filter(section, author, since, until)
    window = None if exhaustive else queries.RANK_WINDOW
    with archive_db(db_path) as db:
        found = queries.search_results(db, query, filters=filters, limit=limit, window=window)
    if as_json:
        click.echo(json.dumps(_search_json(query, found), ensure_ascii=False, indent=2))
        return
    if not found.rows:
        click.echo(f"No articles match {query!r}.")
        return
    for number, row in enumerate(found.rows, start=1):
        click.echo(_search_result(number, row))
    if found.bounded:
        click.echo(_bounded_note(found))


def _search_json(query: str, found: queries.SearchResults) -> dict[str, Any]:
    return {
        "query": query,
        "matches": found.matches,
        "ranked": found.ranked,
        "bounded": found.bounded,
        "results": found.rows,
    }


def _bounded_note(found: queries.SearchResults) -> str:
    return (
        f"Ranked the {found.ranked:,} most recently archived of {found.matches:,} matches;"
        " --exhaustive ranks them all."
    )


def _search_result(number: int, row: dict[str, Any]) -> str:
    details = [(row.get("published") or "undated")[:10], row.get("section") or "(no section)"]
    if row.get("authors"):
        details.append(", ".join(row["authors"]))
    snippet = " ".join((row.get("snippet") or "").split())
    title = row.get("title") or "(untitled)"
    return f"{number}. {title}\n   {' | '.join(details)}\n   {row['url']}\n   {snippet}\n"


# --- show -------------------------------------------------------------------------------------


@click.command("show")
@click.argument("article")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SHOW_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@db_option
def show_command(article: str, fmt: str, db_path: str) -> None:
    """Print one article with all its fields.

    ARTICLE is the article's id or its URL. The output has the authors (with website and bio),
    categories, tags, images, the dates as found, normalised and where they came from, the data-quality
    flags, when the article was first and last seen, and the body text.

    \b
    Example:
        newsarchive show 12 --db tdi.db
        newsarchive show https://thediplomaticinsight.com/icaft-conference-of-oas-led-by-mexico/ --db tdi.db
        newsarchive show 12 --db tdi.db --format markdown > article.md
    """
    with archive_db(db_path) as db:
        found = queries.get_article(db, article)
    if found is None:
        raise click.ClickException(f"no article with id or URL {article!r} in {db_path}")
    click.echo(render_article(found, fmt), nl=False)


# --- export -----------------------------------------------------------------------------------


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporting.FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per line; csv: one row per article; markdown: one file per article.",
)
@filter_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (jsonl, csv; default: standard output) or directory (markdown; required).",
)
@db_option
def export_command(
    fmt: str,
    section: str | None,
    author: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    output: Path | None,
    db_path: str,
) -> None:
    """Export articles as JSON Lines, CSV or Markdown.

    Articles are read and written one at a time, so any archive size works. JSON Lines has every field
    of every article; CSV has one row per article with a header, lists joined with "; "; Markdown writes
    one file per article (YAML front matter, then the text) into the -o directory. Articles come in the
    order they were first stored.

    \b
    Example:
        newsarchive export --db tdi.db > tdi.jsonl
        newsarchive export --format csv --section "Diplomatic News" --since 2021-01-01 -o news.csv
        newsarchive export --format markdown --author "Carla" -o articles/
    """
    _check_output(fmt, output)
    filters = _filter(section, author, since, until)
    with archive_db(db_path) as db:
        articles = queries.iter_articles(db, filters)
        if output is None:
            _write_stdout(fmt, articles)
            return
        count = _write_output(fmt, articles, output)
    click.echo(f"Exported {_count(count, 'article')} to {output}", err=True)


def _check_output(fmt: str, output: Path | None) -> None:
    if fmt == "markdown":
        if output is None:
            raise click.UsageError("--format markdown writes one file per article: give -o DIRECTORY")
        if output.exists() and not output.is_dir():
            raise click.UsageError(f"-o {output} is a file; --format markdown needs a directory")
    elif output is not None and output.is_dir():
        raise click.UsageError(f"-o {output} is a directory; --format {fmt} writes one file")


def _write(fmt: str, articles: Iterator[dict[str, Any]], out: Any) -> int:
    return exporting.write_csv(articles, out) if fmt == "csv" else exporting.write_jsonl(articles, out)


def _write_output(fmt: str, articles: Iterator[dict[str, Any]], output: Path) -> int:
    try:
        if fmt == "markdown":
            return exporting.write_markdown(articles, output)
        with output.open("w", encoding="utf-8", newline="") as out:
            return _write(fmt, articles, out)
    except OSError as error:
        raise click.ClickException(f"cannot write {error.filename or output}: {error.strerror}") from error


def _write_stdout(fmt: str, articles: Iterator[dict[str, Any]]) -> None:
    try:
        _write(fmt, articles, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. ``head``) stopped reading: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


# --- stats ------------------------------------------------------------------------------------


@click.command("stats")
@click.option(
    "--top", default=20, show_default=True, type=click.IntRange(min=0), help="Authors listed (0: all)."
)
@click.option(
    "--crawls", default=5, show_default=True, type=click.IntRange(min=0), help="Last crawls listed."
)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as one JSON object.")
@db_option
def stats_command(top: int, crawls: int, as_json: bool, db_path: str) -> None:
    """Summarise the archive.

    Articles per section, per month and per author, date problems and the last crawls. Date problems
    count the articles without a publication date and the articles per date flag (assumed timezone,
    relative date ...). Crawls are listed newest first with their outcome.

    \b
    Example:
        newsarchive stats --db tdi.db
        newsarchive stats --db tdi.db --top 0 --json
    """
    with archive_db(db_path) as db:
        summary = _summary(db, top, crawls)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(_stats_text(db_path, summary))


def _summary(db: Database, top: int, crawls: int) -> dict[str, Any]:
    first, last = queries.published_range(db)
    return {
        "articles": queries.count_articles(db),
        "authors": queries.count_authors(db),
        "first_published": first,
        "last_published": last,
        "sections": _pairs("section", queries.articles_per_section(db)),
        "months": _pairs("month", queries.articles_per_month(db)),
        "top_authors": _pairs("author", queries.articles_per_author(db, top or None)),
        "date_problems": _pairs("problem", queries.date_problems(db)),
        "last_crawls": [_crawl(row) for row in queries.last_crawls(db, crawls)] if crawls else [],
    }


def _pairs(key: str, pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{key: name, "articles": count} for name, count in pairs]


def _crawl(row: dict[str, Any]) -> dict[str, Any]:
    names = ("id", "spider", "site", "started", "finished", "status")
    counts = ("articles_new", "articles_updated", "articles_unchanged")
    return {name: row[name] for name in (*names, *counts)}


def _stats_text(db_path: str, summary: dict[str, Any]) -> str:
    span = ""
    if summary["first_published"]:
        span = f", published {summary['first_published']} to {summary['last_published']}"
    lines = [
        f"{db_path}: {_count(summary['articles'], 'article')}{span}, {_count(summary['authors'], 'author')}"
    ]
    lines += _table("Articles per section", summary["sections"], "section")
    lines += _table("Articles per month", summary["months"], "month")
    shown = len(summary["top_authors"])
    lines += _table(
        f"Articles per author ({shown} of {summary['authors']})", summary["top_authors"], "author"
    )
    lines += _table("Date problems (articles)", summary["date_problems"], "problem")
    lines += ["", "Last crawls:"]
    lines += [_crawl_line(crawl) for crawl in summary["last_crawls"]] or ["  none"]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _table(title: str, rows: list[dict[str, Any]], key: str) -> list[str]:
    return ["", f"{title}:", *(f"  {row['articles']:6d}  {row[key]}" for row in rows)] + (
        [] if rows else ["  none"]
    )


def _crawl_line(crawl: dict[str, Any]) -> str:
    return (
        f"  #{crawl['id']}  {crawl['spider']}  {crawl['started']} -> {crawl['finished'] or '(not finished)'}"
        f"  {crawl['status']}: {crawl['articles_new']} new, {crawl['articles_updated']} updated,"
        f" {crawl['articles_unchanged']} unchanged"
    )


# --- serve ------------------------------------------------------------------------------------


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
def serve_command(db_path: str, host: str, port: int) -> None:
    """Browse and search the archive in Datasette.

    Runs until Ctrl+C. The archive is opened immutable. Tables and columns are described; articles and
    article_list have full-text search and facets (section, author, year); saved queries list the latest
    articles, articles by author, articles edited after publication and articles with missing dates; an
    article's row page shows its text. Needs: pip install 'newsarchive[web]'.

    \b
    Example:
        newsarchive serve --db tdi.db
        newsarchive serve --db tdi.db --port 8080
    """
    if not web.datasette_installed():
        raise click.ClickException(f"Datasette is not installed; install it with: {web.INSTALL_HINT}")
    with archive_db(db_path):  # a clear error for a missing or foreign file before Datasette starts
        pass
    if web.unmerged_wal(db_path):
        click.echo(
            f"Warning: {db_path} has a write-ahead log (a crawl is running or was interrupted);"
            " the newest changes will not be shown.",
            err=True,
        )
    click.echo(f"Serving {db_path} read-only at http://{host}:{port}/ (Ctrl+C stops)", err=True)
    try:
        code = web.serve(db_path, host=host, port=port)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from error
    if code:
        raise click.ClickException(f"Datasette stopped with exit code {code}")


#: The commands of this module, for ``main.add_command``.
archive_commands: list[click.Command] = [
    search_command,
    show_command,
    export_command,
    stats_command,
    serve_command,
]

__all__ = ["archive_commands"]
