"""Scrapy extensions of newsarchive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.offline import use_bundled_suffix_list

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from typing_extensions import Self


class OfflinePublicSuffixList:
    """Make tldextract (used by Scrapy's cookie handling) use its bundled Public Suffix List.

    Without it, the first cookie seen makes tldextract download the list: offline, that prints
    tracebacks and retries. Enabled by ``NEWSARCHIVE_OFFLINE_PSL`` (default ``True``).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_OFFLINE_PSL"):
            raise NotConfigured("NEWSARCHIVE_OFFLINE_PSL is off")
        use_bundled_suffix_list()
        return cls()
