"""SQLite archive: articles written per second, full-text search latency, archive size per 1k articles.

``python -m bench.sqlite`` writes synthetic articles through the archive's writer
(:class:`archive.store.ArticleWriter`, the batched ``upsert_article`` of crawls) into fresh archives
at several batch sizes, builds an archive of ``--articles`` articles (default 100,000), then runs a
mix of full-text searches on it through :func:`archive.queries.search_results` (what
``newsarchive search`` runs) and prints their latency (p50, p95) by kind of query and over all
kinds, with ranking bounded to the most recently archived matches (the default) and with every match
ranked (``--exhaustive``), and the size of the archive per 1,000 articles.

Article text is drawn from a Zipf-distributed vocabulary of about 30,000 words, so that, as in real
text, a few words are in almost every article and most are rare. Queries: very common words (in
most articles), common words, rare words, two words (AND), a phrase from an article, ``a OR b``,
and a prefix (``wor*``).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.largesite import CHILD_NAMES, FIRST_NAMES, LAST_NAMES, PARENT_NAMES, WORDS
from bench.report import Table, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlite_utils import Database

    from archive.queries import SearchResults

HOST = "http://bench.example"
_SYLLABLES = (
    "ka ri to na mi su le po da ve lo sa ni ko ta ra me bu zi fa go he ju ly qu wo xe ye an el in on ur"
)
#: Syllables of the made-up words of the vocabulary.
SYLLABLES = tuple(_SYLLABLES.split())
VOCABULARY_SIZE = 30_000
#: Exponent of the Zipf law of word frequencies (about 1 in natural language).
ZIPF = 1.05
QUERY_KINDS = ("very common word", "common word", "rare word", "two words", "phrase", "a OR b", "prefix*")


class Corpus:
    """A Zipf-distributed vocabulary and the articles drawn from it (deterministic for a seed)."""

    def __init__(self, seed: int = 1) -> None:
        rng = random.Random(f"vocabulary-{seed}")
        words: list[str] = list(dict.fromkeys(w.lower().strip("'s") for w in WORDS if w.isalpha()))
        seen = set(words)
        while len(words) < VOCABULARY_SIZE:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.cum_weights = list(itertools.accumulate(1 / (rank**ZIPF) for rank in range(1, len(words) + 1)))
        self.seed = seed

    def text(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def sentence(self, rng: random.Random, count: int) -> str:
        words = self.text(rng, count)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def record(self, index: int) -> dict[str, Any]:
        """The article record (``Article.to_record()`` shape) of article ``index``."""
        from crawler.items import Article, Author, Image, Term

        rng = random.Random(f"{self.seed}-article-{index}")
        paragraphs = [
            " ".join(self.sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(2, 5)))
            for _ in range(rng.randint(4, 12))
        ]
        parent = PARENT_NAMES[index % 10]
        child = f"{CHILD_NAMES[(index // 10) % 4]} {parent}"
        author = rng.randrange(200)
        name = f"{FIRST_NAMES[author % 20]} {LAST_NAMES[author % 18]} {author}"
        day = 1_262_304_000 + rng.randrange(16 * 365 * 86400)
        published = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(day))
        article = Article(
            url=f"{HOST}/article-{index}/",
            url_raw=f"{HOST}/article-{index}/",
            site="bench",
            fetched_at="2026-11-20T10:00:00+00:00",
            post_id=index,
            title=" ".join(self.text(rng, rng.randint(5, 11))).capitalize(),
            authors=[Author(name, f"{HOST}/author/{author}/", None, f"{name} writes about everything.")],
            published_raw=published,
            published_source="meta:article:published_time",
            published=published,
            section_path=[parent, child],
            categories=[Term(child, f"{HOST}/category/{index % 40}/")],
            tags=[Term(f"tag {t}", f"{HOST}/tag/{t}/") for t in rng.sample(range(2000), rng.randint(0, 4))],
            featured_image=Image(f"{HOST}/img/{index}.jpg", role="featured", width=1200, height=800),
            language="en",
            site_timezone="UTC",
            body_html="".join(f"<p>{p}</p>" for p in paragraphs),
            body_text="\n\n".join(paragraphs),
        )
        return article.to_record()

    def queries(self, count: int) -> list[tuple[str, str]]:
        """``count`` queries of each kind: ``(kind, query)``."""
        rng = random.Random(f"{self.seed}-queries")
        words = self.words
        bands = {
            "very common word": words[5:40],
            "common word": words[40:400],
            "rare word": words[2000:],
        }
        queries: list[tuple[str, str]] = []
        for kind, pool in bands.items():
            queries += [(kind, rng.choice(pool)) for _ in range(count)]
        middle = words[100:3000]
        queries += [("two words", f"{rng.choice(middle)} {rng.choice(middle)}") for _ in range(count)]
        for _ in range(count):
            text = self.record(rng.randrange(1000))["body_text"].split()
            start = rng.randrange(len(text) - 2)
            phrase = " ".join(w.strip(".").lower() for w in text[start : start + 2])
            queries.append(("phrase", f'"{phrase}"'))
        queries += [("a OR b", f"{rng.choice(middle)} OR {rng.choice(middle)}") for _ in range(count)]
        queries += [("prefix*", f"{rng.choice(words[50:2000])[:3]}*") for _ in range(count)]
        return queries


@dataclass
class WriteRun:
    batch_size: int
    articles: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


@dataclass
class SearchFigures:
    articles: int
    #: Matches ranked at most (``None``: every match, ``--exhaustive``).
    window: int | None
    #: Milliseconds of every search (wall clock), by kind of query.
    latencies: dict[str, list[float]] = field(default_factory=dict)
    #: CPU milliseconds of every search, by kind of query (unaffected by other processes).
    cpu: dict[str, list[float]] = field(default_factory=dict)
    #: Average number of results (at most the limit) by kind.
    hits: dict[str, float] = field(default_factory=dict)
    #: Average number of matching articles by kind.
    matches: dict[str, float] = field(default_factory=dict)
    #: Share of the searches whose ranking was bounded to the window, by kind.
    bounded: dict[str, float] = field(default_factory=dict)


def write_articles(db: Database, corpus: Corpus, start: int, count: int, batch_size: int) -> WriteRun:
    """Store articles ``start`` to ``start + count`` with :class:`ArticleWriter`; time only the writing."""
    from archive.store import ArticleWriter, finish_crawl, start_crawl

    records = (corpus.record(i) for i in range(start, start + count))
    crawl_id = start_crawl(db, spider="bench", site="bench")
    seconds = 0.0
    with ArticleWriter(db, crawl_id=crawl_id, batch_size=batch_size) as writer:
        for chunk in _chunks(records, 1000):
            started = time.perf_counter()
            for record in chunk:
                writer.add(record)
            seconds += time.perf_counter() - started
        started = time.perf_counter()
        writer.flush()
        seconds += time.perf_counter() - started
    finish_crawl(db, crawl_id, status="finished", stats={})
    return WriteRun(batch_size, count, seconds)


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def count_articles(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def build_archive(path: Path, corpus: Corpus, articles: int, batch_size: int) -> WriteRun | None:
    """Fill the archive at ``path`` up to ``articles`` articles (kept between runs); the write figures."""
    from archive import open_archive

    db = open_archive(path)
    try:
        have = count_articles(db)
        if have >= articles:
            return None
        run = write_articles(db, corpus, have, articles - have, batch_size)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return run
    finally:
        db.close()


def measure_writes(corpus: Corpus, count: int, batch_sizes: list[int], work_dir: Path) -> list[WriteRun]:
    """Articles written per second into a fresh archive at each batch size."""
    from archive import open_archive

    runs = []
    for batch_size in batch_sizes:
        path = work_dir / f"write-{batch_size}.db"
        db = open_archive(path)
        try:
            runs.append(write_articles(db, corpus, 0, count, batch_size))
        finally:
            db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return runs


def measure_search(
    path: Path, corpus: Corpus, per_kind: int, rounds: int, limit: int = 20, window: int | None = None
) -> list[SearchFigures]:
    """Latency of ``per_kind`` queries of each kind, ``rounds`` times each after a warm-up round.

    Each query runs with ranking bounded to ``window`` matches (by default the window of
    ``newsarchive search``, :data:`archive.queries.RANK_WINDOW`) and with every match ranked
    (``--exhaustive``), one right after the other, so that both see the same load; the order
    alternates from round to round. Returns the bounded figures, then the exhaustive ones.
    """
    from archive import open_archive
    from archive.queries import RANK_WINDOW, search_results

    db = open_archive(path, readonly=True)
    try:
        articles = count_articles(db)
        bound = max(RANK_WINDOW if window is None else window, limit)
        modes = [SearchFigures(articles, bound), SearchFigures(articles, None)]
        queries = corpus.queries(per_kind)
        for figures in modes:  # warm-up: the page cache, as for a search after the first
            found = [(kind, search_results(db, q, limit=limit, window=figures.window)) for kind, q in queries]
            _summarise(figures, found)
        for number in range(rounds):
            for kind, query in queries:
                for figures in modes if number % 2 == 0 else modes[::-1]:
                    _time_search(db, figures, kind, query, limit)
        return modes
    finally:
        db.close()


def _time_search(db: Database, figures: SearchFigures, kind: str, query: str, limit: int) -> None:
    from archive.queries import search_results

    started, cpu_started = time.perf_counter(), time.process_time()
    search_results(db, query, limit=limit, window=figures.window)
    figures.cpu.setdefault(kind, []).append((time.process_time() - cpu_started) * 1000)
    figures.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)


def _summarise(figures: SearchFigures, found: list[tuple[str, SearchResults]]) -> None:
    """Average results, matches and share of bounded rankings by kind, from one search of each query."""
    by_kind: dict[str, list[SearchResults]] = {}
    for kind, results in found:
        by_kind.setdefault(kind, []).append(results)
    for kind, values in by_kind.items():
        figures.hits[kind] = statistics.fmean(len(result.rows) for result in values)
        figures.matches[kind] = statistics.fmean(result.matches for result in values)
        figures.bounded[kind] = statistics.fmean(result.bounded for result in values)


def archive_size(path: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the archive file (its WAL included) and, when SQLite has ``dbstat``, bytes per table."""
    size = sum(
        Path(f"{path}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()
    )
    tables: dict[str, int] = {}
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        for name, pages in rows:
            group = "articles_fts (index)" if name.startswith("articles_fts") else name
            group = "indexes" if group.startswith(("sqlite_autoindex", "idx_")) else group
            tables[group] = tables.get(group, 0) + int(pages)
    except sqlite3.OperationalError:
        pass
    finally:
        conn.close()
    return size, tables


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def write_table(runs: list[WriteRun]) -> Table:
    table = Table(
        "Articles written per second (ArticleWriter, fresh archive)",
        ["batch size", "articles", "seconds", "articles/s"],
    )
    for run in runs:
        table.add(run.batch_size, run.articles, run.seconds, run.per_second)
    table.notes.append("Each article: its row, authors, category, tags, featured image and FTS index entry.")
    return table


def search_table(figures: SearchFigures) -> Table:
    if figures.window is None:
        ranking = "exhaustive ranking: every match, --exhaustive"
    else:
        ranking = f"default: ranking bounded to the {figures.window:,} most recently archived matches"
    table = Table(
        f"Full-text search latency on {figures.articles:,} articles (search_results, 20 results; {ranking})",
        ["query", "searches", "results", "matches", "bounded", "p50 ms", "p95 ms", "max ms"]
        + ["CPU p50 ms", "CPU p95 ms"],
    )
    every: list[float] = []
    every_cpu: list[float] = []
    for kind in QUERY_KINDS:
        values, cpu = figures.latencies.get(kind, []), figures.cpu.get(kind, [])
        if not values:
            continue
        every += values
        every_cpu += cpu
        counts = figures.hits.get(kind), figures.matches.get(kind), _share(figures.bounded.get(kind))
        table.add(kind, len(values), *counts, *_percentiles(values), *_percentiles(cpu)[:2])
    if every:
        table.add("all", len(every), None, None, None, *_percentiles(every), *_percentiles(every_cpu)[:2])
    table.notes.append(
        "results: average number of results (at most 20); matches: average number of matching articles; "
        "bounded: share of the searches that ranked only the most recently archived matches. "
        "ms: wall clock; CPU ms: CPU time of the search "
        "(the same on a quiet machine; lower when other processes compete for the CPU)."
    )
    return table


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value:.0%}"


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 0.5), percentile(values, 0.95), max(values)


def size_table(path: Path, articles: int) -> Table:
    size, tables = archive_size(path)
    table = Table(f"Archive size ({articles:,} articles)", ["part", "MB", "MB per 1k articles"])
    table.add("whole file", size / 1e6, size / 1e6 / (articles / 1000))
    for name, value in sorted(tables.items(), key=lambda item: -item[1])[:8]:
        table.add(name, value / 1e6, value / 1e6 / (articles / 1000))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles of the search archive")
    parser.add_argument("--write-articles", type=int, default=5000, help="articles per write measurement")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 50, 500])
    parser.add_argument("--queries", type=int, default=30, help="queries of each kind (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over the queries (default 3)")
    parser.add_argument(
        "--window",
        type=int,
        help="matches ranked at most by default searches (default: the archive's, 20,000)",
    )
    parser.add_argument("--db", type=Path, help="search archive to build or reuse (default: a temp file)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.window is not None and args.window < 1:
        parser.error("--window must be at least 1")
    corpus = Corpus(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        work_dir = Path(tmp)
        runs = measure_writes(corpus, args.write_articles, args.batch_sizes, work_dir)
        path = args.db or work_dir / "search.db"
        build = build_archive(path, corpus, args.articles, max(args.batch_sizes))
        if build is not None:
            runs.append(build)
        bounded, exhaustive = measure_search(path, corpus, args.queries, args.rounds, window=args.window)
        emit(
            write_table(runs),
            search_table(bounded),
            search_table(exhaustive),
            size_table(path, bounded.articles),
            header="SQLite benchmark",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
