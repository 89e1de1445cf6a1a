"""Exit codes a scheduler can act on, the one-line summary and the progress line."""

from __future__ import annotations

import pytest

from crawler import exitcodes
from crawler.progress import progress_line
from crawler.run import CrawlResult

STATS = {
    "downloader/request_count": 240,
    "response_received_count": 236,
    "newsarchive/archive/new": 3,
    "newsarchive/archive/updated": 2,
    "newsarchive/archive/unchanged": 10,
    "newsarchive/fetch/not_modified_articles": 5,
    "newsarchive/archive/removed": 1,
    "newsarchive/fetch/failed": 4,
    "elapsed_time_seconds": 62.4,
}


@pytest.mark.parametrize(
    ("reason", "start_failed", "pages_ok", "failed", "code"),
    [
        ("finished", False, 10, 0, exitcodes.OK),
        ("finished", False, 10, 2, exitcodes.PARTIAL),
        ("shutdown", False, 10, 0, exitcodes.PARTIAL),
        ("finished", True, 10, 0, exitcodes.FAILED),
        ("finished", False, 0, 0, exitcodes.FAILED),
        ("locked", False, 0, 0, exitcodes.LOCKED),
    ],
)
def test_decide(reason: str, start_failed: bool, pages_ok: int, failed: int, code: int) -> None:
    assert (
        exitcodes.decide(finish_reason=reason, start_failed=start_failed, pages_ok=pages_ok, failed=failed)
        == code
    )


def test_crawl_result_exit_code() -> None:
    assert CrawlResult("finished", {"newsarchive/crawl/exit_code": 1}).exit_code == exitcodes.PARTIAL
    assert CrawlResult("locked").exit_code == exitcodes.LOCKED
    assert CrawlResult("finished").exit_code == exitcodes.OK
    assert CrawlResult("unknown").exit_code == exitcodes.FAILED
    assert (exitcodes.OK, exitcodes.PARTIAL, exitcodes.USAGE, exitcodes.LOCKED, exitcodes.FAILED) == (
        0,
        1,
        2,
        3,
        4,
    )


def test_summary_line() -> None:
    assert exitcodes.summary_line("tdi", STATS, exitcodes.PARTIAL) == (
        "newsarchive crawl tdi: partial (exit 1): 240 requests, 3 new, 2 changed, 15 unchanged, 1 removed,"
        " 4 failed in 62s"
    )


def test_progress_line() -> None:
    assert progress_line(STATS, 120.0) == (
        "Progress: 236 pages (118/min), 20 articles (10/min): 3 new, 2 changed, 15 unchanged, 1 removed,"
        " 4 failed"
    )
