"""Per-URL crawl state, discoveries, what is due, batched writes and the coverage report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from archive import state
from archive.batch import WriteBatch
from archive.coverage import coverage
from archive.store import start_crawl, upsert_article

if TYPE_CHECKING:
    from collections.abc import Callable

    import sqlite_utils

BASE = "http://thediplomaticinsight.com"
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


def _discover(db: sqlite_utils.Database, url: str, *, source: str = "listing", crawl: int = 1, **kw: Any):
    options: dict[str, Any] = {"found_on": f"{BASE}/category/news/", "site": "tdi", "kind": "article"}
    options.update(kw)
    options.setdefault("now", NOW)
    return state.discover(db, url, source=source, crawl_id=crawl, **options)


@pytest.fixture
def db(fresh_db: sqlite_utils.Database) -> sqlite_utils.Database:
    for _ in range(3):
        start_crawl(fresh_db, spider="tdi", site="tdi")
    return fresh_db


def test_a_discovered_url_is_pending_and_due(db: sqlite_utils.Database) -> None:
    found = _discover(db, f"{BASE}/a/", section=f"{BASE}/category/news/", page=2)

    assert (found.new_url, found.state, found.previous_lastmod) == (True, "pending", None)
    row = state.get_state(db, f"{BASE}/a/")
    assert row["state"] == "pending" and row["next_due"] == "2026-11-20T10:00:00Z"
    assert [r["url"] for r in state.due(db, site="tdi", now=NOW)] == [f"{BASE}/a/"]
    where = next(db.query("SELECT * FROM discoveries"))
    assert (where["source"], where["section"], where["page"]) == ("listing", f"{BASE}/category/news/", 2)


def test_rediscovery_keeps_the_first_place_and_reports_the_previous_lastmod(
    db: sqlite_utils.Database,
) -> None:
    _discover(
        db,
        f"{BASE}/a/",
        source="sitemap",
        found_on=f"{BASE}/post-sitemap.xml",
        lastmod="2021-01-01T00:00:00Z",
    )
    again = _discover(
        db,
        f"{BASE}/a/",
        source="sitemap",
        found_on=f"{BASE}/post-sitemap2.xml",
        lastmod="2026-01-01T00:00:00Z",
        now=NOW + H,
        crawl=2,
    )

    assert again.new_url is False
    assert again.previous_lastmod == "2021-01-01T00:00:00Z"
    row = next(db.query("SELECT * FROM discoveries"))
    assert row["found_on"] == f"{BASE}/post-sitemap.xml"
    assert row["last_found_on"] == f"{BASE}/post-sitemap2.xml"
    assert (row["lastmod"], row["crawl_id"], row["last_seen"]) == (
        "2026-01-01T00:00:00Z",
        1,
        "2026-11-20T11:00:00Z",
    )
    assert state.found_in_crawl(db, f"{BASE}/a/", 1) and not state.found_in_crawl(db, f"{BASE}/a/", 2)


def test_ok_answers_record_validators_and_the_next_due_time(db: sqlite_utils.Database) -> None:
    url = f"{BASE}/a/"
    fetch = state.Fetch(
        url, 200, etag='"e1"', last_modified="Fri, 20 Nov 2026 08:00:00 GMT", content_hash="h1"
    )

    assert state.record_ok(db, fetch, site="tdi", kind="article", now=NOW, next_due=NOW + H) is True
    assert state.record_ok(db, fetch, site="tdi", kind="article", now=NOW + H, next_due=NOW + 2 * H) is False
    row = state.get_state(db, url)
    assert (row["state"], row["etag"], row["status"], row["fetches"]) == ("ok", '"e1"', 200, 2)
    assert (row["last_changed"], row["next_due"]) == ("2026-11-20T10:00:00Z", "2026-11-20T12:00:00Z")
    assert state.due(db, site="tdi", now=NOW + H) == []
    assert [r["url"] for r in state.due(db, site="tdi", now=NOW + 2 * H)] == [url]
    state.record_not_modified(db, url, now=NOW + 2 * H, next_due=NOW + 8 * H)
    row = state.get_state(db, url)
    assert (row["status"], row["etag"], row["next_due"]) == (304, '"e1"', "2026-11-20T18:00:00Z")


def test_failures_back_off_and_final_answers_wait_a_month(db: sqlite_utils.Database) -> None:
    url = f"{BASE}/broken/"
    first = state.record_failure(db, url, site="tdi", kind="article", reason="http_500", status=500, now=NOW)
    second = state.record_failure(db, url, site="tdi", kind="article", reason="timeout", status=None, now=NOW)

    assert (first, second) == (1, 2)
    row = state.get_state(db, url)
    assert (row["state"], row["error"], row["next_due"]) == ("failed", "timeout", "2026-11-20T11:00:00Z")
    state.record_outcome(db, url, site="tdi", kind="article", state=state.GONE, now=NOW, status=404)
    row = state.get_state(db, url)
    assert (row["state"], row["failures"], row["next_due"]) == ("gone", 0, "2026-12-20T10:00:00Z")
    with pytest.raises(ValueError, match="not a final state"):
        state.record_outcome(db, url, site="tdi", kind="article", state=state.OK, now=NOW)


def test_listing_pages_are_due_only_until_fetched(db: sqlite_utils.Database) -> None:
    page = f"{BASE}/category/news/page/2/"
    _discover(db, page, source="pagination", kind="listing", section=f"{BASE}/category/news/", page=2)
    assert [r["url"] for r in state.due(db, site="tdi", now=NOW)] == [page]
    state.record_ok(
        db, state.Fetch(page, 200, content_hash="x"), site="tdi", kind="listing", now=NOW, next_due=NOW
    )

    assert state.due(db, site="tdi", now=NOW + 100 * H) == []
    assert state.due(db, site="other", now=NOW) == []


def test_known_sections_in_the_order_first_found(db: sqlite_utils.Database) -> None:
    for url in (f"{BASE}/category/news/", f"{BASE}/category/analysis/"):
        _discover(db, url, source="nav", kind="listing", found_on=f"{BASE}/")
    _discover(db, f"{BASE}/category/news/", source="nav", kind="listing", found_on=f"{BASE}/", now=NOW + H)

    assert state.known_sections(db, "tdi") == [f"{BASE}/category/news/", f"{BASE}/category/analysis/"]
    assert state.known_sections(db, "other") == []


def test_vanished_lists_what_a_sitemap_no_longer_lists(db: sqlite_utils.Database) -> None:
    sitemap = f"{BASE}/post-sitemap.xml"
    for url in (f"{BASE}/a/", f"{BASE}/b/", f"{BASE}/c/"):
        _discover(db, url, source="sitemap", found_on=sitemap)
        state.record_ok(db, state.Fetch(url, 200), site="tdi", kind="article", now=NOW, next_due=None)
    _discover(db, f"{BASE}/a/", source="sitemap", found_on=sitemap, now=NOW + H)
    _discover(db, f"{BASE}/c/", source="sitemap", found_on=f"{BASE}/post-sitemap2.xml", now=NOW + H)

    assert state.vanished(db, source="sitemap", found_on=sitemap, before=NOW + H) == [f"{BASE}/b/"]


def test_a_batch_commits_every_n_units_and_after_max_seconds(db: sqlite_utils.Database) -> None:
    clock = [0.0]
    batch = WriteBatch(db, max_units=3, max_seconds=60, clock=lambda: clock[0])

    def insert(spider: str, weight: int = 1) -> None:
        with batch.unit(weight) as unit:
            unit.execute("INSERT INTO crawls (spider, started) VALUES (?, 'x')", [spider])

    insert("a")
    insert("b")
    assert db.conn.in_transaction and batch.commits == 0
    insert("c")
    assert batch.commits == 1 and not db.conn.in_transaction
    insert("d", weight=0)
    clock[0] = 30.0
    insert("e", weight=0)
    assert batch.commits == 1
    clock[0] = 61.0
    insert("f", weight=0)
    assert batch.commits == 2
    with pytest.raises(RuntimeError), batch.unit() as unit:
        unit.execute("INSERT INTO crawls (spider, started) VALUES ('failed', 'x')")
        raise RuntimeError("boom")
    insert("g")
    batch.commit()
    spiders = [row["spider"] for row in db.query("SELECT spider FROM crawls WHERE started = 'x' ORDER BY id")]
    assert spiders == ["a", "b", "c", "d", "e", "f", "g"]


def test_coverage_lists_sitemap_urls_the_archive_lacks(
    db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    stored, missing, failed = f"{BASE}/stored/", f"{BASE}/missing/", f"{BASE}/failed/"
    for url in (stored, missing, failed):
        _discover(
            db, url, source="sitemap", found_on=f"{BASE}/post-sitemap.xml", lastmod="2026-01-01T00:00:00Z"
        )
    _discover(db, stored, source="listing")
    _discover(db, f"{BASE}/listing-only/", source="listing")
    state.record_failure(db, failed, site="tdi", kind="article", reason="http_503", status=503, now=NOW)
    upsert_article(db, make_record(url=stored, url_raw=stored))
    upsert_article(db, make_record(url=f"{BASE}/listing-only/", url_raw=f"{BASE}/listing-only/"))

    report = coverage(db, "tdi")

    assert report.articles == 2
    assert report.sources["sitemap"] == {"urls": 3, "archived": 1, "first": 3}
    assert report.sources["listing"] == {"urls": 2, "archived": 2, "first": 1}
    assert [(r["url"], r["state"], r["error"]) for r in report.missing] == [
        (failed, "failed", "http_503"),
        (missing, "pending", None),
    ]
    assert report.not_in_sitemaps == [f"{BASE}/listing-only/"]
    assert coverage(db).to_dict()["missing"] == report.to_dict()["missing"]
