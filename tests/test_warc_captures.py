"""Raw capture: WARC records written with warcio, read back by offset; capture rows; revisits."""

from __future__ import annotations

import datetime as dt
import gzip
from typing import TYPE_CHECKING

from warcio.archiveiterator import ArchiveIterator

from archive.captures import add_capture, captures_of, last_payload, latest_ok, payload_of
from crawler.warc import Exchange, Revisit, WarcStore, payload_digest, read_record, warc_dir_for

if TYPE_CHECKING:
    from pathlib import Path

    import sqlite_utils

URL = "http://thediplomaticinsight.com/al-ula-summit-ends-gulf-rift/"
DATE = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
HTML = b"<!DOCTYPE html><html><body><p>Al-Ula</p></body></html>"


def _exchange(
    status: int = 200, payload: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> Exchange:
    return Exchange(
        url=URL,
        method="GET",
        request_headers=[("Host", "thediplomaticinsight.com"), ("Accept-Encoding", "gzip")],
        status=status,
        response_headers=headers or [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
        payload=payload,
        date=DATE,
    )


def test_records_are_read_back_by_offset(tmp_path: Path) -> None:
    store = WarcStore(tmp_path / "a-warc", prefix="tdi-1", base_dir=tmp_path)
    gzipped = gzip.compress(HTML, mtime=0)
    first = store.write(
        _exchange(200, gzipped, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    )
    revisit = store.write(
        _exchange(200, gzipped, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
        revisit=Revisit(URL, "2026-11-20T10:00:00Z", first.payload_digest),
    )
    not_modified = store.write(_exchange(304, b"", [("ETag", '"e"')]), revisit=Revisit(URL, "x", None))
    store.close()

    assert first.file == "a-warc/tdi-1-00001.warc.gz"
    assert (first.record_type, revisit.record_type, not_modified.record_type) == (
        "response",
        "revisit",
        "revisit",
    )
    assert first.payload_digest == payload_digest(gzipped) == revisit.payload_digest
    body = read_record(tmp_path, first.file, first.offset)
    assert (body.status, body.body, body.url) == (200, HTML, URL)
    assert ("Content-Length", str(len(gzipped))) in body.headers
    assert read_record(tmp_path, revisit.file, revisit.offset).body == b""
    assert read_record(tmp_path, not_modified.file, not_modified.offset).status == 304


def test_the_file_is_valid_warc_with_request_records(tmp_path: Path) -> None:
    store = WarcStore(tmp_path / "w", prefix="p", base_dir=tmp_path)
    store.write(_exchange(200, HTML))
    store.write(_exchange(304, b""), revisit=Revisit(URL, "2026-11-20T10:00:00Z", payload_digest(HTML)))
    store.close()

    with (tmp_path / "w" / "p-00001.warc.gz").open("rb") as handle:
        records = [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Profile"),
                r.rec_headers.get_header("WARC-Concurrent-To"),
            )
            for r in ArchiveIterator(handle)
        ]
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    assert records[3][1].endswith("/revisit/server-not-modified")
    assert records[2][2] and records[4][2]
    with (tmp_path / "w" / "p-00001.warc.gz").open("rb") as handle:
        response = next(r for r in ArchiveIterator(handle) if r.rec_type == "response")
        assert response.http_headers.get_header("Transfer-Encoding") is None
        assert response.content_stream().read() == HTML


def test_a_full_file_is_closed_and_the_next_one_started(tmp_path: Path) -> None:
    store = WarcStore(tmp_path / "w", prefix="p", base_dir=tmp_path, max_size=1)
    files = [store.write(_exchange(200, HTML)).file for _ in range(3)]
    store.close()
    assert files == ["w/p-00001.warc.gz", "w/p-00002.warc.gz", "w/p-00003.warc.gz"]
    assert warc_dir_for(tmp_path / "tdi.db") == tmp_path / "tdi-warc"


def test_capture_rows_and_revisits(fresh_db: sqlite_utils.Database) -> None:
    common = {"crawl_id": None, "url": URL, "fetched_at": "t", "warc_file": "w/p.warc.gz", "warc_length": 10}
    first = add_capture(
        fresh_db, status=200, record_type="response", warc_offset=0, payload_digest="sha1:A", **common
    )
    error = add_capture(
        fresh_db, status=500, record_type="response", warc_offset=10, payload_digest="sha1:B", **common
    )
    revisit = add_capture(
        fresh_db,
        status=304,
        record_type="revisit",
        warc_offset=20,
        refers_to=first,
        payload_digest=None,
        **common,
    )

    assert last_payload(fresh_db, URL)["id"] == error
    newest_ok = latest_ok(fresh_db, [URL, URL + "?x"])
    assert newest_ok is not None and newest_ok["id"] == revisit
    assert payload_of(fresh_db, newest_ok)["id"] == first
    assert [c["id"] for c in captures_of(fresh_db, URL)] == [first, error, revisit]
    assert latest_ok(fresh_db, []) is None
