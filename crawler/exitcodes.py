"""Exit codes of ``newsarchive crawl`` (and of :func:`crawler.run.run_crawl`), for schedulers.

====  =========  ==========================================================================
code  name       meaning
====  =========  ==========================================================================
0     OK         the crawl finished; every URL it tried was stored, unchanged, gone or skipped
1     PARTIAL    the crawl ran, but some URLs failed (or it was stopped early); everything else
                 was stored, and the next run retries the failed URLs
2     USAGE      bad arguments or configuration (unknown site, bad setting, not an archive)
3     LOCKED     another run holds the archive: this one did nothing
4     FAILED     nothing or almost nothing could be done: the start page was unreachable
====  =========  ==========================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

OK, PARTIAL, USAGE, LOCKED, FAILED = 0, 1, 2, 3, 4
NAMES = {OK: "ok", PARTIAL: "partial", USAGE: "usage error", LOCKED: "locked", FAILED: "failed"}
STATS = "newsarchive/crawl"


def exit_code(stats: Mapping[str, Any], finish_reason: str) -> int:
    """The exit code of a crawl from its stats and finish reason."""
    if finish_reason == "locked":
        return LOCKED
    code = stats.get(f"{STATS}/exit_code")
    if isinstance(code, int):
        return code
    return OK if finish_reason == "finished" else FAILED


def decide(*, finish_reason: str, start_failed: bool, pages_ok: int, failed: int) -> int:
    """The exit code of a crawl that ran: FAILED, PARTIAL or OK."""
    if finish_reason == "locked":
        return LOCKED
    if start_failed or pages_ok == 0:
        return FAILED
    if failed or finish_reason != "finished":
        return PARTIAL
    return OK


def _count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return value if isinstance(value, int) else 0


def summary_line(site: str, stats: Mapping[str, Any], code: int) -> str:
    """One line summing a crawl up: outcome, requests, articles new/changed/unchanged, failures, time."""
    elapsed = stats.get("elapsed_time_seconds")
    if not isinstance(elapsed, (int, float)):
        elapsed = stats.get(f"{STATS}/elapsed_seconds", 0) or 0
    unchanged = _count(stats, "newsarchive/archive/unchanged") + _count(
        stats, "newsarchive/fetch/not_modified_articles"
    )
    parts = [
        f"{_count(stats, 'downloader/request_count')} requests",
        f"{_count(stats, 'newsarchive/archive/new')} new",
        f"{_count(stats, 'newsarchive/archive/updated')} changed",
        f"{unchanged} unchanged",
        f"{_count(stats, 'newsarchive/archive/removed')} removed",
        f"{_count(stats, 'newsarchive/fetch/failed')} failed",
    ]
    outcome = f"{NAMES.get(code, code)} (exit {code})"
    return f"newsarchive crawl {site}: {outcome}: {', '.join(parts)} in {elapsed:.0f}s"
