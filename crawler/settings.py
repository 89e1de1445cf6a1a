"""Scrapy settings of the newsarchive project.

Every setting of our own is prefixed ``NEWSARCHIVE_``, has its default here and a line in
``docs/settings.md``. Scrapy's own settings: https://docs.scrapy.org/en/latest/topics/settings.html
"""

from __future__ import annotations

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- newsarchive --------------------------------------------------------------------------------
#: Path of the SQLite archive the crawl writes to.
NEWSARCHIVE_DB = "archive.db"
#: A URL where site owners can reach whoever runs the crawl; it is sent in the User-Agent.
NEWSARCHIVE_CONTACT_URL = "https://github.com/newsarchive/newsarchive"
#: HTTP proxy URL of a replay server (``newsarchive replay-server``); every request goes through it.
NEWSARCHIVE_REPLAY_PROXY = None
#: Use the Public Suffix List bundled with tldextract instead of downloading it on first use.
NEWSARCHIVE_OFFLINE_PSL = True
#: Timezone assumed for dates without an offset; empty means the site profile's timezone.
NEWSARCHIVE_SITE_TIMEZONE = ""
#: Items written per SQLite transaction by the archive pipeline.
NEWSARCHIVE_BATCH_SIZE = 50

# --- politeness -----------------------------------------------------------------------------------
USER_AGENT = f"newsarchive/{__version__} (+{NEWSARCHIVE_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024

# --- components -----------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ReplayProxyMiddleware": 740,
}
EXTENSIONS = {
    "crawler.extensions.OfflinePublicSuffixList": 0,
    "scrapy.extensions.telnet.TelnetConsole": None,
}
ITEM_PIPELINES = {
    "crawler.pipelines.BoilerplatePipeline": 100,
    "crawler.pipelines.DatesPipeline": 200,
    "crawler.pipelines.ValidationPipeline": 300,
    "crawler.pipelines.ArchivePipeline": 900,
}

# --- misc -----------------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
