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
#: Worker processes that parse pages and extract articles beside the crawl process: ``"auto"`` is one
#: per CPU beyond the first (none on a one-CPU machine), ``0`` extracts in the crawl process.
NEWSARCHIVE_EXTRACT_PROCESSES = "auto"

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

# --- distributed crawling (``newsarchive crawl SITE --redis URL``) --------------------------------
#: Redis URL (``redis://HOST:PORT/DB``) of a distributed crawl; set by ``newsarchive crawl --redis``.
NEWSARCHIVE_REDIS_URL = ""
#: Id of this worker in a distributed crawl; empty means ``<host>-<pid>``.
NEWSARCHIVE_WORKER_ID = ""
#: Seconds without a heartbeat after which a worker counts as stopped and its requests go to others.
NEWSARCHIVE_REDIS_WORKER_TIMEOUT = 30.0
#: Apply CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY to all workers together (slots in Redis).
NEWSARCHIVE_REDIS_POLITENESS = True

# --- incremental recrawls, raw capture, fault tolerance (crawler/session.py) ----------------------
#: Crawl incrementally: only new, failed or due URLs, listings only while they show something new
#: (False: walk every section to its last page and fetch every article, without reading URL state).
NEWSARCHIVE_INCREMENTAL = True
#: Send If-None-Match / If-Modified-Since from the archive's URL state; a 304 is an unchanged visit.
NEWSARCHIVE_CONDITIONAL = True
#: When an archived article is fetched again, by its age: ``AGE=INTERVAL`` steps, ``*`` for older.
NEWSARCHIVE_RECRAWL_SCHEDULE = "6h=1h, 24h=6h, 7d=24h, 30d=7d, *=30d"
#: Read the site profile's sitemaps every crawl, to find new and updated articles.
NEWSARCHIVE_SITEMAPS = True
#: Read the site profile's RSS/Atom feeds every crawl, to find new articles.
NEWSARCHIVE_FEEDS = True
#: Seconds at most between two commits of the archive during a crawl.
NEWSARCHIVE_COMMIT_INTERVAL = 10.0
#: Write every response, with its request, to WARC files beside the archive.
NEWSARCHIVE_WARC = True
#: Directory of the WARC files; empty means ``<archive stem>-warc/`` beside the archive.
NEWSARCHIVE_WARC_DIR = ""
#: Bytes after which a WARC file is closed and the next one started.
NEWSARCHIVE_WARC_MAX_SIZE = 1024**3
#: Longest Retry-After (seconds) waited for; a URL asking for more fails and is retried next run.
NEWSARCHIVE_RETRY_AFTER_MAX = 300.0
#: Seconds between two progress lines in the log (0: no progress lines).
NEWSARCHIVE_PROGRESS_INTERVAL = 60.0
#: The time the crawl takes as now (ISO 8601 in UTC), for simulations and tests; empty: the clock.
NEWSARCHIVE_NOW = ""
DOWNLOADER_MIDDLEWARES = {
    **DOWNLOADER_MIDDLEWARES,
    "crawler.incremental.ConditionalRequestMiddleware": 530,
    "crawler.faulttolerance.RetryAfterMiddleware": 560,
    "crawler.faulttolerance.ContentTypeMiddleware": 585,
    "crawler.capture.CaptureMiddleware": 950,
    # Scrapy's meta refresh redirects, reading only the start of each page (same answers).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshMiddleware": 580,
}
EXTENSIONS = {**EXTENSIONS, "crawler.progress.CrawlProgress": 0}

# --- throughput -----------------------------------------------------------------------------------
#: Items and requests of one response processed at a time. The item pipelines are synchronous, so
#: more buys nothing; Scrapy's default (100) starts 100 event-loop tasks for every response.
CONCURRENT_ITEMS = 1
