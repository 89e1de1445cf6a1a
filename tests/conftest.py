"""Shared pytest fixtures."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from archive import open_archive

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import sqlite_utils

BASE = "https://thediplomaticinsight.com"

ARTICLE_RECORD: dict[str, Any] = {
    "url": f"{BASE}/icaft-conference-of-oas-led-by-mexico/",
    "url_raw": f"{BASE}/icaft-conference-of-oas-led-by-mexico/?utm_source=feed",
    "site": "tdi",
    "fetched_at": "2026-11-27T22:10:00+00:00",
    "page_type": "article",
    "post_id": 48123,
    "title": "ICAFT Conference of OAS led by Mexico",
    "subtitle": None,
    "authors": [
        {
            "name": "Carla Esparza Arteaga",
            "url": f"{BASE}/author/carla-esparza-arteaga/",
            "website": BASE,
            "bio": "International Relations student at the Universidad de Navarra in Spain.",
        }
    ],
    "published_raw": "2021-10-06T02:14:32+05:00",
    "published_source": "meta:article:published_time",
    "modified_raw": "2021-10-07T10:00:00+05:00",
    "modified_source": "meta:article:modified_time",
    "visible_date_raw": "6 October 2021",
    "dateline_place": "Mexico City",
    "dateline_raw": "6 October 2021",
    "section_path": ["News", "Diplomatic News"],
    "categories": [
        {"name": "Diplomatic News", "url": f"{BASE}/category/news/diplomatic-news/"},
        {"name": "News", "url": f"{BASE}/category/news/"},
    ],
    "tags": [
        {"name": "OAS", "url": f"{BASE}/tag/oas/"},
        {"name": "Mexico", "url": f"{BASE}/tag/mexico/"},
    ],
    "featured_image": {
        "url": f"{BASE}/wp-content/uploads/2021/10/icaft.jpg",
        "caption": "Delegates at the conference",
        "alt": "ICAFT conference",
        "role": "featured",
        "width": 1200,
        "height": 800,
    },
    "language": "en-US",
    "site_timezone": "Asia/Karachi",
    "field_sources": {"title": "css:.tdb-title-text", "published_raw": "meta:article:published_time"},
    "body_html": "<p>Mexico City, 6 October 2021 (TDI): The Inter-American Committee met.</p>",
    "body_text": "Mexico City, 6 October 2021 (TDI): The Inter-American Committee against terrorism met.\n\n"
    "Delegations discussed cooperation on border security.",
    "images": [
        {
            "url": f"{BASE}/wp-content/uploads/2021/10/delegates.jpg",
            "caption": "Delegates",
            "alt": None,
            "role": "inline",
            "width": 640,
            "height": 480,
        }
    ],
    "embeds": [{"kind": "twitter", "url": "https://twitter.com/OAS_official/status/1445"}],
    "stripped": {"ad": 2, "share": 1, "author_box": 1},
    "published": "2021-10-06T02:14:32+05:00",
    "modified": "2021-10-07T10:00:00+05:00",
    "dateline_date": "2021-10-06",
    "flags": [],
    "section": "Diplomatic News",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of an archive file that does not exist yet."""
    return tmp_path / "archive.db"


@pytest.fixture
def fresh_db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """A newly created, fully migrated archive; closed after the test."""
    db = open_archive(db_path)
    yield db
    db.close()


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """Factory of article records (``Article.to_record()`` shape); keyword arguments override fields."""

    def make(**overrides: Any) -> dict[str, Any]:
        record = copy.deepcopy(ARTICLE_RECORD)
        record.update(overrides)
        return record

    return make
