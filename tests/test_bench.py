"""Smoke tests of the benchmarks (bench/): tiny sizes, real runs, the expected tables come out.

No timing is asserted: the figures depend on the machine. What is checked is that every benchmark
runs end to end and prints its rows and columns, so that the benchmarks cannot rot.
"""

from __future__ import annotations

import cProfile
import gzip
import pstats
import subprocess
import sys
from pathlib import Path

import pytest

from bench import crawl, extract_speed, largesite
from bench import sqlite as sqlite_bench
from bench.largesite import SiteSpec, ensure_site, generate, load_site, synthetic_content
from bench.profile_stages import ORDER, REST, stage_seconds
from bench.report import Table, fmt
from crawler.pages.newspaper import parse_article

ROOT = Path(__file__).resolve().parent.parent
TINY = SiteSpec(articles=24, sections=5, per_page=4)


def _table_rows(output: str, title: str) -> list[list[str]]:
    """The rows (header first) of the Markdown table under ``### title...`` in ``output``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("### " + title))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        if not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> largesite.LargeSite:
    return ensure_site(TINY, tmp_path_factory.mktemp("sites"), workers=1)


# --- report ------------------------------------------------------------------------------------


def test_table_renders_markdown_with_formatted_numbers() -> None:
    table = Table("Figures", ["name", "value"])
    table.add("a", 1234.5)
    table.add("b", 0.01234)
    table.add("c", None)
    text = table.render()
    assert text.splitlines()[:4] == ["### Figures", "", "| name | value |", "| --- | --- |"]
    assert "| a | 1,234 |" in text and "| b | 0.0123 |" in text and "| c | – |" in text
    assert fmt(12_345) == "12,345"
    with pytest.raises(ValueError, match="cells"):
        table.add("too", "many", "cells")


# --- large site ----------------------------------------------------------------------------------


def test_synthetic_content_is_deterministic_and_spread_over_leaf_sections() -> None:
    first, second = synthetic_content(TINY), synthetic_content(TINY)
    assert [p.slug for p in first.posts] == [p.slug for p in second.posts]
    assert len(first.posts) == TINY.articles and len({p.slug for p in first.posts}) == TINY.articles
    assert len(first.sections) == TINY.sections
    leaves = [s for s in first.sections if not s.children]
    assert {p.categories[0].slug for p in first.posts} == {s.slug for s in leaves}
    parent = next(s for s in first.sections if s.children)
    assert len(first.section_posts(parent)) == sum(len(first.section_posts(c)) for c in parent.children)


def test_generated_site_has_every_page_a_crawl_visits(tiny_site: largesite.LargeSite) -> None:
    root = tiny_site.site_dir
    assert (root / "index.html").is_file() and (root / "robots.txt").is_file()
    assert (root / "404.html").is_file() and (root / "_site.json").is_file()
    article_dirs = [p for p in root.iterdir() if p.is_dir() and p.name not in ("category", "about-us")]
    assert len(article_dirs) == TINY.articles == tiny_site.articles
    listing_files = list((root / "category").rglob("index.html"))
    assert len(listing_files) == tiny_site.listing_pages
    assert tiny_site.files == TINY.articles + tiny_site.listing_pages + 5


def test_generated_pages_have_precompressed_copies(tiny_site: largesite.LargeSite) -> None:
    root = tiny_site.site_dir
    pages = [*root.rglob("index.html"), root / "robots.txt"]
    assert len(pages) == tiny_site.files - 2  # all but 404.html and _site.json
    for page in pages:
        copy = page.with_name(page.name + ".gz")
        assert gzip.decompress(copy.read_bytes()) == page.read_bytes()
        assert copy.stat().st_mtime_ns >= page.stat().st_mtime_ns
    assert not (root / "404.html.gz").exists()
    assert tiny_site.gzip_bytes == sum(p.with_name(p.name + ".gz").stat().st_size for p in pages)
    cached = load_site(tiny_site.sites_dir)
    assert cached is not None and cached.gzip_bytes == tiny_site.gzip_bytes


def test_generated_article_has_the_tdi_markup(tiny_site: largesite.LargeSite) -> None:
    post = synthetic_content(TINY).posts[0]
    html = (tiny_site.site_dir / post.slug / "index.html").read_bytes()
    article = parse_article(
        html, f"http://{tiny_site.host}{post.path}", fetched_at="2026-11-20T10:00:00+00:00"
    )
    assert article.page_type == "article"
    assert article.title == post.title
    assert article.post_id == post.post_id
    assert [a.name for a in article.authors] == [a.name for a in post.authors]
    assert article.content_html


def test_cached_site_is_reused_and_regenerated_on_request(tmp_path: Path) -> None:
    spec = SiteSpec(articles=6, sections=2, per_page=3)
    site = generate(spec, tmp_path / "one", workers=1)
    assert site.seconds > 0
    again = load_site(tmp_path / "one")
    assert again is not None and again.spec == spec and again.seconds == 0
    assert load_site(tmp_path / "missing") is None
    with pytest.raises(ValueError):
        SiteSpec(articles=0)


def test_largesite_command_prints_the_site_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--articles", "6", "--sections", "2", "--per-page", "3", "--workers", "1"]
    assert largesite.main([*argv, "--cache-dir", str(tmp_path)]) == 0
    rows = _table_rows(capsys.readouterr().out, "Generated sites")
    assert rows[0][:3] == ["articles", "sections", "listing pages"]
    assert rows[1][:2] == ["6", "2"]


# --- crawl ---------------------------------------------------------------------------------------


def test_crawl_benchmark_crawls_every_article(
    tiny_site: largesite.LargeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sizes", str(TINY.articles), "--sections", str(TINY.sections), "--per-page", str(TINY.per_page)]
    argv += ["--cache-dir", str(tiny_site.sites_dir.parent), "--work-dir", str(tmp_path), "--server", "both"]
    argv += ["-s", "NEWSARCHIVE_EXTRACT_PROCESSES=1"]  # one extraction process whatever the CPUs
    assert crawl.main(argv) == 0
    rows = _table_rows(capsys.readouterr().out, "End-to-end crawl")
    header = rows[0]
    for column in ("articles/s", "CPU ms/article", "peak RSS MB", "archive MB/1k", "server CPU s"):
        assert column in header
    by_server = {row[header.index("server")]: row for row in rows[1:]}
    assert set(by_server) == {"process", "thread"}
    for row in by_server.values():
        assert row[header.index("stored")] == str(TINY.articles)
        assert float(row[header.index("peak RSS MB")]) > 10
        # the crawl and its extraction process together hold more than either alone
        assert float(row[header.index("peak RSS with workers MB")]) > float(row[header.index("peak RSS MB")])
    assert by_server["thread"][header.index("server CPU s")] == "–"


# --- profile -------------------------------------------------------------------------------------


def test_stage_seconds_attributes_our_functions_and_leaves_the_rest() -> None:
    from crawler.cleaning import clean_content
    from crawler.pages.dom import parse_html

    html = (
        "<html><body>" + "<div class='td-post-content'><p>Some text here.</p></div>" * 300 + "</body></html>"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        parse_html(html)
        clean_content(html, "http://example.com/")
    sorted(range(50_000), key=lambda n: -n)  # library work outside any stage
    profiler.disable()
    seconds, total = stage_seconds(pstats.Stats(profiler))
    assert seconds["parse"] > 0 and seconds["cleaning"] > 0
    assert seconds["extraction"] == seconds["SQLite write"] == 0
    assert seconds[REST] > 0
    assert sum(seconds[stage] for stage in ORDER) + seconds["waiting for I/O (epoll)"] == pytest.approx(total)


def test_profile_benchmark_prints_every_stage(tiny_site: largesite.LargeSite) -> None:
    command = [sys.executable, "-m", "bench.profile_stages", "--articles", str(TINY.articles)]
    command += ["--sections", str(TINY.sections), "--per-page", str(TINY.per_page)]
    command += ["--cache-dir", str(tiny_site.sites_dir.parent)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = _table_rows(result.stdout, "Where the time goes")
    assert rows[0] == ["stage", "seconds", "share of busy time", "ms per article"]
    stages = [row[0] for row in rows[1:]]
    assert stages[: len(ORDER)] == list(ORDER)
    assert "total busy" in stages
    assert f"crawl of {TINY.articles} articles" in result.stdout


# --- extraction ----------------------------------------------------------------------------------


def test_extract_speed_compares_with_the_lxml_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert extract_speed.main(["--datasets", "tdi", "--limit", "3", "--rounds", "1"]) == 0
    rows = _table_rows(capsys.readouterr().out, "Extraction speed")
    header = rows[0]
    assert header[:4] == ["pages", "extractor", "n", "pages/s"]
    extractors = {row[1]: row for row in rows[1:]}
    assert {"newsarchive", "newsarchive + dates", "lxml parse"} <= set(extractors)
    assert extractors["lxml parse"][header.index("x lxml parse time")] == "1.00"
    assert all(row[2] == "3" for row in rows[1:])
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        assert "trafilatura" not in extractors
    else:
        assert extractors["trafilatura"][header.index("x faster than trafilatura")] == "1.00"


def test_extract_speed_loads_the_saved_tdi_articles() -> None:
    pages = extract_speed.load_tdi(limit=5)
    assert len(pages) == 5
    assert all(page.url.startswith("http://thediplomaticinsight.com/") and page.data for page in pages)


# --- SQLite --------------------------------------------------------------------------------------


def test_sqlite_benchmark_prints_writes_search_and_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--articles", "60", "--write-articles", "15", "--batch-sizes", "1", "5"]
    argv += ["--queries", "2", "--rounds", "1", "--window", "21", "--db", str(tmp_path / "search.db")]
    assert sqlite_bench.main(argv) == 0
    output = capsys.readouterr().out
    writes = _table_rows(output, "Articles written per second")
    assert [row[0] for row in writes[1:]] == ["1", "5", "5"]
    assert [row[1] for row in writes[1:]] == ["15", "15", "60"]
    bounded = _table_rows(
        output, "Full-text search latency on 60 articles (search_results, 20 results; default"
    )
    exhaustive = _table_rows(
        output, "Full-text search latency on 60 articles (search_results, 20 results; exh"
    )
    for search in (bounded, exhaustive):
        assert [row[0] for row in search[1:]] == [*sqlite_bench.QUERY_KINDS, "all"]
        assert search[-1][1] == str(2 * len(sqlite_bench.QUERY_KINDS))
        assert [row[3] for row in search[1:]] == [row[3] for row in bounded[1:]], "the same matches"
    very_common = {row[0]: row[4] for row in bounded[1:]}["very common word"]
    assert very_common == "100%", "the very common words are in more than 21 of the 60 articles"
    assert {row[4] for row in exhaustive[1:-1]} == {"0%"}
    size = _table_rows(output, "Archive size")
    assert size[1][0] == "whole file" and float(size[1][2]) > 0


def test_corpus_records_are_deterministic_and_storable() -> None:
    corpus = sqlite_bench.Corpus(seed=2)
    first, again = corpus.record(7), sqlite_bench.Corpus(seed=2).record(7)
    assert first == again
    assert first["url"] != corpus.record(8)["url"]
    assert first["body_text"] and first["authors"] and first["title"]
    kinds = {kind for kind, _ in corpus.queries(1)}
    assert kinds == set(sqlite_bench.QUERY_KINDS)
