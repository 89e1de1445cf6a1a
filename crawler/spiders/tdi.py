"""The Diplomatic Insight (thediplomaticinsight.com): ``scrapy crawl tdi``."""

from __future__ import annotations

from crawler.sites import get_profile
from crawler.spiders.newspaper import NewspaperSpider


class TdiSpider(NewspaperSpider):
    """Crawl The Diplomatic Insight through its nav menu, sections and pagination."""

    name = "tdi"
    profile = get_profile("tdi")
