"""Requests and responses of the replay server, and the builders of its answers.

A :class:`ReplayResponse` is plain data until it is sent, so a hook can change it (status, headers,
body) before it goes out.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
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
        name = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == name), None)


@dataclass
class ReplayResponse:
    """A response before it is sent: status, headers (without Content-Length) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def content_type(path: Path) -> str:
    """The Content-Type of the saved file ``path``."""
    if path.name == "index.xml" and path.parent.name == "feed":
        return RSS
    if path.name == "index.xml" and path.parent.name == "atom" and path.parent.parent.name == "feed":
        return ATOM
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def file_response(path: Path, last_modified: datetime) -> ReplayResponse:
    """200 with the bytes of ``path``, its ETag and the fixed ``last_modified`` date."""
    body = path.read_bytes()
    headers = {
        "Content-Type": content_type(path),
        "Last-Modified": http_date(last_modified),
        "ETag": etag(body),
    }
    return ReplayResponse(200, headers, body)


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
    """Gzip a text body when the client accepts gzip."""
    if not response.body or not response.headers.get("Content-Type", "").startswith(COMPRESSIBLE):
        return response
    headers = {**response.headers, "Vary": "Accept-Encoding"}
    if not accepts_gzip(request.header("Accept-Encoding") or ""):
        return replace(response, headers=headers)
    headers["Content-Encoding"] = "gzip"
    return replace(response, headers=headers, body=gzip.compress(response.body, mtime=0))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value allows gzip."""
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return not _is_zero_quality(params)
    return False


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
