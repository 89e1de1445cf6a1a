"""Saved site folders: find them on disk and map URL paths to their files.

A site folder is named after its host (``sites/thediplomaticinsight.com/``) and holds one file per
URL, as WordPress serves them: ``/a/b/`` is ``a/b/index.html`` (or ``a/b/index.xml``), ``/`` is
``index.html``, ``/sitemap.xml`` is ``sitemap.xml``. An optional ``_site.json`` at the site root
lists paths that answer with another status or redirect, extra response headers and the
``Last-Modified`` date of every file; an optional ``404.html`` is the body of "not found" answers.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

logger = logging.getLogger(__name__)

#: ``Last-Modified`` of every file when ``_site.json`` gives no ``last_modified``.
DEFAULT_LAST_MODIFIED = datetime(2024, 1, 1, tzinfo=timezone.utc)
SITE_CONFIG = "_site.json"
NOT_FOUND_PAGE = "404.html"
INDEX_FILES = ("index.html", "index.xml")
#: Files of the site root that are no pages of the site.
RESERVED = frozenset({SITE_CONFIG, NOT_FOUND_PAGE})
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", re.I)


class ReplayError(Exception):
    """A saved site directory that cannot be replayed."""


@dataclass(frozen=True)
class Resolution:
    """What a site answers for one path: a file, a redirect or a bare status."""

    status: int
    file: Path | None = None
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """One saved site: its host, its folder and the settings of its ``_site.json``."""

    host: str
    root: Path
    statuses: dict[str, int] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    path_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    last_modified: datetime = DEFAULT_LAST_MODIFIED

    @classmethod
    def load(cls, root: Path, host: str | None = None) -> Site:
        """Read the site folder ``root`` (its name is the host unless ``host`` is given)."""
        site = cls(host=(host or root.name).lower(), root=root.resolve())
        config_path = root / SITE_CONFIG
        if config_path.is_file():
            try:
                site._configure(_read_config(config_path))
            except (AttributeError, TypeError, ValueError) as exc:
                raise ReplayError(f"bad {SITE_CONFIG} in {root}: {exc}") from exc
        return site

    def _configure(self, config: dict[str, Any]) -> None:
        self.statuses = {str(path): int(status) for path, status in config.get("status", {}).items()}
        self.redirects = {str(path): str(target) for path, target in config.get("redirects", {}).items()}
        for name, value in config.get("headers", {}).items():
            if isinstance(value, dict):
                self.path_headers[name] = {str(k): str(v) for k, v in value.items()}
            else:
                self.headers[name] = str(value)
        if config.get("last_modified"):
            self.last_modified = _parse_date(config["last_modified"])

    @property
    def not_found_page(self) -> Path | None:
        """The site's ``404.html``, if it has one."""
        page = self.root / NOT_FOUND_PAGE
        return page if page.is_file() else None

    def resolve(self, path: str) -> Resolution:
        """Answer the URL path ``path`` (percent-encoded, without the query string)."""
        decoded = unquote(path)
        headers = {**self.headers, **self.path_headers.get(path, self.path_headers.get(decoded, {}))}
        for key in (path, decoded):
            if key in self.redirects:
                return Resolution(301, location=self.redirects[key], headers=headers)
            if key in self.statuses:
                return Resolution(self.statuses[key], headers=headers)
        resolution = self._resolve_file(path, decoded)
        return Resolution(resolution.status, resolution.file, resolution.location, headers)

    def _resolve_file(self, path: str, decoded: str) -> Resolution:
        target = self._safe_path(decoded)
        if target is None:
            return Resolution(404)
        if decoded.endswith("/"):
            return _index_of(target)
        if target.is_file():
            return Resolution(200, file=target)
        if target.is_dir():
            return Resolution(301, location=path + "/")
        return Resolution(404)

    def _safe_path(self, decoded: str) -> Path | None:
        """The file system path of ``decoded``, or None if it could leave the site folder."""
        if not decoded.startswith("/") or "\\" in decoded or "\x00" in decoded:
            return None
        segments = [segment for segment in decoded.split("/") if segment]
        if any(segment in (".", "..") for segment in segments):
            return None
        if len(segments) == 1 and segments[0] in RESERVED:
            return None
        target = self.root.joinpath(*segments)
        try:
            target.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return None
        return target


def _index_of(folder: Path) -> Resolution:
    for name in INDEX_FILES:
        if (folder / name).is_file():
            return Resolution(200, file=folder / name)
    return Resolution(404)


def load_sites(sites_dir: str | Path) -> dict[str, Site]:
    """The sites of ``sites_dir`` by host: a folder of site folders, or one site folder."""
    root = Path(sites_dir)
    if not root.exists():
        raise ReplayError(f"sites directory {str(root)!r} does not exist")
    if not root.is_dir():
        raise ReplayError(f"sites directory {str(root)!r} is not a directory")
    if _is_site_folder(root):
        site = Site.load(root, host=root.resolve().name)
        return {site.host: site}
    sites = {}
    for child in sorted(root.iterdir()):
        if child.is_dir() and HOST_RE.match(child.name) and ("." in child.name or _is_site_folder(child)):
            site = Site.load(child)
            sites[site.host] = site
    if not sites:
        raise ReplayError(
            f"no site folder in {str(root)!r} (expected one folder per host, e.g. {root}/example.com/)"
        )
    return sites


def _is_site_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in (*INDEX_FILES, SITE_CONFIG))


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReplayError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict):
        raise ReplayError(f"{path} must hold a JSON object")
    return config


def _parse_date(value: str) -> datetime:
    try:
        date = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ReplayError(f"bad last_modified date {value!r} in {SITE_CONFIG}") from exc
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)
