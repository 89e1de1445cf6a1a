"""Extraction alone on saved pages: our page module and cleaning vs trafilatura vs a bare lxml parse.

``python -m bench.extract_speed`` loads saved article pages into memory and times, on the same
pages in the same run:

* newsarchive: ``crawler.pages.newspaper.parse_article`` (parse, fields, content region) then
  ``crawler.cleaning.clean_article`` (boilerplate removal, body HTML and text), from the page bytes;
* newsarchive + dates: the same, then ``crawler.dates.normalise_article_dates``;
* trafilatura: ``trafilatura.extract(html, url=url)`` with its default options, from the page
  decoded to text beforehand (the decoding is not timed);
* lxml parse: ``lxml.etree.fromstring(page, lxml.etree.HTMLParser())``, the floor of any
  lxml-based extractor.

Pages (``--datasets``): ``tdi``, the article pages of the saved TDI copy (``fixtures/sites``);
``newspaper-theme``, ``fundus-dev`` and ``readability``, the evaluation pages of
``../shared/eval`` when present (real third-party pages; the last two are not Newspaper-theme sites).
Each extractor runs once over the pages to warm up, then ``--rounds`` times; the best round counts
(CPU time of the process, so that other processes do not disturb the figures).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.report import Table, emit

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SITES = ROOT / "fixtures" / "sites"
EVAL_DIR = ROOT.parent / "shared" / "eval"
DATASETS = ("tdi", "newspaper-theme", "fundus-dev", "readability")
DEFAULT_DATASETS = ("tdi", "newspaper-theme")
FETCHED_AT = "2026-11-20T10:00:00+00:00"
OURS = "newsarchive"
OURS_DATES = "newsarchive + dates"
TRAFILATURA = "trafilatura"
LXML = "lxml parse"


@dataclass(frozen=True)
class Page:
    """One saved page: its URL, bytes and text."""

    url: str
    data: bytes
    text: str


@dataclass
class Timing:
    dataset: str
    extractor: str
    pages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def ms_per_page(self) -> float:
        return self.seconds / self.pages * 1000 if self.pages else 0.0


def load_tdi(limit: int | None = None) -> list[Page]:
    """The article pages of the saved TDI copy, as listed by its manifest."""
    site = FIXTURE_SITES / "thediplomaticinsight.com"
    manifest = json.loads(
        (FIXTURE_SITES / "thediplomaticinsight.com.manifest.json").read_text(encoding="utf-8")
    )
    pages = []
    for url in manifest["articles"][:limit]:
        path = site / url.split("://", 1)[1].partition("/")[2] / "index.html"
        if path.is_file():
            data = path.read_bytes()
            pages.append(Page(url, data, data.decode("utf-8", "replace")))
    return pages


def load_eval(name: str, limit: int | None = None) -> list[Page]:
    """The pages of ``../shared/eval/<name>`` (empty when the folder is missing)."""
    folder = EVAL_DIR / name
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        return []
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for page_id, entry in list(truth.items())[:limit]:
        path = folder / (entry.get("file") or f"html/{page_id}.html.gz")
        if not path.is_file():
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        pages.append(Page(entry.get("url") or f"https://example.com/{page_id}", data, _decode(data)))
    return pages


def _decode(data: bytes) -> str:
    from crawler.pages.dom import decode_html

    return decode_html(data)


def load_pages(dataset: str, limit: int | None = None) -> list[Page]:
    return load_tdi(limit) if dataset == "tdi" else load_eval(dataset, limit)


def extractors(with_peers: bool = True) -> dict[str, Callable[[Page], object]]:
    """The contenders, by name; trafilatura only when it is installed and ``with_peers``."""
    from lxml import etree

    from crawler.cleaning import clean_article
    from crawler.dates import normalise_article_dates
    from crawler.pages.newspaper import parse_article

    def ours(page: Page) -> object:
        return clean_article(parse_article(page.data, page.url, fetched_at=FETCHED_AT))

    def ours_dates(page: Page) -> object:
        return normalise_article_dates(ours(page))

    parser = etree.HTMLParser()

    def bare_parse(page: Page) -> object:
        return etree.fromstring(page.data, parser)

    found: dict[str, Callable[[Page], object]] = {OURS: ours, OURS_DATES: ours_dates, LXML: bare_parse}
    if with_peers:
        try:
            import trafilatura
        except ImportError:
            return found

        def peer(page: Page) -> object:
            return trafilatura.extract(page.text, url=page.url)

        found[TRAFILATURA] = peer
    return found


def time_extractor(fn: Callable[[Page], object], pages: list[Page], rounds: int) -> float:
    """The best of ``rounds`` timed passes over ``pages``, after one warm-up pass, in CPU seconds.

    CPU time of this process rather than wall time, so that other processes on the machine do not
    count.
    """
    for page in pages:
        fn(page)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for page in pages:
            fn(page)
        best = min(best, time.process_time() - started)
    return best


def run(datasets: list[str], rounds: int, limit: int | None, with_peers: bool) -> list[Timing]:
    timings = []
    contenders = extractors(with_peers)
    corpus: list[Page] = []
    for dataset in datasets:
        pages = load_pages(dataset, limit)
        if not pages:
            print(f"no pages for {dataset}: skipped", file=sys.stderr)
            continue
        corpus += pages
        for name, fn in contenders.items():
            timings.append(Timing(dataset, name, len(pages), time_extractor(fn, pages, rounds)))
    if len({t.dataset for t in timings}) > 1:
        for name in contenders:
            mine = [t for t in timings if t.extractor == name]
            timings.append(Timing("all", name, sum(t.pages for t in mine), sum(t.seconds for t in mine)))
    return timings


def speed_table(timings: list[Timing]) -> Table:
    table = Table(
        "Extraction speed on saved pages (one process, one core)",
        ["pages", "extractor", "n", "pages/s", "ms/page", "x lxml parse time", "x faster than trafilatura"],
    )
    for timing in timings:
        same = {t.extractor: t for t in timings if t.dataset == timing.dataset}
        floor = same.get(LXML)
        peer = same.get(TRAFILATURA)
        table.add(
            timing.dataset,
            timing.extractor,
            timing.pages,
            timing.per_second,
            timing.ms_per_page,
            timing.seconds / floor.seconds if floor and floor.seconds else None,
            peer.seconds / timing.seconds if peer and timing.seconds else None,
        )
    table.notes.append(
        "x lxml parse time: the extractor's time over the bare parse time of the same pages (target for "
        "newsarchive: at most 3); x faster than trafilatura: trafilatura's time over the extractor's "
        "(target: at least 3)."
    )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.extract_speed", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DEFAULT_DATASETS))
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--limit", type=int, help="pages per dataset at most")
    parser.add_argument("--no-peers", action="store_true", help="skip trafilatura")
    args = parser.parse_args(argv)
    timings = run(args.datasets, args.rounds, args.limit, not args.no_peers)
    emit(speed_table(timings), header="Extraction benchmark")
    return 0


if __name__ == "__main__":
    sys.exit(main())
