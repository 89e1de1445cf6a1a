"""Saved pages (fixtures/pages/): one test per page and field, and the record / check / update workflow."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.pagefixtures import FIXTURE_FIELDS, check_fixtures, load_fixtures
from crawler.pagefixtures.check import replay
from crawler.pagefixtures.store import fixture_name

if TYPE_CHECKING:
    from crawler.pagefixtures import PageFixture

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
SITES = ROOT / "fixtures" / "sites"
SAVED = load_fixtures(PAGES)
COURIER = "http://meridiancourier.example"
BUDGET = f"{COURIER}/2024/03/20/budget-2024-what-changes-for-households/"
HOSPITAL = f"{COURIER}/2024/10/07/regional-hospital-opens-new-maternity-wing/"


@cache
def _replayed(page_id: str) -> dict[str, Any]:
    fixture = next(f for f in SAVED if f.id == page_id)
    return replay(fixture)


def _fixture(page_id: str) -> PageFixture:
    return next(f for f in SAVED if f.id == page_id)


def test_the_second_site_was_added_with_saved_pages() -> None:
    sites = {f.site for f in SAVED}
    assert {"meridiancourier.example", "tdi"} <= sites
    assert sum(f.site == "meridiancourier.example" for f in SAVED) >= 5
    for fixture in SAVED:
        assert fixture.meta["url"].startswith("http")
        assert fixture.meta["fetched_at"]
        assert fixture.expected is not None, fixture.id


FIELD_CASES = [(f.id, name) for f in SAVED for name in FIXTURE_FIELDS]


@pytest.mark.parametrize(("page_id", "field"), FIELD_CASES, ids=[f"{p}::{n}" for p, n in FIELD_CASES])
def test_saved_page_field(page_id: str, field: str) -> None:
    expected = _fixture(page_id).expected or {}

    assert field in expected, f"{page_id}: no expected {field} (run `newsarchive fixture check --update`)"
    assert _replayed(page_id)[field] == expected[field]


@pytest.mark.parametrize("page_id", [f.id for f in SAVED])
def test_saved_page_has_no_extra_fields(page_id: str) -> None:
    assert set(_fixture(page_id).expected or {}) == set(FIXTURE_FIELDS)


def test_relative_dates_use_the_fetch_time(tmp_path: Path) -> None:
    fixture = _fixture("meridiancourier.example/budget-2024-what-changes-for-households")
    html = fixture.html().replace(b"2024-03-20T16:30:00+00:00", b"2 days ago")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_bytes(html)
    meta = {**fixture.meta, "fetched_at": "2024-05-01T12:00:00+00:00"}
    (tmp_path / "site" / "page.meta.json").write_text(json.dumps(meta))

    again = replay(load_fixtures(tmp_path)[0])

    assert again["published"] == "2024-04-29T12:00:00+00:00"
    assert "published_relative" in again["flags"]


# --- the workflow ------------------------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_record_check_update(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    recorded = _invoke("fixture", "record", BUDGET, HOSPITAL, "--replay", str(SITES), "--dir", str(pages))

    assert recorded.exit_code == 0, recorded.output
    assert "2 page(s) saved" in recorded.output
    folder = pages / "meridiancourier.example"
    meta = json.loads((folder / "budget-2024-what-changes-for-households.meta.json").read_text())
    assert meta["url"] == BUDGET
    assert meta["source"] == "replay"
    assert meta["status"] == 200
    assert (
        (folder / "budget-2024-what-changes-for-households.html").read_bytes().startswith(b"<!doctype html")
    )
    expected_path = folder / "regional-hospital-opens-new-maternity-wing.expected.json"
    expected = json.loads(expected_path.read_text())
    assert expected["title"] == "Regional hospital opens new maternity wing"
    assert expected["subtitle"] == "Twenty-two rooms, a birth centre led by midwives and a neonatal unit"

    assert _invoke("fixture", "check", "--dir", str(pages)).exit_code == 0

    expected["title"] = "Something else"
    expected["body_text"] = expected["body_text"].replace("36 midwives", "63 midwives")
    expected_path.write_text(json.dumps(expected))
    checked = _invoke("fixture", "check", "--dir", str(pages))
    assert checked.exit_code == 1
    assert "meridiancourier.example/regional-hospital-opens-new-maternity-wing: title" in checked.output
    assert "expected: Something else" in checked.output
    assert "-The hospital has recruited 63 midwives" in checked.output
    assert "+The hospital has recruited 36 midwives" in checked.output
    assert "2 field(s) differ on 1 page(s)" in checked.output

    updated = _invoke("fixture", "check", "--dir", str(pages), "--update")
    assert "1 expected output(s) rewritten" in updated.output
    assert _invoke("fixture", "check", "--dir", str(pages)).exit_code == 0
    assert check_fixtures(pages, site="meridiancourier.example").ok


def test_a_page_is_recorded_once(tmp_path: Path) -> None:
    args = ["fixture", "record", BUDGET, "--replay", str(SITES), "--dir", str(tmp_path)]
    assert _invoke(*args).exit_code == 0

    again = _invoke(*args)

    assert again.exit_code == 1
    assert "already saved" in again.output
    assert _invoke(*args, "--overwrite").exit_code == 0
    assert len(load_fixtures(tmp_path)) == 1


def test_a_page_without_expected_output_fails_the_check(tmp_path: Path) -> None:
    assert _invoke("fixture", "record", BUDGET, "--replay", str(SITES), "--dir", str(tmp_path)).exit_code == 0
    next(tmp_path.rglob("*.expected.json")).unlink()

    checked = _invoke("fixture", "check", "--dir", str(tmp_path))

    assert checked.exit_code == 1
    assert "no expected output" in checked.output


def test_a_missing_page_is_not_saved(tmp_path: Path) -> None:
    result = _invoke(
        "fixture", "record", f"{COURIER}/no-such-page/", "--replay", str(SITES), "--dir", str(tmp_path)
    )

    assert result.exit_code == 1
    assert "HTTP 404, not saved" in result.output
    assert not list(tmp_path.rglob("*.html"))


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (BUDGET, "budget-2024-what-changes-for-households"),
        ("https://example.com/", "index"),
        ("https://example.com/story/2/", "story-2"),
        ("https://example.com/news?id=42", "news-id-42"),
        ("https://example.com/a/Über Uns.html", "ber-uns-html"),
    ],
)
def test_fixture_names(url: str, name: str) -> None:
    assert fixture_name(url) == name
