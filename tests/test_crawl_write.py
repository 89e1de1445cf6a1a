"""The write path of a crawl gives exactly the rows of the general store functions it stands for.

:func:`archive.crawlwrite.store_article` replaces, for a crawl, the sequence ``seed_first_version``,
``upsert_article``, ``record_version`` and ``clear_removed`` (still what re-extraction and the
distributed ingester run). Each scenario is stored both ways into two archives, which must end up
identical, table by table, row by row, ids included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from archive import crawlwrite, open_archive, versions
from archive.records import article_row, image_rows, people
from archive.store import UNCHANGED, start_crawl, upsert_article
from crawler.items import Article, Author, Embed, Image, Term
from crawler.session import article_record

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import sqlite_utils

BASE = "https://thediplomaticinsight.com"
URL = f"{BASE}/icaft-conference-of-oas-led-by-mexico/"


def _reference(db: sqlite_utils.Database, record: dict[str, Any], crawl_id: int, now: str) -> tuple:
    """The steps a crawl took before :mod:`archive.crawlwrite`, one after the other."""
    with db.atomic():
        rows = list(db.query("SELECT id FROM articles WHERE url = ?", [record["url"]]))
        if rows:
            versions.seed_first_version(db, rows[0]["id"])
        status = upsert_article(db, record, crawl_id=crawl_id, now=now)
        article_id = next(db.query("SELECT id FROM articles WHERE url = ?", [record["url"]]))["id"]
        version = None
        if status != UNCHANGED:
            version = versions.record_version(db, article_id, now=now, crawl_id=crawl_id)
        restored = versions.clear_removed(db, article_id)
    return status, _version_key(version), restored


def _lean(db: sqlite_utils.Database, record: dict[str, Any], crawl_id: int, now: str) -> tuple:
    with db.atomic():
        stored = crawlwrite.store_article(db, record, crawl_id=crawl_id, now=now)
    return stored.status, _version_key(stored.version), stored.restored


def _version_key(version: dict[str, Any] | None) -> Any:
    if version is None:
        return None
    return {key: value for key, value in version.items() if key != "id"}


def _dump(db: sqlite_utils.Database) -> dict[str, list[tuple]]:
    tables = [
        name
        for name in db.table_names()
        if not name.startswith(("articles_fts", "_sqlite")) and name != "sqlite_sequence"
    ]
    dump = {
        name: [tuple(row) for row in db.conn.execute(f"SELECT * FROM {name} ORDER BY rowid")]
        for name in tables
    }
    dump["fts"] = [tuple(row) for row in db.conn.execute("SELECT rowid, title, body_text FROM articles_fts")]
    return dump


def _run(tmp_path: Path, name: str, store: Callable[..., tuple], steps: list[Any]) -> tuple[list, dict]:
    db = open_archive(tmp_path / f"{name}.db")
    try:
        crawl_id = start_crawl(db, spider="tdi", site="tdi")
        db.execute("UPDATE crawls SET started = '2026-11-20T09:00:00Z'")
        results = []
        for number, step in enumerate(steps):
            if callable(step):
                step(db, crawl_id)
                continue
            results.append(
                store(db, step, crawl_id, f"2026-11-{20 + number // 10:02d}T10:{number % 60:02d}:00Z")
            )
        return results, _dump(db)
    finally:
        db.close()


def _same_rows(tmp_path: Path, steps: list[Any]) -> list:
    expected_results, expected = _run(tmp_path, "reference", _reference, steps)
    results, rows = _run(tmp_path, "lean", _lean, steps)
    assert results == expected_results
    for table, table_rows in expected.items():
        assert rows[table] == table_rows, table
    assert rows.keys() == expected.keys()
    return results


def _removed(url: str) -> Callable[[sqlite_utils.Database, int], Any]:
    return lambda db, _: versions.mark_removed(db, url, status=404, now="2026-11-22T00:00:00Z")


def _forget_versions(url: str) -> Callable[[sqlite_utils.Database, int], Any]:
    """An article stored before versions were kept."""
    return lambda db, _: db.execute(
        "DELETE FROM article_versions WHERE article_id = (SELECT id FROM articles WHERE url = ?)", [url]
    )


def test_new_unchanged_and_changed_articles(tmp_path: Path, make_record: Callable[..., dict]) -> None:
    other = f"{BASE}/second-article/"
    steps = [
        make_record(),
        make_record(
            url=other, url_raw=other, title="Second", tags=[{"name": "OAS", "url": f"{BASE}/tag/oas/"}]
        ),
        make_record(url_raw=URL + "?again"),
        make_record(body_text="A silent edit.\n\nWith a second paragraph."),
        make_record(body_text="A declared edit.", modified="2021-10-09T10:00:00+05:00"),
        make_record(tags=[{"name": "Mexico", "url": f"{BASE}/tag/mexico/"}], featured_image=None),
        make_record(images=[], authors=[{"name": "Amy First"}, {"name": "Zed Last", "url": None}]),
        make_record(url=other, url_raw=other, title="Second, retitled"),
    ]
    results = _same_rows(tmp_path, steps)
    assert [status for status, _, _ in results] == [
        "new", "new", "unchanged", "updated", "updated", "updated", "updated", "updated",
    ]  # fmt: skip


def test_shared_rows_gain_urls_and_details(tmp_path: Path, make_record: Callable[..., dict]) -> None:
    steps = [
        make_record(authors=[{"name": "Carla  Esparza Arteaga"}], categories=[{"name": "News"}]),
        make_record(
            url=f"{BASE}/b/",
            authors=[{"name": "Carla Esparza Arteaga", "url": f"{BASE}/author/carla/", "bio": "A bio."}],
            categories=[{"name": "News", "url": f"{BASE}/category/news/"}],
        ),
        make_record(
            url=f"{BASE}/c/",
            authors=[{"name": "carla esparza arteaga"}, {"name": "Carla Esparza Arteaga", "website": BASE}],
            tags=[{"name": "OAS"}, {"name": "OAS", "url": f"{BASE}/tag/oas/"}, {"name": "oas"}],
        ),
        make_record(authors=[{"name": "Carla Esparza Arteaga", "url": f"{BASE}/author/carla/"}]),
    ]
    _same_rows(tmp_path, steps)


def test_removed_articles_and_articles_without_versions(
    tmp_path: Path, make_record: Callable[..., dict]
) -> None:
    steps = [
        make_record(),
        _removed(URL),
        make_record(),
        _removed(URL),
        make_record(body_text="Back with a new body."),
        _forget_versions(URL),
        make_record(),
        _forget_versions(URL),
        make_record(title="Retitled while it had no versions"),
    ]
    results = _same_rows(tmp_path, steps)
    assert [restored for _, _, restored in results] == [False, True, True, False, False]


def test_values_that_are_not_text(tmp_path: Path, make_record: Callable[..., dict]) -> None:
    """Values a snapshot cannot take as written (they read back as text) are read back."""
    steps = [
        make_record(title=2024, dateline_date=20211006, post_id="48123"),
        make_record(title="2024", images=[{"url": f"{BASE}/x.jpg", "caption": 7, "width": "640"}]),
        make_record(authors=[{"name": "Carla", "url": 12}]),
        make_record(section_path=["News", 3], categories=[{"name": "News", "url": f"{BASE}/category/news/"}]),
    ]
    _same_rows(tmp_path, steps)


def _article(**fields: Any) -> Article:
    values: dict[str, Any] = {
        "url": URL,
        "url_raw": URL,
        "site": "tdi",
        "fetched_at": "2026-11-20T10:00:00+00:00",
        "title": "ICAFT Conference of OAS led by Mexico",
        "authors": [Author("Carla Esparza Arteaga", f"{BASE}/author/carla/", BASE, "A bio.")],
        "section_path": ["News", "Diplomatic News"],
        "categories": [Term("Diplomatic News", f"{BASE}/category/news/diplomatic-news/")],
        "tags": [Term("OAS", f"{BASE}/tag/oas/"), Term("Mexico")],
        "featured_image": Image(f"{BASE}/icaft.jpg", "Delegates", "ICAFT", "featured", 1200, 800),
        "images": [Image(f"{BASE}/delegates.jpg", caption="Delegates")],
        "embeds": [Embed("twitter", "https://twitter.com/OAS_official/status/1445")],
        "stripped": {"ad": 2},
        "field_sources": {"title": "css:.tdb-title-text"},
        "flags": ["published_tz_assumed"],
        "content_html": "<p>not stored</p>",
        "body_html": "<p>The committee met.</p>",
        "body_text": "The committee met.",
        "published": "2021-10-06T02:14:32+05:00",
    }
    values.update(fields)
    return Article(**values)


def test_article_record_is_to_record_without_the_copy() -> None:
    item = _article()
    record, copied = article_record(item), item.to_record()
    assert record.keys() == copied.keys()
    assert record["authors"][0] is item.authors[0]
    assert article_row(record) == article_row(copied)
    for field in ("authors", "categories", "tags"):
        assert people(record, field) == people(copied, field)
    assert image_rows(record) == image_rows(copied)


def test_items_store_the_rows_of_their_records(tmp_path: Path) -> None:
    """A crawl stores ``article_record(item)``; the reference stored ``item.to_record()``."""
    items = [_article(), _article(body_text="The committee met again.", tags=[]), _article()]
    expected_results, expected = _run(tmp_path, "reference", _reference, [i.to_record() for i in items])
    results, rows = _run(tmp_path, "lean", _lean, [article_record(i) for i in items])
    assert results == expected_results
    assert rows == expected


@pytest.mark.parametrize("check_crawl", [True, False])
def test_store_article_needs_a_url_and_checks_the_crawl(
    fresh_db: sqlite_utils.Database, make_record: Callable[..., dict], check_crawl: bool
) -> None:
    from archive.errors import ArchiveError

    with pytest.raises(ArchiveError), fresh_db.atomic():
        crawlwrite.store_article(fresh_db, make_record(url=None), crawl_id=None)
    if check_crawl:
        with pytest.raises(ArchiveError, match="no crawl"), fresh_db.atomic():
            crawlwrite.store_article(fresh_db, make_record(), crawl_id=99)
    assert fresh_db["articles"].count == 0
