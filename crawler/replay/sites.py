"""Saved site folders: find them on disk and map URL paths to their files.

A site folder is named after its host (``sites/thediplomaticinsight.com/``) and holds one file per
URL, as WordPress serves them: ``/a/b/`` is ``a/b/index.html`` (or ``a/b/index.xml``), ``/`` is
``index.html``, ``/sitemap.xml`` is ``sitemap.xml``. An optional ``_site.json`` at the site root
lists paths that answer with another status or redirect, extra response headers and the
``Last-Modified`` date of every file; an optional ``404.html`` is the body of "not found" answers.
A file may have a gzip-compressed copy beside it (``a/b/index.html.gz``): it is sent as is to clients
that accept gzip (see :func:`crawler.replay.messages.file_answer`); it is no page of its own.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

logger = logging.getLogger(__name__)

#: ``Last-Modified`` of every file when ``_site.json`` gives no ``last_modified``.
DEFAULT_LAST_MODIFIED = datetime(2024, 1, 1, tzinfo=timezone.utc)
SITE_CONFIG = "_site.json"
NOT_FOUND_PAGE = "404.html"
INDEX_FILES = ("index.html", "index.xml")
#: Suffix of the precompressed copy of a file (``a/b/index.html.gz``).
GZIP_SUFFIX = ".gz"
#: Files of the site root that are no pages of the site (nor are their precompressed copies).
RESERVED = frozenset({SITE_CONFIG, NOT_FOUND_PAGE, SITE_CONFIG + GZIP_SUFFIX, NOT_FOUND_PAGE + GZIP_SUFFIX})
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
    #: ``os.stat`` of ``file`` as found when resolving.
    stat: os.stat_result | None = field(default=None, compare=False, repr=False)


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
        decoded = unquote(path) if "%" in path else path
        headers = dict(self.headers)
        if self.path_headers:
            headers.update(self.path_headers.get(path, self.path_headers.get(decoded, {})))
        for key in (path, decoded):
            if key in self.redirects:
                return Resolution(301, location=self.redirects[key], headers=headers)
            if key in self.statuses:
                return Resolution(self.statuses[key], headers=headers)
        return self._resolve_file(path, decoded, headers)

    def _resolve_file(self, path: str, decoded: str, headers: dict[str, str]) -> Resolution:
        segments = _segments(decoded)
        if segments is None:
            return Resolution(404, headers=headers)
        if decoded.endswith("/"):
            for name in INDEX_FILES:
                found = self._lookup([*segments, name])
                if found is not None and stat.S_ISREG(found[1].st_mode):
                    return Resolution(200, file=Path(found[0]), headers=headers, stat=found[1])
            return Resolution(404, headers=headers)
        found = self._lookup(segments)
        if found is not None and stat.S_ISREG(found[1].st_mode):
            return Resolution(200, file=Path(found[0]), headers=headers, stat=found[1])
        if found is not None and stat.S_ISDIR(found[1].st_mode):
            return Resolution(301, location=path + "/", headers=headers)
        return Resolution(404, headers=headers)

    @cached_property
    def _root_prefix(self) -> str:
        """The site folder with a trailing separator."""
        return str(self.root).rstrip(os.sep) + os.sep

    def _lookup(self, segments: list[str]) -> tuple[str, os.stat_result] | None:
        """The file system path of ``segments`` (at least one) under the site folder and its ``os.stat``;
        None when it is missing or resolves (through a symbolic link) outside the site folder."""
        # One lstat per segment (strings, not pathlib: this runs for every request): with no symbolic
        # link on the way the path stays in the site folder.
        current = self._root_prefix[:-1]
        for segment in segments:
            current = current + os.sep + segment
            try:
                info = os.lstat(current)
            except (OSError, ValueError):
                return None
            if stat.S_ISLNK(info.st_mode):
                return self._lookup_through_link(Path(self._root_prefix, *segments))
        return current, info

    def _lookup_through_link(self, target: Path) -> tuple[str, os.stat_result] | None:
        try:
            real = target.resolve(strict=True)
            real.relative_to(self.root)
            return str(target), real.stat()
        except (OSError, ValueError, RuntimeError):
            return None


def _segments(decoded: str) -> list[str] | None:
    """The path segments of ``decoded``, or None if it could leave the site folder or names no page."""
    if not decoded.startswith("/") or "\\" in decoded or "\x00" in decoded:
        return None
    segments = [segment for segment in decoded.split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        return None
    if len(segments) == 1 and segments[0] in RESERVED:
        return None
    return segments


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
