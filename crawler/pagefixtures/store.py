"""Reading and writing saved pages and their expected output (``fixtures/pages/<site>/``)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from w3lib.encoding import http_content_type_encoding

logger = logging.getLogger(__name__)

#: The fields of ``extract_article``'s output that a saved page's expected output holds.
FIXTURE_FIELDS = (
    "url",
    "page_type",
    "post_id",
    "title",
    "subtitle",
    "authors",
    "author_details",
    "published",
    "published_raw",
    "modified",
    "section_path",
    "categories",
    "tags",
    "featured_image",
    "images",
    "embeds",
    "body_text",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "language",
    "flags",
    "field_sources",
    "field_layers",
    "profile",
    "page_module",
)
_NAME = re.compile(r"[^a-z0-9]+")


def default_root() -> Path:
    """``fixtures/pages`` of the current directory (run from the project's root)."""
    return Path("fixtures") / "pages"


@dataclass
class PageFixture:
    """One saved page."""

    site: str
    name: str
    root: Path
    meta: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] | None = None

    @property
    def folder(self) -> Path:
        return self.root / self.site

    @property
    def html_path(self) -> Path:
        return self.folder / f"{self.name}.html"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.name}.meta.json"

    @property
    def expected_path(self) -> Path:
        return self.folder / f"{self.name}.expected.json"

    @property
    def id(self) -> str:
        """``<site>/<name>``."""
        return f"{self.site}/{self.name}"

    @property
    def url(self) -> str:
        """The URL the page was finally fetched from (after redirects)."""
        return str(self.meta.get("final_url") or self.meta["url"])

    @property
    def encoding(self) -> str | None:
        return http_content_type_encoding(self.meta.get("content_type") or "")

    def html(self) -> bytes:
        return self.html_path.read_bytes()

    def save_page(self, body: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.html_path.write_bytes(body)
        _write_json(self.meta_path, self.meta)

    def save_expected(self, record: dict[str, Any]) -> None:
        self.expected = expected_of(record)
        _write_json(self.expected_path, self.expected)


def expected_of(record: dict[str, Any]) -> dict[str, Any]:
    """The :data:`FIXTURE_FIELDS` of an ``extract_article`` record, as JSON would give them back."""
    return json.loads(json.dumps({name: record.get(name) for name in FIXTURE_FIELDS}, ensure_ascii=False))


def load_fixtures(root: str | Path | None = None, *, site: str | None = None) -> list[PageFixture]:
    """Every saved page under ``root`` (of one ``site`` if given), sorted by site and name."""
    base = Path(root) if root is not None else default_root()
    if not base.is_dir():
        return []
    found = []
    for meta_path in sorted(base.glob("*/*.meta.json")):
        fixture = PageFixture(meta_path.parent.name, meta_path.name[: -len(".meta.json")], base)
        if site and fixture.site != site:
            continue
        fixture.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if fixture.expected_path.is_file():
            fixture.expected = json.loads(fixture.expected_path.read_text(encoding="utf-8"))
        found.append(fixture)
    return found


def new_fixture(root: str | Path, site: str, url: str) -> PageFixture:
    """A fixture for ``url`` under ``root/site``: named after the URL's path, unique in the folder."""
    base = Path(root)
    name = fixture_name(url)
    folder = base / site
    candidate, n = name, 2
    while (folder / f"{candidate}.meta.json").exists():
        candidate = f"{name}-{n}"
        n += 1
    return PageFixture(site, candidate, base)


def find_fixture(root: str | Path, site: str, url: str) -> PageFixture | None:
    """The saved page of ``url`` in ``root/site``, if there is one."""
    for fixture in load_fixtures(root, site=site):
        if url in (fixture.meta.get("url"), fixture.meta.get("final_url")):
            return fixture
    return None


def fixture_name(url: str) -> str:
    """A file name for ``url``: its last path segments, lower-cased (``index`` for the home page)."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if segments and re.fullmatch(r"\d+", segments[-1]) and len(segments) > 1:
        segments = segments[-2:]
    text = "-".join(segments[-1:] if segments and not re.fullmatch(r"\d+", segments[-1]) else segments)
    name = _NAME.sub("-", text.lower()).strip("-")[:80].strip("-")
    if parts.query:
        name = f"{name}-{_NAME.sub('-', parts.query.lower()).strip('-')[:30]}".strip("-")
    return name or "index"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
