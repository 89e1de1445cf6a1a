"""Run a crawl in this process: the library behind ``newsarchive crawl`` and ``newsarchive demo``."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Settings applied when the crawl is replayed from a saved copy on this machine: politeness delays
#: protect real sites, a replay server on loopback does not need them.
REPLAY_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


@dataclass
class CrawlResult:
    """What a finished crawl reports."""

    finish_reason: str
    stats: dict[str, Any] = field(default_factory=dict)
    replay_log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished"

    @property
    def exit_code(self) -> int:
        """The exit code of ``newsarchive crawl`` for this crawl (see :mod:`crawler.exitcodes`)."""
        from crawler.exitcodes import exit_code

        return exit_code(self.stats, self.finish_reason)


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    """The project's Scrapy settings (``crawler.settings``) with ``overrides`` on top."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return settings


def default_sites_dir() -> Path:
    """The saved sites bundled with the source tree (``fixtures/sites``)."""
    return Path(__file__).resolve().parent.parent / "fixtures" / "sites"


def run_crawl(
    spider: str,
    *,
    db: str | Path,
    replay_dir: str | Path | None = None,
    spider_args: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    replay_log_path: str | Path | None = None,
    replay_faults: str | None = None,
) -> CrawlResult:
    """Crawl with ``spider`` into the archive at ``db``; with ``replay_dir``, from a saved copy.

    The archive is locked for the crawl: when another run holds it, nothing is crawled and the result's
    ``finish_reason`` is ``"locked"`` (exit code 3). ``replay_faults`` (with ``replay_dir``) makes the
    saved copy misbehave (see :class:`crawler.replay.faults.FaultSpec`).

    Runs Scrapy's reactor in this process, so it can be called once per process.
    """
    from scrapy.crawler import CrawlerProcess

    from crawler import lock

    overrides: dict[str, Any] = {"NEWSARCHIVE_DB": str(db)}
    with ExitStack() as stack:
        try:
            stack.enter_context(lock.hold(db))
        except lock.ArchiveLockedError as error:
            logger.error("%s", error)
            return CrawlResult(finish_reason="locked", stats={"newsarchive/crawl/locked": str(error)})
        server = None
        if replay_dir is not None:
            from crawler.replay import ReplayServer

            server = stack.enter_context(ReplayServer(replay_dir, port=0, log_path=replay_log_path))
            if replay_faults:
                from crawler.replay.faults import FaultInjector, FaultSpec

                FaultInjector(FaultSpec.parse(replay_faults)).install(server)
            overrides.update(REPLAY_SETTINGS)
            overrides["NEWSARCHIVE_REPLAY_PROXY"] = server.proxy_url
        overrides.update(settings or {})
        process = CrawlerProcess(project_settings(overrides))
        crawler = process.create_crawler(spider)
        process.crawl(crawler, **(spider_args or {}))
        process.start()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        reason = str(stats.get("finish_reason", "unknown"))
        log = [dict(r) if isinstance(r, dict) else vars(r) for r in server.requests] if server else []
    return CrawlResult(finish_reason=reason, stats=stats, replay_log=log)
