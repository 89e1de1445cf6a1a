"""Exporting and rendering articles: formats that load back, and streaming in constant memory."""

from __future__ import annotations

import csv
import inspect
import io
import json
import tracemalloc
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive
from archive.errors import ArchiveError
from archive.export import CSV_COLUMNS, csv_row, markdown_name, write_csv, write_jsonl, write_markdown
from archive.queries import ArticleFilter, get_article, iter_articles
from archive.render import FORMATS, front_matter, render_article, to_html, to_json, to_markdown, to_text
from archive.store import ArticleWriter, upsert_article

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import sqlite_utils

    RecordFactory = Callable[..., dict[str, Any]]

BASE = "https://thediplomaticinsight.com"
#: Text that breaks naive CSV, JSON Lines and YAML writers.
NASTY = (
    'He said, "no comment"; then left.\nNew line\r\nCRLF\rCR\n\n'
    "Separators:\u2028line\u2029paragraph\x85next\x0bvt\x0cff\x1cfs\x7fdel "
    "tab\there, unicode: Zoë, 中文, emoji 🗞️, backslash \\ and braces {x}: y - z"
)


@pytest.fixture
def nasty_article(fresh_db: sqlite_utils.Database, make_record: RecordFactory) -> dict[str, Any]:
    record = make_record(
        url=f"{BASE}/nasty/",
        title=f"Title: {NASTY}",
        subtitle=NASTY,
        body_text=NASTY,
        tags=[{"name": "A, B; C", "url": None}, {"name": 'quote "q"', "url": None}],
        flags=["published_tz_assumed", "published_relative"],
    )
    upsert_article(fresh_db, record)
    article = get_article(fresh_db, f"{BASE}/nasty/")
    assert article is not None
    return article


# --- JSON Lines and CSV -----------------------------------------------------------------------


def test_jsonl_loads_back_line_by_line(nasty_article: dict[str, Any]) -> None:
    out = io.StringIO()
    count = write_jsonl([nasty_article, nasty_article], out)

    text = out.getvalue()
    assert count == 2
    for lines in (text.splitlines(), text.split("\n")[:-1], list(io.StringIO(text))):
        assert len(lines) == 2
        assert [json.loads(line) for line in lines] == [nasty_article, nasty_article]


def test_csv_loads_back(nasty_article: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        assert write_csv([nasty_article], handle) == 1

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    [row] = rows
    assert row["body_text"] == NASTY
    assert row["title"] == f"Title: {NASTY}"
    assert row["tags"] == 'A, B; C; quote "q"'
    assert row["flags"] == "published_tz_assumed; published_relative"
    assert row["authors"] == "Carla Esparza Arteaga"
    assert row["images"].split("; ") == [image["url"] for image in nasty_article["images"]]
    assert row["id"] == str(nasty_article["id"])


def test_csv_of_no_articles_is_a_header() -> None:
    out = io.StringIO()

    assert write_csv([], out) == 0
    assert out.getvalue() == ",".join(CSV_COLUMNS) + "\r\n"


def test_csv_row_without_optional_values() -> None:
    row = csv_row({"id": 1, "url": "u", "section_path": None, "authors": [], "images": None, "flags": None})

    assert row["section_path"] == row["authors"] == row["images"] == row["flags"] == ""
    assert row["title"] is None
    assert list(row) == list(CSV_COLUMNS)


# --- Markdown ---------------------------------------------------------------------------------


def _front_matter_values(text: str) -> dict[str, Any]:
    assert text.startswith("---\n")
    head = text[4:].split("\n---\n", 1)[0]
    return {key: json.loads(value) for key, value in (line.split(": ", 1) for line in head.split("\n"))}


def test_front_matter_values_are_json(nasty_article: dict[str, Any]) -> None:
    values = _front_matter_values(front_matter(nasty_article))

    assert values["title"] == f"Title: {NASTY}"
    assert values["subtitle"] == NASTY
    assert values["tags"] == ["A, B; C", 'quote "q"']
    assert values["published_source"] == "meta:article:published_time"
    assert values["section_path"] == ["News", "Diplomatic News"]


def test_front_matter_is_yaml(nasty_article: dict[str, Any]) -> None:
    yaml = pytest.importorskip("yaml")

    markdown = to_markdown(nasty_article)
    loaded = yaml.safe_load(markdown.split("---\n")[1])

    assert loaded == _front_matter_values(markdown)
    assert loaded["title"] == f"Title: {NASTY}"


def test_markdown_files(nasty_article: dict[str, Any], tmp_path: Path) -> None:
    other = {**nasty_article, "id": 77, "url": f"{BASE}/2021/10/Über-Café_news/?p=1#top"}

    assert write_markdown([nasty_article, other], tmp_path / "out") == 2

    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == [f"{nasty_article['id']}-nasty.md", "77-ber-caf-news.md"]
    text = (tmp_path / "out" / "77-ber-caf-news.md").read_bytes().decode("utf-8")
    assert text.endswith(NASTY.strip() + "\n")
    assert f"\n# Title: {' '.join(NASTY.split())}\n" in text


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"{BASE}/a-b/", "5-a-b.md"),
        (f"{BASE}/", "5-thediplomaticinsight-com.md"),
        ("", "5-article.md"),
        (f"{BASE}/?p=123", "5-thediplomaticinsight-com.md"),
        (f"{BASE}/{'x' * 200}/", f"5-{'x' * 80}.md"),
    ],
)
def test_markdown_name(url: str, name: str) -> None:
    assert markdown_name({"id": 5, "url": url}) == name


# --- show formats -----------------------------------------------------------------------------


def test_every_format_renders(nasty_article: dict[str, Any]) -> None:
    for fmt in FORMATS:
        assert render_article(nasty_article, fmt).endswith("\n")
    with pytest.raises(ValueError, match="unknown format"):
        render_article(nasty_article, "pdf")


def test_json_format_round_trips(nasty_article: dict[str, Any]) -> None:
    text = to_json(nasty_article)

    assert json.loads(text) == nasty_article
    assert "\u2028" not in text and "\x85" not in text


def test_html_escapes_everything(nasty_article: dict[str, Any]) -> None:
    article = {**nasty_article, "title": "<script>alert(1)</script>", "body_text": "a < b & c\n\n<b>bold</b>"}

    page = to_html(article)

    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "<p>a &lt; b &amp; c</p>\n<p>&lt;b&gt;bold&lt;/b&gt;</p>" in page


def test_text_of_an_article_without_optional_fields() -> None:
    text = to_text({"id": 3, "url": f"{BASE}/x/", "title": None, "body_text": None})

    assert text.startswith("(untitled)\n==========\n")
    assert "published:    -" in text
    assert "Authors:\n  none" in text
    assert text.endswith("(no body text)\n")


# --- streaming --------------------------------------------------------------------------------


def _fill(db: sqlite_utils.Database, make_record: RecordFactory, count: int, body: str) -> None:
    with ArticleWriter(db, batch_size=500) as writer:
        for number in range(count):
            writer.add(make_record(url=f"{BASE}/article-{number}/", body_text=f"{number} {body}"))


def test_iter_articles_is_lazy(fresh_db: sqlite_utils.Database, make_record: RecordFactory) -> None:
    _fill(fresh_db, make_record, 30, "text")
    statements: list[str] = []
    fresh_db.conn.set_trace_callback(lambda sql: statements.append(sql) if sql.startswith("SELECT") else None)

    articles = iter_articles(fresh_db)
    assert inspect.isgenerator(articles)
    assert statements == []
    first = next(articles)
    after_first = len(statements)
    rest = list(articles)
    after_all = len(statements)

    assert first == get_article(fresh_db, first["id"])
    assert [article["id"] for article in rest] == list(range(2, 31))
    assert after_first == 5  # the article cursor and the four child queries of one article
    assert after_all == 1 + 4 * 30


def test_iter_articles_filters(fresh_db: sqlite_utils.Database, make_record: RecordFactory) -> None:
    upsert_article(fresh_db, make_record(url=f"{BASE}/a/", published="2020-05-01T10:00:00+05:00"))
    upsert_article(fresh_db, make_record(url=f"{BASE}/b/", published="2021-05-01T10:00:00+05:00"))
    upsert_article(fresh_db, make_record(url=f"{BASE}/c/", section="Opinion", section_path=["Opinion"]))

    def urls(**filters: Any) -> list[str]:
        return [
            article["url"].rsplit("/", 2)[1] for article in iter_articles(fresh_db, ArticleFilter(**filters))
        ]

    assert urls() == ["a", "b", "c"]
    assert urls(since="2021-01-01") == ["b", "c"]
    assert urls(until="2020-12-31") == ["a"]
    assert urls(section="OPINION") == ["c"]
    assert urls(section="news", until="2020-05-01") == ["a"]
    assert urls(author="esparza arteaga") == ["a", "b", "c"]
    assert urls(author="nobody") == []


@pytest.mark.parametrize("day", ["2021-02-30", "2021-1-1", "21-01-01", "today"])
def test_article_filter_rejects_bad_dates(day: str) -> None:
    with pytest.raises(ArchiveError, match="expected YYYY-MM-DD"):
        ArticleFilter(since=day)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_memory_does_not_grow_with_the_archive(
    db_path: Path, make_record: RecordFactory, fmt: str
) -> None:
    """2000 articles of 4 KB (8 MB of text) export with far less memory than the archive holds."""
    db = open_archive(db_path)
    _fill(db, make_record, 2000, "word " * 800)
    db.close()
    db = open_archive(db_path, create=False, readonly=True)
    writer = write_csv if fmt == "csv" else write_jsonl

    class Sink(io.TextIOBase):
        written = 0

        def write(self, text: str) -> int:
            Sink.written += len(text)
            return len(text)

    tracemalloc.start()
    try:
        count = writer(iter_articles(db), Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        db.close()

    assert count == 2000
    assert Sink.written > 8_000_000
    assert peak < 1_500_000, f"peak {peak} bytes"
