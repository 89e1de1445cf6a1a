"""``newsarchive serve`` in a real browser: search the archive in Datasette and read an article.

Needs the ``web`` extra (Datasette), selenium, and Debian's ``chromium`` and ``chromium-driver``
(``/usr/bin/chromium``, ``/usr/bin/chromedriver``); the tests are skipped without them. Everything runs
on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive, web
from archive.store import upsert_article

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BASE = "https://thediplomaticinsight.com"
SEED_TITLE = "ICAFT Conference of OAS led by Mexico"
SEED_BODY = (
    "Mexico City, 6 October 2021 (TDI): The Fifth Conference of Member States part of the Inter-American "
    "Convention against Arms Fabrication and Trafficking (ICAFT); ammunition, explosives, and other "
    "materials; the meeting was virtual from the headquarters of the Organization of American States, "
    "on 5 October.\n\n"
    "According to the Media Note; Mexico was chair for the ICAT; then they highlighted the priority for "
    "the foreign policy of actions to strengthen cooperation against trafficking; and diversion of the "
    "arms and ammunition trade.\n\n"
    "According to the Media Note; the Conference analyzed the need to create synergies between "
    "instruments and international forums related to preventing arms trafficking."
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
)

needs_datasette = pytest.mark.skipif(
    not web.datasette_installed(), reason="Datasette is not installed (pip install 'newsarchive[web]')"
)
needs_browser = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()) or importlib.util.find_spec("selenium") is None,
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver) and selenium",
)


@pytest.fixture
def archive_path(tmp_path: Path, make_record: Callable[..., dict[str, Any]]) -> Path:
    path = tmp_path / "tdi.db"
    db = open_archive(path)
    try:
        upsert_article(db, make_record(body_text=SEED_BODY))
        upsert_article(
            db,
            make_record(
                url=f"{BASE}/ammunition-only/",
                title="A note on ammunition",
                body_text="Ammunition stocks were counted. Nothing else happened.",
            ),
        )
        upsert_article(
            db,
            make_record(
                url=f"{BASE}/other-news/",
                title="Another conference",
                body_text="Delegations met in Geneva to talk about the climate.",
            ),
        )
    finally:
        db.close()
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newsarchive serve exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} seconds")


@pytest.fixture
def server(archive_path: Path, tmp_path: Path) -> Iterator[str]:
    """``newsarchive serve`` on a free port of 127.0.0.1; yields the base URL."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(archive_path), "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/-/versions.json", process)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _element(wait: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    return wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@needs_datasette
@needs_browser
def test_search_and_read_the_seed_article(server: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(f"{server}/tdi/articles")
    box = _element(wait, "input[name=_search]")
    box.send_keys("ammunition trafficking")
    box.submit()
    wait.until(expected_conditions.url_contains("_search="))
    table = _element(wait, "table.rows-and-columns")

    assert SEED_TITLE in table.text
    assert "A note on ammunition" not in table.text  # has "ammunition" but not "trafficking"
    assert "Another conference" not in table.text
    browser.save_screenshot(str(tmp_path / "search.png"))

    browser.find_element(By.CSS_SELECTOR, "table.rows-and-columns td.col-id a").click()
    body = _element(wait, ".newsarchive-article .body")
    screenshot = tmp_path / "article.png"
    browser.save_screenshot(str(screenshot))

    assert browser.current_url.endswith("/tdi/articles/1")
    assert browser.find_element(By.CSS_SELECTOR, ".newsarchive-article .title").text == SEED_TITLE
    assert "Inter-American Convention against Arms Fabrication and Trafficking (ICAFT)" in body.text
    assert "diversion of the arms and ammunition trade." in body.text
    assert "\n" in body.text  # paragraphs, not one long line
    assert screenshot.stat().st_size > 1000


@needs_datasette
@needs_browser
def test_article_list_facets_and_saved_queries(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(f"{server}/tdi/article_list?_search=ammunition")
    facets = _element(wait, ".facet-results")

    assert "section" in facets.text and "authors" in facets.text and "year" in facets.text
    assert SEED_TITLE in browser.find_element(By.CSS_SELECTOR, "table.rows-and-columns").text

    browser.get(f"{server}/tdi")
    page = _element(wait, "body").text
    for title in ("Latest articles", "Articles by author", "Edited after publication", "Missing or assumed"):
        assert title in page


@needs_datasette
def test_served_archive_is_read_only_with_metadata(server: str, archive_path: Path) -> None:
    before = archive_path.read_bytes()

    metadata = _get_json(f"{server}/-/metadata.json")
    databases = _get_json(f"{server}/-/databases.json")
    latest = _get_json(f"{server}/tdi/latest_articles.json?_shape=array")
    by_author = _get_json(f"{server}/tdi/articles_by_author.json?author=esparza&_shape=array")
    found = _get_json(f"{server}/tdi/article_list.json?_search=ammunition+trafficking&_shape=array")

    assert metadata["databases"]["tdi"]["tables"]["articles"]["fts_table"] == "articles_fts"
    assert [(db["name"], db["is_mutable"]) for db in databases] == [("tdi", False)]
    assert len(latest) == 3 and len(by_author) == 3
    assert [row["title"] for row in found] == [SEED_TITLE]
    assert found[0]["authors"] == "Carla Esparza Arteaga"
    assert archive_path.read_bytes() == before
