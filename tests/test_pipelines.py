"""Each item pipeline alone, built from a crawler with the project settings."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from archive import open_archive
from crawler import settings as project
from crawler.extraction_pool import ExtractionPool
from crawler.items import Article, Author
from crawler.pipelines import ArchivePipeline, BoilerplatePipeline, DatesPipeline, ValidationPipeline
from crawler.spiders.tdi import TdiSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

ROOT = Path(__file__).resolve().parent.parent
URL = "http://thediplomaticinsight.com/an-article/"
CONTENT = (
    '<div class="tdb-block-inner td-fix-index">'
    '<div class="td-a-ad id_top_ad"><span class="td-adspot-title">- Advertisement -</span></div>'
    "<p>Islamabad, 12 March 2022 (TDI): The Foreign Office briefed envoys on the summit.</p>"
    '<div class="td_block_wrap tdb_single_post_share"><a href="https://facebook.com/x">Share</a></div>'
    "<p>The briefing ended with questions.</p></div>"
)


def _crawler(tmp_path: Path, **settings: object) -> Crawler:
    merged = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    merged.update({"NEWSARCHIVE_DB": str(tmp_path / "a.db"), **settings})
    crawler = get_crawler(TdiSpider, merged)
    crawler.spider = crawler._create_spider()
    return crawler


def _article(**fields: object) -> Article:
    defaults: dict[str, object] = {
        "url": URL,
        "url_raw": URL,
        "site": "tdi",
        "fetched_at": "2026-11-20T10:00:00+00:00",
        "title": "Foreign Office briefs envoys",
        "authors": [
            Author(name="Daniyal Ahmed", url="http://thediplomaticinsight.com/author/daniyal-ahmed/")
        ],
        "published_raw": "2022-03-12T06:30:00+00:00",
        "published_source": "meta:article:published_time",
        "section_path": ["News", "Diplomatic News"],
        "content_html": CONTENT,
        "site_timezone": "Asia/Karachi",
    }
    defaults.update(fields)
    return Article(**defaults)  # type: ignore[arg-type]


def _clean(crawler: Crawler, item: Article) -> Article:
    """The boilerplate pipeline's output for ``item`` (its ``process_item`` is a coroutine)."""
    return asyncio.run(BoilerplatePipeline.from_crawler(crawler).process_item(item))


@pytest.mark.parametrize("processes", [0, 1])
def test_boilerplate_pipeline_cleans_and_counts(tmp_path: Path, processes: int) -> None:
    crawler = _crawler(tmp_path, NEWSARCHIVE_EXTRACT_PROCESSES=processes)
    try:
        item = _clean(crawler, _article())
    finally:
        ExtractionPool.of(crawler).close()
    assert item.body_text == (
        "Islamabad, 12 March 2022 (TDI): The Foreign Office briefed envoys on the summit.\n\n"
        "The briefing ended with questions."
    )
    assert "Advertisement" not in item.body_html
    assert item.stripped.get("ad", 0) >= 1
    assert item.stripped.get("share", 0) == 1
    assert crawler.stats.get_value("newsarchive/boilerplate/share") == 1


def test_dates_pipeline_normalises_to_site_offset_and_counts_flags(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    pipeline = DatesPipeline.from_crawler(crawler)
    item = pipeline.process_item(_article())
    assert item.published == "2022-03-12T11:30:00+05:00"
    future = pipeline.process_item(_article(published_raw="2031-01-01T00:00:00+00:00"))
    assert "published_in_future" in future.flags
    assert crawler.stats.get_value("newsarchive/dates/published_in_future") == 1
    naive = pipeline.process_item(_article(published_raw="2022-03-12 11:30"))
    assert naive.published == "2022-03-12T11:30:00+05:00"
    assert "published_tz_assumed" in naive.flags


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"page_type": "page"}, "not_article_page"),
        ({"page_type": "attachment"}, "not_article_attachment"),
        ({"title": None}, "missing_title"),
        ({"body_text": "   "}, "missing_body"),
    ],
)
def test_validation_drops_with_counted_reason(tmp_path: Path, fields: dict, reason: str) -> None:
    crawler = _crawler(tmp_path)
    item = _article(body_text="Some text.", **{k: v for k, v in fields.items() if k != "body_text"})
    if "body_text" in fields:
        item.body_text = fields["body_text"]
    with pytest.raises(DropItem, match=reason):
        ValidationPipeline.from_crawler(crawler).process_item(item)
    assert crawler.stats.get_value(f"newsarchive/validation/dropped/{reason}") == 1


def test_validation_passes_a_complete_article(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    item = _article(body_text="Some text.")
    assert ValidationPipeline.from_crawler(crawler).process_item(item) is item
    assert crawler.stats.get_value("newsarchive/validation/passed") == 1


def test_archive_pipeline_stores_and_records_the_crawl(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path, NEWSARCHIVE_BATCH_SIZE=2, NEWSARCHIVE_EXTRACT_PROCESSES=0)
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = DatesPipeline.from_crawler(crawler).process_item(_clean(crawler, _article()))
    pipeline.process_item(item)
    pipeline.process_item(item)
    pipeline.close_spider()
    pipeline._spider_closed("finished")
    db = open_archive(tmp_path / "a.db", readonly=True)
    rows = list(db.query("select url, section, published from articles"))
    assert rows == [{"url": URL, "section": "Diplomatic News", "published": "2022-03-12T11:30:00+05:00"}]
    crawl = next(db.query("select status, stats, finished from crawls"))
    assert crawl["status"] == "finished"
    assert crawl["finished"]
    assert json.loads(crawl["stats"])["newsarchive/archive/new"] == 1
    assert crawler.stats.get_value("newsarchive/archive/unchanged") == 1


def test_every_newsarchive_setting_is_documented() -> None:
    source = (ROOT / "crawler" / "settings.py").read_text()
    doc = (ROOT / "docs" / "settings.md").read_text()
    names = re.findall(r"^(NEWSARCHIVE_[A-Z0-9_]+)\s*=", source, flags=re.M)
    assert names
    for name in names:
        assert f"`{name}`" in doc, name
        assert re.search(rf"#:.*\n{name}\s*=", source), f"{name} has no doc comment in settings.py"
