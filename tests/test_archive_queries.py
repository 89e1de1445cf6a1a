"""Reading the archive: counts, single articles, sections, newest, full-text search, crawls."""

from __future__ import annotations

import pytest

from archive import ArchiveError, open_archive, queries, store
from archive.errors import SearchQueryError

BASE = "https://thediplomaticinsight.com"


@pytest.fixture
def filled(fresh_db, make_record):
    """Three articles in two sections (one without a section), published at different offsets."""
    records = [
        make_record(),
        make_record(
            url=f"{BASE}/pakistan-china-talks/",
            url_raw=f"{BASE}/pakistan-china-talks/",
            title="Pakistan and China hold talks",
            body_text="Islamabad hosted an Indo-Pacific dialogue. Pakistan's minister spoke on trade, trade",
            section_path=["News", "Pakistan"],
            section="Pakistan",
            published="2021-10-05T22:00:00+00:00",
            authors=[{"name": "TDI", "url": f"{BASE}/author/tdi/"}],
        ),
        make_record(
            url=f"{BASE}/undated-note/",
            title="An undated note",
            body_text="A short note about trade.",
            section_path=[],
            section=None,
            published=None,
        ),
    ]
    for record in records:
        store.upsert_article(fresh_db, record)
    return fresh_db


def test_count_articles(fresh_db, filled):
    assert queries.count_articles(filled) == 3


def test_count_articles_empty(fresh_db):
    assert queries.count_articles(fresh_db) == 0


def test_get_article_by_id_url_and_raw_url(filled, make_record):
    url = make_record()["url"]
    by_url = queries.get_article(filled, url)
    assert by_url is not None
    assert by_url["title"] == "ICAFT Conference of OAS led by Mexico"
    assert queries.get_article(filled, by_url["id"])["url"] == url
    assert queries.get_article(filled, str(by_url["id"]))["url"] == url
    assert queries.get_article(filled, make_record()["url_raw"])["id"] == by_url["id"]
    assert queries.get_article(filled, url.rstrip("/"))["id"] == by_url["id"]


def test_get_article_missing(filled):
    assert queries.get_article(filled, 999) is None
    assert queries.get_article(filled, "https://nowhere.example/") is None


def test_get_article_has_child_lists(filled):
    article = queries.get_article(filled, f"{BASE}/undated-note/")
    assert isinstance(article["authors"], list)
    assert article["section_path"] == []
    assert {"authors", "categories", "tags", "images"} <= set(article)


def test_articles_per_section_most_first(filled, make_record):
    store.upsert_article(filled, make_record(url=f"{BASE}/another/", title="Another"))
    assert queries.articles_per_section(filled) == [("Diplomatic News", 2), ("(none)", 1), ("Pakistan", 1)]


def test_newest_sorts_by_utc_across_offsets(filled):
    rows = queries.newest(filled, limit=5)
    # 2021-10-05T22:00:00+00:00 is later than 2021-10-06T02:14:32+05:00 (= 21:14:32Z)
    assert [row["title"] for row in rows] == [
        "Pakistan and China hold talks",
        "ICAFT Conference of OAS led by Mexico",
        "An undated note",
    ]
    assert rows[0]["authors"] == ["TDI"]
    assert rows[0]["published_utc"] == "2021-10-05T22:00:00Z"
    assert len(queries.newest(filled, limit=1)) == 1


def test_search_finds_and_highlights(filled):
    hits = queries.search(filled, "terrorism")
    assert [hit["title"] for hit in hits] == ["ICAFT Conference of OAS led by Mexico"]
    assert "[terrorism]" in hits[0]["snippet"]
    assert "rank" in hits[0]


def test_search_rank_order(filled):
    hits = queries.search(filled, "trade")
    assert [hit["title"] for hit in hits] == ["Pakistan and China hold talks", "An undated note"]
    assert hits[0]["rank"] <= hits[1]["rank"]
    assert len(queries.search(filled, "trade", limit=1)) == 1


def test_search_sees_updates_and_forgets_old_text(filled, make_record):
    assert queries.search(filled, "terrorism")
    store.upsert_article(filled, make_record(body_text="The committee adopted a maritime resolution."))
    assert queries.search(filled, "terrorism") == []
    hits = queries.search(filled, "maritime")
    assert [hit["url"] for hit in hits] == [make_record()["url"]]


def test_search_fts_syntax(filled):
    assert [hit["title"] for hit in queries.search(filled, '"hold talks"')] == [
        "Pakistan and China hold talks"
    ]
    assert len(queries.search(filled, "trad*")) == 2
    assert [hit["title"] for hit in queries.search(filled, "trade NOT islamabad")] == ["An undated note"]


@pytest.mark.parametrize(
    ("query", "found"),
    [("Indo-Pacific", 1), ("Pakistan's", 1), ("dialogue, minister", 1), ("islamabad AND", 1), ("NOT", 0)],
)
def test_search_plain_words_always_work(filled, query, found):
    hits = queries.search(filled, query)
    assert [hit["title"] for hit in hits] == ["Pakistan and China hold talks"][:found]


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(", "title:", "(trade"])
def test_search_bad_syntax_is_a_clear_error(filled, query):
    with pytest.raises(SearchQueryError) as info:
        queries.search(filled, query)
    message = str(info.value)
    assert message.startswith("invalid full-text query")
    assert query in message
    assert "\n" not in message
    assert isinstance(info.value, ArchiveError)


def test_search_empty_query(filled):
    with pytest.raises(ArchiveError, match="empty"):
        queries.search(filled, "   ")


def test_last_crawls_newest_first_with_decoded_json(fresh_db):
    first = store.start_crawl(fresh_db, spider="tdi", site="tdi", args={"limit": 5})
    store.finish_crawl(fresh_db, first, status="finished", stats={"item_scraped_count": 7})
    second = store.start_crawl(fresh_db, spider="tdi", site="tdi")
    crawls = queries.last_crawls(fresh_db)
    assert [crawl["id"] for crawl in crawls] == [second, first]
    assert crawls[0]["status"] == "running"
    assert crawls[1]["stats"] == {"item_scraped_count": 7}
    assert crawls[1]["args"] == {"limit": 5}
    assert len(queries.last_crawls(fresh_db, limit=1)) == 1


def test_queries_work_on_a_readonly_archive(filled, db_path):
    filled.close()
    db = open_archive(db_path, readonly=True)
    try:
        assert queries.count_articles(db) == 3
        assert queries.search(db, "Indo-Pacific")
        assert queries.get_article(db, 1) is not None
        assert queries.newest(db)
    finally:
        db.close()
