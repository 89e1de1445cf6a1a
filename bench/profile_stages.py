"""Where the time of a crawl goes, per stage, from a cProfile run of a crawl of the generated site.

``python -m bench.profile_stages`` crawls the generated site (:mod:`bench.largesite`, 2000 articles
by default) in this process under cProfile, the replay server running as its own process, and
splits the profiled time into stages:

* parse: HTML to an lxml tree (``crawler.pages.dom.parse_html``), article and listing pages;
* extraction: the page modules (``crawler/pages``, ``crawler/generic``): fields, listing and menu
  links, parsing excluded;
* cleaning: boilerplate removal (``crawler/cleaning.py``), its re-parse of the body included;
* date parsing: ``crawler/dates.py``;
* SQLite write: the archive (``archive/``) and the crawl's archive session (``crawler/session.py``:
  articles, versions, URL state, commits), SQLite itself included;
* WARC capture: ``crawler/capture.py``, ``crawler/warc.py``;
* spider, middlewares, other pipelines: the rest of ``crawler/``;
* waiting for I/O: the event loop's ``epoll`` wait;
* download and Scrapy engine: everything else (Twisted HTTP client, decompression, Scrapy's
  scheduler, engine, middlewares, signals, stats).

Each stage counts the library code it calls (lxml, SQLite, dateparser...), not the stages it calls.
The crawl runs with ``NEWSARCHIVE_EXTRACT_PROCESSES=0`` (everything in this process, so that every
stage is profiled; a real crawl parses, extracts and cleans in worker processes) unless ``-s`` says
otherwise.

cProfile slows Python code down more than C code (lxml, SQLite), so the shares are indicative;
``--output FILE`` keeps the raw profile for ``python -m pstats FILE``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.crawl import ServerProcess, replay_settings
from bench.largesite import DEFAULT_CACHE, SiteSpec, ensure_site
from bench.report import Table, emit

Key = tuple[str, int, str]

PARSE = "parse"
EXTRACTION = "extraction"
CLEANING = "cleaning"
DATES = "date parsing"
SQLITE = "SQLite write"
WARC = "WARC capture"
SPIDER = "spider, middlewares, other pipelines"
IDLE = "waiting for I/O (epoll)"
REST = "download and Scrapy engine (rest)"
ORDER = (REST, PARSE, EXTRACTION, CLEANING, DATES, SQLITE, WARC, SPIDER)

#: (path pattern, function names or None for any) -> stage; the first matching rule wins. The code
#: that starts the crawl is no stage: Scrapy's engine runs inside it.
RULES: tuple[tuple[re.Pattern[str], frozenset[str] | None, str | None], ...] = (
    (re.compile(r"crawler/(run|cli)\.py$"), None, None),
    (re.compile(r"crawler/pages/dom\.py$"), frozenset({"parse_html", "decode_html"}), PARSE),
    (
        re.compile(r"crawler/(pages|generic)/[^/]+\.py$|crawler/(extract|selectors|detect)\.py$"),
        None,
        EXTRACTION,
    ),
    (re.compile(r"crawler/cleaning\.py$"), None, CLEANING),
    (re.compile(r"crawler/dates\.py$"), None, DATES),
    (re.compile(r"crawler/items\.py$"), frozenset({"to_record"}), SQLITE),
    (re.compile(r"archive/[^/]+\.py$|crawler/session\.py$"), None, SQLITE),
    (re.compile(r"crawler/(capture|warc)\.py$"), None, WARC),
    (re.compile(r"crawler/.+\.py$"), None, SPIDER),
)


@dataclass
class StageProfile:
    """Seconds per stage of one profiled crawl."""

    seconds: dict[str, float]
    total: float
    articles: int
    pages: int
    wall: float


def stage_of(key: Key) -> str | None:
    """The stage of the profiled function ``key`` (``(file, line, name)``), None for library code."""
    path = key[0].replace("\\", "/")
    if "site-packages" in path:
        return None
    for pattern, names, stage in RULES:
        if pattern.search(path) and (names is None or key[2] in names):
            return stage
    return None


def stage_seconds(stats: pstats.Stats) -> tuple[dict[str, float], float]:
    """Seconds per stage and the total profiled seconds.

    A stage's time is the cumulative time of the calls into its functions from outside the stage,
    minus the cumulative time of the calls its functions make into other stages (the profile's call
    edges); library code called by a stage counts as the stage's. The rest is Scrapy and Twisted.
    """
    raw: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    stages = {key: stage_of(key) for key in raw}
    seconds = dict.fromkeys(ORDER[1:], 0.0)
    for key, entry in raw.items():
        stage = stages[key]
        if stage is None:
            continue
        if not entry[4]:  # called from where profiling started
            seconds[stage] += entry[3]
        for caller, edge in entry[4].items():
            caller_stage = stages.get(caller)
            if caller_stage == stage:
                continue
            seconds[stage] += edge[3]  # entered from outside the stage
            if caller_stage is not None:
                seconds[caller_stage] -= edge[3]  # nested in the caller's stage
    total = sum(entry[2] for entry in raw.values())
    seconds[IDLE] = sum(entry[2] for key, entry in raw.items() if key[0] == "~" and "epoll" in key[2])
    seconds = {stage: max(0.0, value) for stage, value in seconds.items()}
    seconds[REST] = max(0.0, total - sum(seconds.values()))
    return seconds, total


def profile_crawl(
    spec: SiteSpec,
    cache_dir: Path,
    output: Path | None = None,
    extra: dict[str, str] | None = None,
) -> StageProfile:
    """Crawl the generated site of ``spec`` under cProfile (``extra``: more crawl settings)."""
    from crawler.run import run_crawl

    site = ensure_site(spec, cache_dir)
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp, ServerProcess(site.sites_dir) as server:
        settings = {**replay_settings(), "NEWSARCHIVE_REPLAY_PROXY": server.url, "LOG_LEVEL": "WARNING"}
        settings["NEWSARCHIVE_EXTRACT_PROCESSES"] = 0  # every stage in this (profiled) process
        settings.update(extra or {})
        started = time.perf_counter()
        profiler.enable()
        result = run_crawl("tdi", db=Path(tmp) / "profile.db", settings=settings)
        profiler.disable()
        wall = time.perf_counter() - started
    if output is not None:
        profiler.dump_stats(str(output))
    seconds, total = stage_seconds(pstats.Stats(profiler))
    return StageProfile(
        seconds=seconds,
        total=total,
        articles=int(result.stats.get("newsarchive/archive/new", 0)),
        pages=int(result.stats.get("response_received_count", 0)),
        wall=wall,
    )


def stages_table(profile: StageProfile) -> Table:
    table = Table(
        f"Where the time goes: profiled crawl of {profile.articles:,} articles ({profile.pages:,} pages)",
        ["stage", "seconds", "share of busy time", "ms per article"],
    )
    busy = profile.total - profile.seconds.get(IDLE, 0.0)
    for stage in ORDER:
        value = profile.seconds.get(stage, 0.0)
        table.add(stage, value, f"{value / busy * 100:.1f}%" if busy else None, _per(value, profile.articles))
    table.add("total busy", busy, "100%", _per(busy, profile.articles))
    idle = profile.seconds.get(IDLE, 0.0)
    table.add(IDLE, idle, None, _per(idle, profile.articles))
    table.notes.append(
        f"Profiled wall time {profile.wall:.1f} s (cProfile slows Python code, not lxml or SQLite: "
        "shares are indicative). The replay server ran as its own process."
    )
    return table


def _per(seconds: float, articles: int) -> float | None:
    return seconds / articles * 1000 if articles else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_stages", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--articles", type=int, default=2000, help="size of the generated site (default 2000)"
    )
    parser.add_argument("--sections", type=int, default=50)
    parser.add_argument("--per-page", type=int, default=10)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--output", type=Path, help="also write the raw profile here (pstats format)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra crawl setting (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    extra = dict(pair.split("=", 1) for pair in args.settings)
    spec = SiteSpec(args.articles, args.sections, args.per_page)
    profile = profile_crawl(spec, args.cache_dir, args.output, extra)
    emit(stages_table(profile), header="Crawl profile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
