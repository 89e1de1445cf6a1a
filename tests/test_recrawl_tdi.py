"""Recrawls end to end: the saved TDI copy crawled, crawled again unchanged, then a changed copy of it
(one new article, a silent edit, a declared edit, a deleted article) crawled through the real CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from crawler.warc import read_record
from fixtures.build.tdi.build import build

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
CONTENT = ROOT / "fixtures" / "content" / "tdi"
MANIFEST = SITES / "thediplomaticinsight.com.manifest.json"
BASE = "http://thediplomaticinsight.com"
NOW1, NOW2, NOW3 = "2026-11-20T10:00:00Z", "2026-11-20T10:05:00Z", "2026-11-20T14:00:00Z"
#: The newest article: due again an hour after the first crawl; edited without a new modified date.
SILENT = f"{BASE}/new-ambassadors-present-copies-of-credentials-to-foreign-minister/"
SILENT_TEXT = "A correction was added to this report without notice."
#: An article edited with a new modified date (its sitemap lastmod moves).
DECLARED = f"{BASE}/pakistani-delegation-concludes-oic-senior-officials-meeting-in-jeddah/"
DECLARED_TEXT = "Updated: the delegation also met the OIC Secretary-General."
DECLARED_MODIFIED = "2026-11-20T09:45:00+00:00"
#: An article deleted from the site (it leaves the sitemap).
DELETED = f"{BASE}/halal-food-exporters-court-malaysian-buyers-in-lahore/"
NEW = f"{BASE}/foreign-office-briefs-envoys-on-regional-connectivity/"
BROKEN = f"{BASE}/sco-heads-of-government-council-live-updates/"


def _changed_site(out: Path) -> Path:
    """Generate the changed copy of the site from modified content; return its sites directory."""
    content = out / "content"
    shutil.copytree(CONTENT, content)
    slug = lambda url: urlsplit(url).path.strip("/")  # noqa: E731
    for path in sorted(content.glob("articles_*.json")):
        posts = json.loads(path.read_text(encoding="utf-8"))
        kept = []
        for post in posts:
            if post["slug"] == slug(DELETED):
                continue
            if post["slug"] == slug(SILENT):
                post["blocks"].append(SILENT_TEXT)
            if post["slug"] == slug(DECLARED):
                post["blocks"].append(DECLARED_TEXT)
                post["modified"] = DECLARED_MODIFIED
            kept.append(post)
        if path.name == "articles_batch3.json":
            kept.append(
                {
                    "slug": slug(NEW),
                    "title": "Foreign Office briefs envoys on regional connectivity",
                    "subtitle": None,
                    "categories": ["diplomatic-news"],
                    "authors": [posts[0]["authors"][0]],
                    "published": "2026-11-20T09:30:00+00:00",
                    "modified": None,
                    "visible_date": None,
                    "dateline": None,
                    "tags": ["Pakistan"],
                    "image": None,
                    "blocks": [
                        "The Foreign Office briefed envoys on connectivity.",
                        "Officials took questions.",
                    ],
                    "variant": None,
                }
            )
        path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    build(content, out)
    return out / "sites"


def _crawl(db: Path, sites: Path, log: Path, now: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "tdi", "--db", str(db), "--replay", str(sites)]
    cmd += ["--replay-log", str(log), "-s", f"NEWSARCHIVE_NOW={now}", "--log-level", "INFO"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("recrawl")
    changed = _changed_site(tmp / "v2")
    db = tmp / "run" / "archive.db"
    db.parent.mkdir()
    results = {}
    for name, sites, now in (("first", SITES, NOW1), ("unchanged", SITES, NOW2), ("changed", changed, NOW3)):
        result = _crawl(db, sites, tmp / f"{name}.jsonl", now)
        assert result.returncode == 1, result.stderr[-3000:]  # partial: the saved copy's URL answering 500
        results[name] = result
    return {
        "db": db,
        "dir": db.parent,
        "results": results,
        "logs": {name: _log(tmp / f"{name}.jsonl") for name in results},
    }


@pytest.fixture
def db(runs: dict[str, Any]) -> Any:
    connection = sqlite3.connect(runs["db"])
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def test_a_second_crawl_of_an_unchanged_site_asks_only_what_can_reveal_news(runs: dict[str, Any]) -> None:
    first, second = runs["logs"]["first"], runs["logs"]["unchanged"]
    sections = [p for p in json.loads(MANIFEST.read_text())["sections"] if urlsplit(p).path.count("/") == 3]
    expected = {f"{BASE}/robots.txt", f"{BASE}/", f"{BASE}/sitemap_index.xml", f"{BASE}/feed/", *sections}

    assert len(sections) == 5
    assert {r["url"] for r in second} == expected | {BROKEN}
    assert {r["status"] for r in second if r["url"] not in (f"{BASE}/robots.txt", BROKEN)} == {304}
    assert all(r["headers"].get("If-None-Match") for r in second if r["status"] == 304)
    retries_of_the_broken_url = [r for r in second if r["url"] == BROKEN]
    assert len(second) - len(retries_of_the_broken_url) < 0.05 * len(first)
    assert (
        runs["results"]["unchanged"]
        .stdout.splitlines()[-1]
        .startswith(f"newsarchive crawl tdi: partial (exit 1): {len(second)} requests, 0 new, 0 changed")
    )


def test_the_changed_site_fetches_the_new_the_due_and_the_declared(runs: dict[str, Any]) -> None:
    log = runs["logs"]["changed"]
    articles = {r["url"] for r in log if not urlsplit(r["url"]).path.startswith("/category/")} - {
        f"{BASE}/robots.txt",
        f"{BASE}/",
        f"{BASE}/sitemap_index.xml",
        f"{BASE}/post-sitemap2.xml",
        f"{BASE}/feed/",
    }

    assert articles == {NEW, SILENT, DECLARED, DELETED, BROKEN}
    listings = {urlsplit(r["url"]).path for r in log if urlsplit(r["url"]).path.startswith("/category/")}
    assert "/category/news/diplomatic-news/page/2/" in listings
    assert "/category/news/diplomatic-news/page/3/" not in listings
    assert "/category/news/page/3/" not in listings


def test_new_article_stored(db: sqlite3.Connection) -> None:
    row = db.execute("SELECT title, first_crawl_id FROM articles WHERE url = ?", [NEW]).fetchone()
    assert tuple(row) == ("Foreign Office briefs envoys on regional connectivity", 3)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 167


def _versions(db: sqlite3.Connection, url: str) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT v.* FROM article_versions v JOIN articles a ON a.id = v.article_id"
        " WHERE a.url = ? ORDER BY version",
        [url],
    ).fetchall()


def test_silent_edit_kept_as_a_new_version(db: sqlite3.Connection) -> None:
    first, second = _versions(db, SILENT)

    assert (first["cause"], second["cause"], second["declared"]) == ("first", "recrawl", 0)
    assert json.loads(second["changed_fields"]) == ["body_text", "body_html"]
    assert f"+{SILENT_TEXT}" in second["body_diff"]
    assert SILENT_TEXT not in json.loads(first["snapshot"])["body_text"]
    assert json.loads(second["snapshot"])["body_text"].endswith(SILENT_TEXT)


def test_declared_edit_kept_as_a_new_version(db: sqlite3.Connection) -> None:
    first, second = _versions(db, DECLARED)

    assert second["declared"] == 1
    assert json.loads(second["changed_fields"]) == ["modified", "body_text", "body_html"]
    assert json.loads(first["snapshot"])["modified"].startswith("2026-10-08T")
    assert json.loads(second["snapshot"])["modified"] == "2026-11-20T14:45:00+05:00"
    assert f"+{DECLARED_TEXT}" in second["body_diff"]


def test_deleted_article_marked_removed_never_deleted(db: sqlite3.Connection) -> None:
    row = db.execute(
        "SELECT removed, removed_status, body_text FROM articles WHERE url = ?", [DELETED]
    ).fetchone()

    assert (row["removed"], row["removed_status"]) == (NOW3, 404)
    assert row["body_text"]
    assert db.execute("SELECT state FROM urls WHERE url = ?", [DELETED]).fetchone()[0] == "gone"
    assert len(_versions(db, DELETED)) == 1


def test_unchanged_articles_have_one_version_and_every_url_one_row(db: sqlite3.Connection) -> None:
    counts = db.execute("SELECT article_id, count(*) FROM article_versions GROUP BY article_id").fetchall()
    assert sorted(n for _, n in counts) == [1] * 165 + [2, 2]
    assert tuple(db.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()) == (167, 167)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_discovery_records_where_each_url_was_first_found(db: sqlite3.Connection) -> None:
    where = {
        row["source"]: row for row in db.execute("SELECT * FROM discoveries WHERE url = ?", [NEW]).fetchall()
    }
    assert set(where) == {"listing", "sitemap", "feed"}
    assert where["sitemap"]["found_on"] == f"{BASE}/post-sitemap2.xml"
    assert where["sitemap"]["lastmod"] == "2026-11-20T09:30:00Z"
    assert where["listing"]["page"] == 1
    assert where["listing"]["section"] in (f"{BASE}/category/news/", f"{BASE}/category/news/diplomatic-news/")


def test_every_response_is_captured_in_warc(runs: dict[str, Any], db: sqlite3.Connection) -> None:
    requests = sum(len(log) for log in runs["logs"].values())
    captures = db.execute("SELECT * FROM captures ORDER BY id").fetchall()
    not_modified = sum(1 for log in runs["logs"].values() for r in log if r["status"] == 304)

    assert len(captures) == requests
    assert sum(1 for c in captures if c["status"] == 304 and c["record_type"] == "revisit") == not_modified
    records = []
    for path in sorted((runs["dir"] / "archive-warc").glob("*.warc.gz")):
        with path.open("rb") as handle:
            records += [record.rec_type for record in ArchiveIterator(handle)]
    assert records.count("response") + records.count("revisit") == len(captures)
    assert records.count("request") == len(captures)
    article = db.execute(
        "SELECT * FROM captures WHERE url = ? AND status = 200 ORDER BY id DESC LIMIT 1", [SILENT]
    ).fetchone()
    assert SILENT_TEXT.encode() in read_record(runs["dir"], article["warc_file"], article["warc_offset"]).body


def test_history_command(runs: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["history", SILENT, "--db", str(runs["db"])])

    assert result.exit_code == 0, result.output
    assert "2 version(s)" in result.output
    assert "silent edit (no new modified date)" in result.output
    assert f"+{SILENT_TEXT}" in result.output


def test_coverage_command(runs: dict[str, Any], db: sqlite3.Connection) -> None:
    result = CliRunner().invoke(main, ["coverage", "--json", "--db", str(runs["db"])])
    text = CliRunner().invoke(main, ["coverage", "--db", str(runs["db"])])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {k: report["sources"]["sitemap"][k] for k in ("urls", "archived")} == {
        "urls": 167,
        "archived": 167,
    }
    assert report["sources"]["feed"]["urls"] == 11
    found = db.execute(
        "SELECT count(DISTINCT d.url) FROM discoveries d JOIN urls u ON u.url = d.url"
        " WHERE u.kind = 'article'"
    ).fetchone()[0]
    assert sum(source["first"] for source in report["sources"].values()) == found
    assert "In the sitemaps but not in the archive: 0" in text.output
    assert report["missing"] == []
    assert report["not_in_sitemaps"] == []


def test_reextract_reports_before_writing_and_applies(runs: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(runs["dir"], copy)
    db_path = copy / "archive.db"
    with sqlite3.connect(db_path) as connection:  # as if an older extractor had read the title wrong
        connection.execute("UPDATE articles SET title = 'Tampered' WHERE url = ?", [SILENT])
        connection.execute(
            "UPDATE article_versions SET snapshot = json_set(snapshot, '$.title', 'Tampered')"
            " WHERE article_id = (SELECT id FROM articles WHERE url = ?)",
            [SILENT],
        )

    dry = CliRunner().invoke(main, ["reextract", "--json", "--db", str(db_path)])
    with sqlite3.connect(db_path) as connection:
        still = connection.execute("SELECT title FROM articles WHERE url = ?", [SILENT]).fetchone()[0]
    applied = CliRunner().invoke(main, ["reextract", SILENT, "--apply", "--db", str(db_path)])
    again = CliRunner().invoke(main, ["reextract", "--json", "--db", str(db_path)])

    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    changed = [r for r in report["results"] if r["status"] == "changed"]
    assert [(r["url"], r["fields"]) for r in changed] == [(SILENT, ["title"])]
    assert {r["status"] for r in report["results"]} == {"changed", "unchanged"}
    assert still == "Tampered"
    assert applied.exit_code == 0, applied.output
    assert f"{SILENT}: title" in applied.output
    assert json.loads(again.output)["fields"] == {}
    with sqlite3.connect(db_path) as connection:
        title = connection.execute("SELECT title FROM articles WHERE url = ?", [SILENT]).fetchone()[0]
        causes = connection.execute(
            "SELECT cause FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ?"
            " ORDER BY version",
            [SILENT],
        ).fetchall()
    assert title.startswith("New ambassadors present copies")
    assert [c[0] for c in causes] == ["first", "recrawl", "reextract"]
