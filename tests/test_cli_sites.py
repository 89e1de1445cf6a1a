"""``newsarchive detect``, ``newsarchive extract`` and the SITE argument of ``newsarchive crawl``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.cli_sites import crawl_target

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
COURIER = "http://meridiancourier.example"
ARTICLE = f"{COURIER}/2024/05/18/rovers-promoted-after-last-minute-winner/"
ARTICLE_FILE = (
    SITES / "meridiancourier.example/2024/05/18/rovers-promoted-after-last-minute-winner/index.html"
)


def _invoke(*args: str, stdin: bytes | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def test_detect_prints_what_a_crawl_would_use() -> None:
    result = _invoke("detect", f"{COURIER}/", "--replay", str(SITES))

    assert result.exit_code == 0, result.output
    assert "WordPress:    yes" in result.output
    assert "Theme:        tagDiv Newspaper (version 9.8, classic header)" in result.output
    assert "Profile:      meridiancourier.example (newspaper template)" in result.output
    assert "Page module:  newspaper" in result.output
    assert "Sections:     8 from the nav menu" in result.output
    assert f"{COURIER}/business/harbour/" in result.output


def test_detect_an_article_as_json() -> None:
    result = _invoke("detect", ARTICLE, "--replay", str(SITES), "--json")

    report = json.loads(result.output)
    assert report["detection"]["template"] == "classic"
    assert report["profile_kind"] == "newspaper template"
    assert report["article"]["title"] == "Rovers promoted after last-minute winner"
    assert report["article"]["field_layers"]["body"] == "site"
    assert report["article"]["field_sources"]["published"] == "structured:meta:article:published_time"


def test_detect_a_known_site() -> None:
    result = _invoke("detect", "http://thediplomaticinsight.com/", "--replay", str(SITES), "--json")

    report = json.loads(result.output)
    assert report["profile"] == "tdi"
    assert report["profile_kind"] == "site profile"
    assert report["detection"]["header"] == "composer"


def test_detect_a_page_that_answers_404() -> None:
    result = _invoke("detect", f"{COURIER}/nothing-here/", "--replay", str(SITES))

    assert result.exit_code == 1
    assert "HTTP 404" in result.output


def test_extract_a_file() -> None:
    result = _invoke("extract", str(ARTICLE_FILE), "--url", ARTICLE, "--fetched-at", "2024-06-01T00:00:00Z")

    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["title"] == "Rovers promoted after last-minute winner"
    assert record["authors"] == ["Owen Gallagher"]
    assert record["published"] == "2024-05-18T21:15:00+01:00"
    assert record["body_text"].startswith("Meridian Bay Rovers won promotion")
    assert record["field_layers"]["title"] == "site"
    assert record["fetched_at"] == "2024-06-01T00:00:00Z"


def test_extract_standard_input_with_a_profile() -> None:
    result = _invoke("extract", "-", "--url", ARTICLE, "--profile", "tdi", stdin=ARTICLE_FILE.read_bytes())

    record = json.loads(result.output)
    assert record["profile"] == "tdi"
    assert record["site_timezone"] == "Asia/Karachi"


def test_extract_bad_arguments() -> None:
    assert _invoke("extract", "/no/such/file.html", "--url", ARTICLE).exit_code == 2
    assert (
        "unknown profile 'nope'"
        in _invoke("extract", str(ARTICLE_FILE), "--url", ARTICLE, "--profile", "nope").output
    )
    assert _invoke("extract", str(ARTICLE_FILE)).exit_code == 2  # --url is required


def test_crawl_target_of_a_profile_a_url_and_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mysite.toml"
    path.write_text(
        'domains = ["mysite.example"]\nstart_url = "https://mysite.example/"\n'
        "[politeness]\ndownload_delay = 5\n"
    )

    assert crawl_target("tdi") == ("tdi", {}, {})
    assert crawl_target(f"{COURIER}/") == ("site", {"url": f"{COURIER}/"}, {})
    assert crawl_target(str(path)) == ("site", {"profile_file": str(path)}, {"DOWNLOAD_DELAY": 5})
    assert crawl_target(str(path), replay=True)[2] == {}


def test_crawl_target_errors(tmp_path: Path) -> None:
    with pytest.raises(click.BadParameter, match="or give the site's URL"):
        crawl_target("nosuchsite")
    bad = tmp_path / "bad.toml"
    bad.write_text('domains = ["x.example"]\nstart_url = "https://other.example/"\n')
    with pytest.raises(click.BadParameter, match="outside the profile's domains"):
        crawl_target(str(bad))


def test_crawl_refuses_an_unknown_site() -> None:
    result = _invoke("crawl", "nosuchsite", "--db", "unused.db")

    assert result.exit_code == 2
    assert "unknown site 'nosuchsite'" in result.output
