"""Save pages as fixtures: fetched now (live or from a replayed copy), or taken from an archive's captures."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawler.pagefixtures.check import replay
from crawler.pagefixtures.store import find_fixture, new_fixture

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from crawler.fetch import Fetched
    from crawler.pagefixtures.store import PageFixture

logger = logging.getLogger(__name__)


class RecordError(RuntimeError):
    """A page that cannot be saved (not fetched, not a 200 answer, already saved)."""


def site_of(url: str, html: bytes) -> str:
    """The folder of a page: its site profile's name, else its host."""
    from crawler.extract import choose_profile

    return choose_profile(html, url).name


def record_urls(
    urls: list[str],
    fetch: Callable[[str], Fetched],
    *,
    root: str | Path,
    source: str = "live",
    overwrite: bool = False,
) -> list[PageFixture]:
    """Fetch every URL, save the page and write its expected output from the current extraction."""
    saved = []
    for url in urls:
        fetched = fetch(url)
        if fetched.status != 200:
            raise RecordError(f"{url}: HTTP {fetched.status}, not saved")
        meta = {
            "url": url,
            "final_url": fetched.final_url,
            "fetched_at": fetched.fetched_at,
            "status": fetched.status,
            "content_type": fetched.headers.get("content-type"),
            "source": source,
        }
        saved.append(_save(url, fetched.body, meta, root=root, overwrite=overwrite))
    return saved


def record_from_archive(
    urls: list[str], db_path: str | Path, *, root: str | Path, overwrite: bool = False
) -> list[PageFixture]:
    """Save the newest stored capture of every URL of the archive ``db_path`` (its WARC record)."""
    from pathlib import Path

    from archive import open_archive
    from archive.captures import latest_ok, payload_of
    from crawler.warc import read_record

    db = open_archive(db_path, readonly=True)
    saved = []
    try:
        for url in urls:
            capture = latest_ok(db, [url])
            capture = payload_of(db, capture) if capture is not None else None
            if capture is None:
                raise RecordError(f"{url}: no stored capture in {db_path}")
            stored = read_record(Path(db_path).parent, capture["warc_file"], capture["warc_offset"])
            meta = {
                "url": url,
                "final_url": stored.url or url,
                "fetched_at": capture["fetched_at"],
                "status": stored.status,
                "content_type": capture["content_type"],
                "source": "archive",
            }
            saved.append(_save(url, stored.body, meta, root=root, overwrite=overwrite))
    finally:
        db.close()
    return saved


def _save(url: str, body: bytes, meta: dict[str, Any], *, root: str | Path, overwrite: bool) -> PageFixture:
    site = site_of(meta["final_url"], body)
    fixture = find_fixture(root, site, url)
    if fixture is not None and not overwrite:
        raise RecordError(f"{url}: already saved as {fixture.html_path} (use --overwrite to replace it)")
    fixture = fixture or new_fixture(root, site, url)
    fixture.meta = meta
    fixture.save_page(body)
    fixture.save_expected(replay(fixture))
    logger.info("Saved %(url)s as %(path)s", {"url": url, "path": fixture.html_path})
    return fixture
