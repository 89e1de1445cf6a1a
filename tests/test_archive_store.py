"""Writing crawls and articles: statuses, in-place updates, child rows, shared rows, JSON columns."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest

from archive import ArchiveError, store
from archive.queries import get_article

T1, T2, T3 = "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z"


def _count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _row(db, url: str) -> dict:
    return next(db.query("SELECT * FROM articles WHERE url = ?", [url]))


# --- crawls ---------------------------------------------------------------------------------


def test_start_crawl_records_a_running_crawl(fresh_db):
    crawl_id = store.start_crawl(
        fresh_db, spider="tdi", site="tdi", args={"limit": 10, "since": dt.date(2021, 1, 2)}
    )
    row = next(fresh_db.query("SELECT * FROM crawls WHERE id = ?", [crawl_id]))
    assert row["status"] == "running"
    assert row["spider"] == "tdi"
    assert row["finished"] is None
    assert row["started"].endswith("Z")
    assert row["args"] == '{"limit": 10, "since": "2021-01-02"}'
    assert store.start_crawl(fresh_db, spider="tdi", site="tdi") == crawl_id + 1


def test_finish_crawl_stores_json_safe_stats(fresh_db):
    crawl_id = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    start = dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.timezone.utc)
    stats = {
        "start_time": start,
        "elapsed_time_seconds": 12.5,
        "downloader/response_count": 40,
        "log_count/INFO": 3,
        "delta": dt.timedelta(minutes=1),
        "odd": {("a", "b"), 1},
    }
    store.finish_crawl(fresh_db, crawl_id, status="finished", stats=stats)
    row = next(fresh_db.query("SELECT * FROM crawls WHERE id = ?", [crawl_id]))
    assert row["status"] == "finished"
    assert row["finished"] is not None
    import json

    saved = json.loads(row["stats"])
    assert saved["start_time"] == "2026-11-27T22:00:00+00:00"
    assert saved["delta"] == 60.0
    assert saved["downloader/response_count"] == 40
    assert len(saved["odd"]) == 2


def test_finish_unknown_crawl_is_an_error(fresh_db):
    with pytest.raises(ArchiveError, match="no crawl with id 99"):
        store.finish_crawl(fresh_db, 99, status="finished", stats={})


def test_crawl_counters_follow_statuses(fresh_db, make_record):
    crawl_id = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    store.upsert_article(fresh_db, make_record(), crawl_id=crawl_id)
    store.upsert_article(fresh_db, make_record(url="https://thediplomaticinsight.com/b/"), crawl_id=crawl_id)
    store.upsert_article(fresh_db, make_record(), crawl_id=crawl_id)
    store.upsert_article(fresh_db, make_record(title="New title"), crawl_id=crawl_id)
    row = next(fresh_db.query("SELECT * FROM crawls WHERE id = ?", [crawl_id]))
    assert (row["articles_new"], row["articles_updated"], row["articles_unchanged"]) == (2, 1, 1)


def test_unknown_crawl_id_stores_nothing(fresh_db, make_record):
    with pytest.raises(ArchiveError, match="no crawl"):
        store.upsert_article(fresh_db, make_record(), crawl_id=42)
    assert _count(fresh_db, "articles") == 0
    assert _count(fresh_db, "authors") == 0


# --- articles -------------------------------------------------------------------------------


def test_statuses_new_unchanged_updated(fresh_db, make_record):
    record = make_record()
    assert store.upsert_article(fresh_db, record, now=T1) == "new"
    assert store.upsert_article(fresh_db, record, now=T2) == "unchanged"
    assert store.upsert_article(fresh_db, make_record(body_text="A corrected body."), now=T3) == "updated"
    assert store.upsert_article(fresh_db, make_record(body_text="A corrected body."), now=T3) == "unchanged"


@pytest.mark.parametrize(
    "change",
    [
        {"modified": "2021-10-08T09:00:00+05:00"},
        {"subtitle": "A new subtitle"},
        {"flags": ["published_tz_assumed"]},
        {"tags": [{"name": "OAS", "url": "https://thediplomaticinsight.com/tag/oas/"}]},
        {"featured_image": None},
        {"authors": [{"name": "TDI", "url": "https://thediplomaticinsight.com/author/tdi/"}]},
    ],
)
def test_field_or_child_change_is_an_update(fresh_db, make_record, change):
    store.upsert_article(fresh_db, make_record())
    assert store.upsert_article(fresh_db, make_record(**change)) == "updated"


def test_fetch_details_alone_are_not_a_change(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record(), now=T1)
    other = make_record(
        url_raw="https://thediplomaticinsight.com/?p=48123", fetched_at="2026-11-28T00:00:00+00:00"
    )
    assert store.upsert_article(fresh_db, other, now=T2) == "unchanged"
    row = _row(fresh_db, other["url"])
    assert row["url_raw"] == other["url_raw"]
    assert row["fetched_at"] == "2026-11-28T00:00:00+00:00"
    assert row["last_changed"] == T1


def test_second_store_updates_in_place(fresh_db, make_record):
    first_crawl = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    second_crawl = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    record = make_record()
    store.upsert_article(fresh_db, record, crawl_id=first_crawl, now=T1)
    article_id = _row(fresh_db, record["url"])["id"]
    store.upsert_article(fresh_db, make_record(title="Retitled"), crawl_id=second_crawl, now=T2)
    assert _count(fresh_db, "articles") == 1
    row = _row(fresh_db, record["url"])
    assert row["id"] == article_id
    assert row["title"] == "Retitled"
    assert (row["first_seen"], row["last_seen"], row["last_changed"]) == (T1, T2, T2)
    assert (row["first_crawl_id"], row["last_crawl_id"]) == (first_crawl, second_crawl)


def test_unchanged_store_moves_last_seen_only(fresh_db, make_record):
    crawl_a = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    crawl_b = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    store.upsert_article(fresh_db, make_record(), crawl_id=crawl_a, now=T1)
    store.upsert_article(fresh_db, make_record(), crawl_id=crawl_b, now=T3)
    row = _row(fresh_db, make_record()["url"])
    assert (row["first_seen"], row["last_seen"], row["last_changed"]) == (T1, T3, T1)
    assert (row["first_crawl_id"], row["last_crawl_id"]) == (crawl_a, crawl_b)


def test_computed_columns(fresh_db, make_record):
    record = make_record()
    store.upsert_article(fresh_db, record)
    row = _row(fresh_db, record["url"])
    assert row["published_utc"] == "2021-10-05T21:14:32Z"
    assert row["modified_utc"] == "2021-10-07T05:00:00Z"
    assert row["word_count"] == len(record["body_text"].split())
    expected = hashlib.sha256(f"{record['title']}\n{record['body_text']}".encode()).hexdigest()
    assert row["content_hash"] == expected
    assert row["section"] == "Diplomatic News"
    assert row["published_raw"] == "2021-10-06T02:14:32+05:00"
    assert row["published_source"] == "meta:article:published_time"


def test_published_without_offset_uses_site_timezone(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record(published="2021-10-06T02:14:32", site_timezone="Asia/Karachi"))
    assert _row(fresh_db, make_record()["url"])["published_utc"] == "2021-10-05T21:14:32Z"


def test_unparseable_published_gives_null_utc(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record(published="yesterday"))
    row = _row(fresh_db, make_record()["url"])
    assert row["published"] == "yesterday"
    assert row["published_utc"] is None


def test_minimal_record_and_unknown_keys(fresh_db):
    record = {"url": "https://example.org/a", "title": "Only a title", "surprise": object()}
    assert store.upsert_article(fresh_db, record) == "new"
    row = _row(fresh_db, "https://example.org/a")
    assert row["title"] == "Only a title"
    assert row["published"] is None
    assert row["section_path"] is None
    assert row["body_text"] is None
    assert row["word_count"] is None
    assert "surprise" not in row


def test_record_without_url_is_refused(fresh_db, make_record):
    with pytest.raises(ArchiveError, match="without a url"):
        store.upsert_article(fresh_db, make_record(url=""))
    assert _count(fresh_db, "articles") == 0


def test_json_columns_round_trip(fresh_db, make_record):
    record = make_record(
        flags=["published_tz_assumed", "published_in_future"], stripped={"ad": 3, "réclame": 1}
    )
    store.upsert_article(fresh_db, record)
    article = get_article(fresh_db, record["url"])
    for name in ("section_path", "flags", "stripped", "field_sources", "embeds"):
        assert article[name] == record[name], name


def test_child_rows_are_stored_in_order(fresh_db, make_record):
    record = make_record()
    store.upsert_article(fresh_db, record)
    article = get_article(fresh_db, record["url"])
    assert [a["name"] for a in article["authors"]] == ["Carla Esparza Arteaga"]
    assert article["authors"][0]["bio"].startswith("International Relations student")
    assert [c["name"] for c in article["categories"]] == ["Diplomatic News", "News"]
    assert [t["name"] for t in article["tags"]] == ["OAS", "Mexico"]
    images = article["images"]
    assert [(i["position"], i["role"]) for i in images] == [(0, "featured"), (1, "inline")]
    assert images[0]["url"] == record["featured_image"]["url"]
    assert (images[0]["width"], images[0]["height"]) == (1200, 800)
    assert images[1]["caption"] == "Delegates"


def test_child_rows_are_replaced_on_update(fresh_db, make_record):
    base = "https://thediplomaticinsight.com"
    store.upsert_article(fresh_db, make_record())
    changed = make_record(
        authors=[{"name": "TDI", "url": f"{base}/author/tdi/"}, {"name": "Guest Writer", "url": None}],
        tags=[{"name": "Diplomacy", "url": f"{base}/tag/diplomacy/"}],
        categories=[{"name": "World", "url": f"{base}/category/news/world/"}],
        featured_image=None,
        images=[{"url": f"{base}/one.jpg"}, {"url": f"{base}/two.jpg", "caption": "Two"}],
    )
    assert store.upsert_article(fresh_db, changed) == "updated"
    article = get_article(fresh_db, changed["url"])
    assert [a["name"] for a in article["authors"]] == ["TDI", "Guest Writer"]
    assert [t["name"] for t in article["tags"]] == ["Diplomacy"]
    assert [c["name"] for c in article["categories"]] == ["World"]
    assert [(i["position"], i["role"], i["url"]) for i in article["images"]] == [
        (1, "inline", f"{base}/one.jpg"),
        (2, "inline", f"{base}/two.jpg"),
    ]
    assert _count(fresh_db, "article_authors") == 2
    assert _count(fresh_db, "article_tags") == 1
    assert _count(fresh_db, "images") == 2


def test_authors_are_shared_and_enriched(fresh_db, make_record):
    author_url = "https://thediplomaticinsight.com/author/carla-esparza-arteaga/"
    bare = {"name": "Carla Esparza Arteaga", "url": author_url, "website": None, "bio": None}
    store.upsert_article(fresh_db, make_record(authors=[bare]))
    assert next(fresh_db.query("SELECT bio FROM authors"))["bio"] is None
    store.upsert_article(fresh_db, make_record(url="https://thediplomaticinsight.com/second/"))
    store.upsert_article(fresh_db, make_record(url="https://thediplomaticinsight.com/third/", authors=[bare]))
    assert _count(fresh_db, "authors") == 1
    assert _count(fresh_db, "article_authors") == 3
    author = next(fresh_db.query("SELECT * FROM authors"))
    assert author["key"] == author_url
    assert author["bio"].startswith("International Relations student")
    assert author["website"] == "https://thediplomaticinsight.com"


def test_author_known_by_name_gets_its_url_later(fresh_db, make_record):
    url = "https://thediplomaticinsight.com/author/tdi/"
    store.upsert_article(fresh_db, make_record(authors=[{"name": "TDI"}]))
    store.upsert_article(
        fresh_db,
        make_record(url="https://thediplomaticinsight.com/b/", authors=[{"name": "TDI", "url": url}]),
    )
    rows = list(fresh_db.query("SELECT key, url FROM authors"))
    assert rows == [{"key": url, "url": url}]


def test_name_only_authors_are_per_site(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record(authors=[{"name": "Staff Reporter"}]))
    store.upsert_article(
        fresh_db,
        make_record(url="https://other.example/a", site="other", authors=[{"name": "Staff  reporter"}]),
    )
    store.upsert_article(
        fresh_db,
        make_record(url="https://other.example/b", site="other", authors=[{"name": "Staff Reporter"}]),
    )
    keys = sorted(row["key"] for row in fresh_db.query("SELECT key FROM authors"))
    assert keys == ["name:other:staff reporter", "name:tdi:staff reporter"]


def test_terms_are_shared_between_articles(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record())
    store.upsert_article(fresh_db, make_record(url="https://thediplomaticinsight.com/b/"))
    assert _count(fresh_db, "categories") == 2
    assert _count(fresh_db, "tags") == 2
    assert _count(fresh_db, "article_tags") == 4


def test_duplicate_children_in_one_record_are_merged(fresh_db, make_record):
    tag = {"name": "OAS", "url": "https://thediplomaticinsight.com/tag/oas/"}
    store.upsert_article(fresh_db, make_record(tags=[tag, dict(tag), {"name": " "}]))
    assert _count(fresh_db, "article_tags") == 1


def test_deleting_an_article_cascades_to_links_and_images(fresh_db, make_record):
    store.upsert_article(fresh_db, make_record())
    fresh_db.execute("DELETE FROM articles")
    for table in ("article_authors", "article_categories", "article_tags", "images"):
        assert _count(fresh_db, table) == 0, table
    assert _count(fresh_db, "authors") == 1


def test_failed_store_rolls_back_everything(fresh_db, make_record, monkeypatch):
    def boom(*args, **kwargs):
        raise sqlite3.IntegrityError("boom")

    monkeypatch.setattr(store, "_replace_children", boom)
    with pytest.raises(sqlite3.IntegrityError):
        store.upsert_article(fresh_db, make_record())
    for table in ("articles", "authors", "tags", "categories"):
        assert _count(fresh_db, table) == 0, table
    assert not fresh_db.conn.in_transaction


# --- batching -------------------------------------------------------------------------------


def _visible_count(db_path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


def test_article_writer_commits_in_batches(fresh_db, db_path, make_record):
    crawl_id = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    with store.ArticleWriter(fresh_db, crawl_id=crawl_id, batch_size=2) as writer:
        statuses = [writer.add(make_record(url=f"https://thediplomaticinsight.com/{n}/")) for n in range(3)]
        assert _visible_count(db_path) == 2
        # the fourth record completes the second batch, which commits the third
        assert writer.add(make_record(url="https://thediplomaticinsight.com/0/")) == "unchanged"
        assert _visible_count(db_path) == 3
    assert statuses == ["new", "new", "new"]
    assert _visible_count(db_path) == 3
    assert writer.counts == {"new": 3, "unchanged": 1}
    assert not fresh_db.conn.in_transaction


def test_article_writer_keeps_good_records_when_one_fails(fresh_db, db_path, make_record):
    writer = store.ArticleWriter(fresh_db, batch_size=10)
    writer.add(make_record())
    with pytest.raises(ArchiveError):
        writer.add(make_record(url=None))
    writer.add(make_record(url="https://thediplomaticinsight.com/b/"))
    writer.flush()
    assert _visible_count(db_path) == 2
