"""End to end: a second Newspaper-theme site, classic templates, no site profile, crawled by its URL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
HOST = "meridiancourier.example"
MANIFEST = SITES / f"{HOST}.manifest.json"
PAGES = ROOT / "fixtures" / "pages" / HOST


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("classic-crawl")
    db_path, log = tmp / "courier.db", tmp / "replay.jsonl"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", f"http://{HOST}/", "--db", str(db_path)]
    cmd += ["--replay", str(SITES), "--replay-log", str(log), "--log-level", "INFO"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    requests = [json.loads(line) for line in log.read_text().splitlines() if line]
    return {"done": done, "db": sqlite_utils.Database(db_path), "db_path": db_path, "requests": requests}


def _rows(db: sqlite_utils.Database) -> dict[str, dict]:
    rows = {}
    for row in db.query("select * from articles"):
        row["authors"] = [
            r["name"]
            for r in db.query(
                "select a.name from authors a join article_authors aa on aa.author_id = a.id"
                " where aa.article_id = ? order by aa.position",
                [row["id"]],
            )
        ]
        rows[row["url"]] = row
    return rows


def test_the_crawl_succeeds_with_the_detected_template(crawled: dict) -> None:
    done = crawled["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{HOST} has no site profile: crawling it with the newspaper template" in done.stderr
    stats = json.loads(next(crawled["db"].query("select stats from crawls"))["stats"])
    assert stats["newsarchive/spider/profile"] == "newspaper"


def test_every_article_stored_once_with_the_right_fields(crawled: dict, manifest: dict) -> None:
    rows = _rows(crawled["db"])
    assert sorted(rows) == sorted(manifest["articles"])
    for url, post in manifest["posts"].items():
        row = rows[url]
        assert row["site"] == HOST
        assert row["title"] == post["title"], url
        assert row["subtitle"] == post["subtitle"], url
        assert row["authors"] == post["authors"], url
        assert row["published"] == post["published"], url
        assert json.loads(row["section_path"]) == post["section_path"], url
        assert row["body_text"] == post["body_text"], url
        assert row["post_id"] == post["post_id"], url
        if post["modified"]:
            assert row["modified"] == post["modified"], url
        if post["dateline"]:
            assert row["dateline_place"] == "MERIDIAN BAY", url


def test_every_section_walked_to_its_last_page(crawled: dict, manifest: dict) -> None:
    requested = {urlsplit(r["url"]).path for r in crawled["requests"]}
    for section_url, info in manifest["sections"].items():
        path = urlsplit(section_url).path
        assert path in requested, section_url
        for page in range(2, info["pages"] + 1):
            assert f"{path}page/{page}/" in requested, (section_url, page)
    assert "/business/harbour/" in requested  # linked only from the mega menu


def test_no_boilerplate_in_bodies_and_nothing_off_site(crawled: dict, manifest: dict) -> None:
    for row in crawled["db"].query("select url, body_text, body_html from articles"):
        for phrase in manifest["boilerplate_phrases"]:
            assert phrase not in row["body_text"], (row["url"], phrase)
            assert phrase not in row["body_html"], (row["url"], phrase)
    assert {urlsplit(r["url"]).hostname for r in crawled["requests"]} == {HOST}


def test_a_saved_page_can_be_recorded_from_the_archive(crawled: dict, tmp_path: Path) -> None:
    pytest.importorskip("warcio")
    from crawler.pagefixtures import record_from_archive

    url = f"http://{HOST}/2024/06/03/fishing-fleet-protests-against-new-quotas/"
    saved = record_from_archive([url], crawled["db_path"], root=tmp_path)

    assert saved[0].meta["source"] == "archive"
    committed = json.loads((PAGES / "fishing-fleet-protests-against-new-quotas.expected.json").read_text())
    assert saved[0].expected == committed
