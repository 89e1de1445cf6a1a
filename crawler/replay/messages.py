"""Requests and responses of the replay server, and the builders of its answers.

A :class:`ReplayResponse` is plain data until it is sent, so a hook can change it (status, headers,
body) before it goes out.

Compression works as on a web server with nginx's ``gzip_static on``: a client that accepts gzip gets
the precompressed copy of a file (``NAME.gz`` beside it, not older than it) as is, and otherwise the
file compressed on the fly at nginx's default level (``gzip_comp_level 1``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import os
import stat
import threading
from dataclasses import dataclass, field, replace
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

UTF8 = "; charset=UTF-8"
CONTENT_TYPES = {
    ".html": "text/html" + UTF8,
    ".htm": "text/html" + UTF8,
    ".xml": "application/xml" + UTF8,
    ".xsl": "application/xml" + UTF8,
    ".txt": "text/plain" + UTF8,
    ".json": "application/json" + UTF8,
    ".css": "text/css" + UTF8,
    ".js": "application/javascript" + UTF8,
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".gz": "application/gzip",
}
RSS = "application/rss+xml" + UTF8
ATOM = "application/atom+xml" + UTF8
COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml", "application/atom+xml",
                "application/json", "application/javascript", "image/svg+xml")  # fmt: skip
ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><h1>{title}</h1></body></html>\n"
)
#: Headers a 304 Not Modified repeats.
VALIDATORS = ("ETag", "Last-Modified", "Vary")
#: Statuses whose responses carry no body (and no Content-Length).
BODILESS = frozenset({204, 304})
#: Level of on-the-fly compression: nginx's default ``gzip_comp_level`` (Apache's mod_deflate uses 6).
GZIP_LEVEL = 1
#: Suffix of the precompressed copy of a file, as nginx's ``gzip_static`` looks for it.
GZIP_SUFFIX = ".gz"
#: ETags kept by file identity (path, inode, size, modification and change times), oldest dropped first.
ETAG_CACHE_SIZE = 16_384


@dataclass(frozen=True)
class ReplayRequest:
    """One request as the server understood it."""

    method: str
    scheme: str
    #: ``host[:port]`` as requested, lower-cased.
    netloc: str
    #: The host name, without port and trailing dot.
    host: str
    #: The URL path, still percent-encoded, without the query string.
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The absolute URL: scheme, host, path and query."""
        return f"{self.scheme}://{self.netloc}{self.path}" + (f"?{self.query}" if self.query else "")

    def absolute(self, location: str) -> str:
        """``location`` made absolute against the requested site."""
        return f"{self.scheme}://{self.netloc}{location}" if location.startswith("/") else location

    def header(self, name: str) -> str | None:
        """The value of the request header ``name`` (case-insensitive), or None."""
        return self._lower_headers.get(name.lower())

    @functools.cached_property
    def _lower_headers(self) -> dict[str, str]:
        # The first of the names that differ only by case, as a lookup in order would find.
        lowered: dict[str, str] = {}
        for key, value in self.headers.items():
            lowered.setdefault(key.lower(), value)
        return lowered


@dataclass
class ReplayResponse:
    """A response before it is sent: status, headers (without Content-Length) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def content_type(path: Path | str) -> str:
    """The Content-Type of the saved file ``path``."""
    # String operations rather than pathlib: this runs for every file served.
    folder, _, name = os.fspath(path).rpartition(os.sep)
    if name == "index.xml":
        folder, _, parent = folder.rpartition(os.sep)
        if parent == "feed":
            return RSS
        if parent == "atom" and folder.rpartition(os.sep)[2] == "feed":
            return ATOM
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def file_answer(
    request: ReplayRequest,
    path: Path,
    last_modified: datetime,
    extra_headers: dict[str, str] | None = None,
    info: os.stat_result | None = None,
) -> ReplayResponse:
    """The answer to a GET or HEAD of the saved file ``path`` (``os.stat`` ``info``), with its ETag, the
    fixed ``last_modified`` date and ``extra_headers``: 304 when the request's validators match, else
    200 with the precompressed copy (``NAME.gz``), the file compressed on the fly or the file itself.

    The ETag is that of the file's own bytes, whichever encoding is sent; it is kept by file identity
    (:data:`ETAG_CACHE_SIZE`), so a file that stays the same is hashed once, and a 304 reads nothing.
    """
    name = os.fspath(path)
    body: bytes | None = None
    if info is None:
        body, info = _read(name)
    key = _identity(name, info)
    tag = _etags.get(key)
    if tag is None:
        if body is None:
            body, info = _read(name)
            key = _identity(name, info)
        tag = _etags.remember(key, etag(body))
    headers = {
        "Content-Type": content_type(name),
        "Last-Modified": _cached_http_date(last_modified),
        "ETag": tag,
    }
    if extra_headers:
        headers.update(extra_headers)
    compressible = info.st_size > 0 and headers.get("Content-Type", "").startswith(COMPRESSIBLE)
    if compressible:
        headers["Vary"] = "Accept-Encoding"
    response = apply_conditional(request, ReplayResponse(200, headers))
    if response.status != 200:
        return response
    if compressible and accepts_gzip(request.header("Accept-Encoding") or ""):
        headers["Content-Encoding"] = "gzip"
        precompressed = _read_precompressed(name, info)
        if precompressed is not None:
            response.body = precompressed
            return response
        if body is None:
            body, _ = _read(name)
        response.body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        return response
    response.body = body if body is not None else _read(name)[0]
    return response


def error_response(status: int, body: bytes | None = None) -> ReplayResponse:
    """``status`` with ``body`` or a small HTML page naming the status."""
    if body is None:
        title = f"{status} {_phrase(status)}".strip()
        body = ERROR_PAGE.format(title=title).encode("utf-8")
    return ReplayResponse(status, {"Content-Type": "text/html" + UTF8}, body)


def text_response(status: int, text: str, **headers: str) -> ReplayResponse:
    """``status`` with a plain-text body (the server's own messages)."""
    return ReplayResponse(status, {"Content-Type": "text/plain" + UTF8, **headers}, text.encode("utf-8"))


def redirect_response(location: str, status: int = 301) -> ReplayResponse:
    """A redirect to the absolute URL ``location``, with an empty body (as WordPress sends)."""
    return ReplayResponse(status, {"Content-Type": "text/html" + UTF8, "Location": location})


def etag(body: bytes) -> str:
    """A strong ETag of ``body``."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def http_date(moment: datetime) -> str:
    """``moment`` in the HTTP date format."""
    return format_datetime(moment, usegmt=True)


_cached_http_date = functools.lru_cache(maxsize=64)(http_date)


def apply_conditional(request: ReplayRequest, response: ReplayResponse) -> ReplayResponse:
    """304 Not Modified when the request's validators match a 200 response."""
    if response.status != 200 or request.method not in ("GET", "HEAD"):
        return response
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        matched = _etag_matches(if_none_match, response.headers.get("ETag", ""))
    else:
        last_modified = response.headers.get("Last-Modified")
        matched = _not_modified_since(request.header("If-Modified-Since"), last_modified)
    if not matched:
        return response
    kept = {name: value for name, value in response.headers.items() if name in VALIDATORS}
    return ReplayResponse(304, kept)


def apply_gzip(request: ReplayRequest, response: ReplayResponse) -> ReplayResponse:
    """Gzip a text body (at :data:`GZIP_LEVEL`) when the client accepts gzip and it is not yet encoded."""
    if not response.body or not response.headers.get("Content-Type", "").startswith(COMPRESSIBLE):
        return response
    headers = {**response.headers, "Vary": "Accept-Encoding"}
    if "Content-Encoding" in headers or not accepts_gzip(request.header("Accept-Encoding") or ""):
        return replace(response, headers=headers)
    headers["Content-Encoding"] = "gzip"
    return replace(response, headers=headers, body=gzip.compress(response.body, GZIP_LEVEL, mtime=0))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value allows gzip."""
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return not _is_zero_quality(params)
    return False


class _ETagCache:
    """ETags by file identity, so that a file is hashed once while it stays the same."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tags: dict[tuple[str, int, int, int, int], str] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int, int, int]) -> str | None:
        return self._tags.get(key)

    def remember(self, key: tuple[str, int, int, int, int], tag: str) -> str:
        with self._lock:
            if len(self._tags) >= self.size:
                del self._tags[next(iter(self._tags))]
            self._tags[key] = tag
        return tag

    def clear(self) -> None:
        with self._lock:
            self._tags.clear()


_etags = _ETagCache(ETAG_CACHE_SIZE)


def _identity(name: str, info: os.stat_result) -> tuple[str, int, int, int, int]:
    return (name, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _read(name: str) -> tuple[bytes, os.stat_result]:
    """The bytes of the file ``name`` and its ``os.stat`` when they were read."""
    fd = os.open(name, os.O_RDONLY)
    try:
        info = os.fstat(fd)
        return _read_all(fd, info.st_size), info
    finally:
        os.close(fd)


def _read_precompressed(name: str, info: os.stat_result) -> bytes | None:
    """The bytes of ``NAME.gz`` when it is a regular file (no symbolic link) not older than ``NAME``."""
    try:
        fd = os.open(name + GZIP_SUFFIX, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except (OSError, ValueError):
        return None
    try:
        sibling = os.fstat(fd)
        if not stat.S_ISREG(sibling.st_mode) or sibling.st_mtime_ns < info.st_mtime_ns:
            return None
        return _read_all(fd, sibling.st_size)
    finally:
        os.close(fd)


def _read_all(fd: int, size: int) -> bytes:
    """Read ``fd`` to its end; ``size`` (from fstat) makes that one read call unless the file changes."""
    data = os.read(fd, size + 1)
    if len(data) == size:
        return data
    chunks = [data]
    while chunk := os.read(fd, 1024 * 1024):
        chunks.append(chunk)
    return b"".join(chunks)


def _is_zero_quality(params: str) -> bool:
    name, _, value = params.strip().partition("=")
    if name.strip().lower() != "q":
        return False
    try:
        return float(value) == 0
    except ValueError:
        return False


def _etag_matches(header: str, current: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or current in tags


def _not_modified_since(header: str | None, last_modified: str | None) -> bool:
    if not header or not last_modified:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return parsedate_to_datetime(last_modified) <= since


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
