"""Raw capture: every HTTP exchange written to WARC files (warcio) beside the archive.

Each crawl writes its own gzipped WARC files (one gzip member per record, so any record can be read
from its offset) into ``<archive stem>-warc/`` next to the database: a ``warcinfo`` record, then for
each answer a ``response`` record (or a ``revisit`` record when the payload is the one already stored,
or the server answered 304) followed by the ``request`` record that asked for it. A file is closed and
a new one started once it holds ``max_size`` bytes.

:meth:`WarcStore.write` returns where the response record went; :func:`read_record` reads it back.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler import __version__

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    from warcio.recordloader import ArcWarcRecord

logger = logging.getLogger(__name__)

SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
#: Response headers not kept as received: the body is stored de-chunked, with its real length.
HOP_HEADERS = frozenset({"transfer-encoding", "content-length"})
DEFAULT_MAX_SIZE = 1024**3
#: zlib's default level: a payload received gzipped does not shrink further, HTML nearly as much as at 9.
GZIP_LEVEL = 6
#: Bytes of records buffered before they are written out; :meth:`WarcStore.write` writes them all.
WRITE_BUFFER = 1024 * 1024


def payload_digest(payload: bytes) -> str:
    """The WARC payload digest of ``payload``: ``sha1:`` and the base32 SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def warc_dir_for(db_path: str | Path) -> Path:
    """The WARC directory of an archive: ``archive.db`` -> ``archive-warc/`` beside it."""
    path = Path(db_path)
    return path.parent / f"{path.stem}-warc"


@dataclass(frozen=True)
class Revisit:
    """The earlier capture a revisit record refers to."""

    uri: str
    date: str
    digest: str | None


@dataclass(frozen=True)
class WarcLocation:
    """Where a response record was written."""

    #: The file, relative to the store's base directory.
    file: str
    offset: int
    length: int
    record_type: str
    payload_digest: str
    payload_length: int


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the answer to it, as sent and received."""

    url: str
    method: str
    request_headers: Sequence[tuple[str, str]]
    status: int
    response_headers: Sequence[tuple[str, str]]
    payload: bytes
    date: dt.datetime
    protocol: str = "HTTP/1.1"

    @classmethod
    def of(cls, request: Any, response: Any, date: dt.datetime) -> Exchange:
        """The exchange of a Scrapy ``request`` and its ``response`` (headers as sent and received)."""
        return cls(
            url=response.url,
            method=request.method,
            request_headers=[("Host", urlsplit(request.url).netloc), *_header_pairs(request.headers)],
            status=response.status,
            response_headers=_header_pairs(response.headers),
            payload=response.body,
            date=date,
        )


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's multi-valued bytes headers as ``(name, value)`` text pairs, repeats kept."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class _GzipMembers:
    """What a ``WARCWriter(gzip=False)`` writes to: each record becomes one gzip member of ``out``.

    warcio writes a record and then flushes; the flush ends the member. The file itself is not
    flushed here: :meth:`WarcStore.write` flushes it once both records of an exchange are written.
    """

    def __init__(self, out: BinaryIO, level: int = GZIP_LEVEL) -> None:
        self.out = out
        self.level = level
        self._compressor: Any = None

    def write(self, data: bytes) -> None:
        if self._compressor is None:
            self._compressor = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out.write(self._compressor.compress(data))

    def flush(self) -> None:
        if self._compressor is not None:
            self.out.write(self._compressor.flush())
            self._compressor = None

    def tell(self) -> int:
        return self.out.tell()


class WarcStore:
    """Append WARC records to ``directory/<prefix>-NNNNN.warc.gz``, starting a new file past ``max_size``."""

    def __init__(
        self,
        directory: str | Path,
        *,
        prefix: str,
        base_dir: str | Path | None = None,
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.base_dir = Path(base_dir) if base_dir is not None else self.directory.parent
        self.prefix = prefix
        self.max_size = max_size
        self.info = info or {}
        self.records = 0
        self._number = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        #: The current file relative to ``base_dir``, as :class:`WarcLocation` gives it.
        self._relative = ""

    # -- files ------------------------------------------------------------------------------------

    def _open(self) -> tuple[BinaryIO, WARCWriter, Path]:
        if self._file is not None and self._file.tell() >= self.max_size:
            self.close()
        if self._file is None or self._writer is None or self._path is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._number += 1
            self._path = self.directory / f"{self.prefix}-{self._number:05d}.warc.gz"
            self._file = self._path.open("ab", buffering=WRITE_BUFFER)
            self._relative = str(self._path.resolve().relative_to(self.base_dir.resolve()))
            self._writer = WARCWriter(_GzipMembers(self._file), gzip=False)
            info = {"software": f"newsarchive/{__version__}", "format": "WARC File Format 1.0", **self.info}
            self._writer.write_record(self._writer.create_warcinfo_record(self._path.name, info))
            self._file.flush()
            logger.info("Writing WARC records to %s", self._path)
        return self._file, self._writer, self._path

    def close(self) -> None:
        """Close the current file (the next record starts a new one)."""
        if self._file is not None:
            self._file.close()
        self._file = self._writer = self._path = None

    # -- records ----------------------------------------------------------------------------------

    def write(
        self, exchange: Exchange, *, revisit: Revisit | None = None, digest: str | None = None
    ) -> WarcLocation:
        """Write the response (or revisit) record of ``exchange`` and its request record.

        ``digest`` is the :func:`payload_digest` of the payload, if the caller has it already. Both
        records are in the file (flushed to the system) when this returns.
        """
        handle, writer, _ = self._open()
        digest = digest or payload_digest(exchange.payload)
        response = self._response_record(writer, exchange, digest, revisit)
        offset = handle.tell()
        writer.write_record(response)
        length = handle.tell() - offset
        request = self._request_record(writer, exchange, response.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(request)
        handle.flush()
        self.records += 2
        record_type = "revisit" if revisit is not None else "response"
        return WarcLocation(self._relative, offset, length, record_type, digest, len(exchange.payload))

    def _response_record(
        self, writer: WARCWriter, exchange: Exchange, digest: str, revisit: Revisit | None
    ) -> ArcWarcRecord:
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in HOP_HEADERS]
        if exchange.status != 304:
            headers.append(("Content-Length", str(len(exchange.payload))))
        http_headers = StatusAndHeaders(_status_line(exchange.status), headers, protocol=exchange.protocol)
        warc_date = {"WARC-Date": datetime_to_iso_date(exchange.date)}
        if revisit is None:
            # The headers in warcio's order, the payload digest given: warcio does not compute it again.
            warc_headers = {
                **warc_date,
                "WARC-Type": "response",
                "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
                "WARC-Target-URI": exchange.url,
                "WARC-Payload-Digest": digest,
            }
            return writer.create_warc_record(
                exchange.url,
                "response",
                payload=BytesIO(exchange.payload),
                length=len(exchange.payload),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
        if exchange.status == 304:
            record = writer.create_warc_record(
                exchange.url, "revisit", http_headers=http_headers, warc_headers_dict=warc_date
            )
            record.rec_headers.add_header("WARC-Profile", SERVER_NOT_MODIFIED)
            record.rec_headers.add_header("WARC-Refers-To-Target-URI", revisit.uri)
            record.rec_headers.add_header("WARC-Refers-To-Date", revisit.date)
            if revisit.digest:
                record.rec_headers.add_header("WARC-Payload-Digest", revisit.digest)
            return record
        return writer.create_revisit_record(
            exchange.url,
            digest=digest,
            refers_to_uri=revisit.uri,
            refers_to_date=revisit.date,
            http_headers=http_headers,
            warc_headers_dict=warc_date,
        )

    @staticmethod
    def _request_record(writer: WARCWriter, exchange: Exchange, concurrent_to: str | None) -> ArcWarcRecord:
        line = f"{exchange.method} {_target(exchange.url)} {exchange.protocol}"
        http_headers = StatusAndHeaders(line, list(exchange.request_headers), is_http_request=True)
        extra = {"WARC-Date": datetime_to_iso_date(exchange.date)}
        if concurrent_to:
            extra["WARC-Concurrent-To"] = concurrent_to
        return writer.create_warc_record(
            exchange.url, "request", payload=BytesIO(b""), length=0, http_headers=http_headers,
            warc_headers_dict=extra,
        )  # fmt: skip


def _status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{status} {phrase}".strip()


def _target(url: str) -> str:
    """The request target of an absolute URL (path and query)."""
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


@dataclass(frozen=True)
class StoredResponse:
    """A response read back from a WARC file."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    #: The body, with any Content-Encoding (gzip, deflate, br) undone.
    body: bytes
    date: str
    record_type: str


def read_record(base_dir: str | Path, file: str, offset: int) -> StoredResponse:
    """Read the response record at ``offset`` of ``file`` (relative to ``base_dir``)."""
    path = Path(base_dir) / file
    with path.open("rb") as handle:
        handle.seek(offset)
        for record in ArchiveIterator(handle):
            http = record.http_headers
            body = record.content_stream().read()
            return StoredResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http.get_statuscode()) if http else 0,
                headers=list(http.headers) if http else [],
                body=body,
                date=record.rec_headers.get_header("WARC-Date"),
                record_type=record.rec_type,
            )
    raise ValueError(f"no WARC record at offset {offset} of {path}")
