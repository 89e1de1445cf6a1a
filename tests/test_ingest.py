"""The ingester (archive/ingest.py): the one writer of a distributed crawl, against a real redis-server."""

# ruff: noqa: E402 (imports after the skip: they need the distributed extra)

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.distributed.localredis import skip_reason

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

from archive.ingest import (
    FAILED_KEY,
    ITEMS_KEY,
    PROCESSING_KEY,
    WORKERS_STATS,
    Ingester,
    IngestError,
    crawl_key,
    merge_stats,
)
from crawler.distributed.localredis import LocalRedis
from crawler.distributed.workers import WorkerRegistry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import redis
    import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_redis() -> Iterator[LocalRedis]:
    with LocalRedis() as server:
        yield server


@pytest.fixture
def server(local_redis: LocalRedis) -> Iterator[redis.Redis]:
    client = local_redis.client()
    client.flushall()
    yield client
    client.close()


def _push(server: redis.Redis, *messages: dict[str, Any] | bytes) -> None:
    for message in messages:
        server.lpush(ITEMS_KEY, message if isinstance(message, bytes) else json.dumps(message))


def _started(round_id: str = "r1") -> dict[str, Any]:
    started = "2026-01-05T10:00:00+00:00"
    return {"kind": "crawl_started", "site": "tdi", "spider": "tdi", "round": round_id, "started": started}


def _finished(round_id: str = "r1") -> dict[str, Any]:
    finished = "2026-01-05T10:20:00+00:00"
    return {
        "kind": "crawl_finished",
        "site": "tdi",
        "round": round_id,
        "finished": finished,
        "status": "finished",
    }


def _article(record: dict[str, Any], round_id: str = "r1", worker: str = "w1") -> dict[str, Any]:
    message = {"kind": "article", "id": f"{worker}#1", "site": "tdi", "round": round_id, "worker": worker}
    return {**message, "record": record}


def _records(make_record: Callable[..., dict[str, Any]], n: int) -> list[dict[str, Any]]:
    base = "https://thediplomaticinsight.com/article-"
    return [make_record(url=f"{base}{i}/", url_raw=f"{base}{i}/", title=f"Article {i}") for i in range(n)]


def test_a_crawl_is_stored_in_batches(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    records = _records(make_record, 5)
    _push(server, _started(), *(_article(r) for r in records), _finished())

    counts = Ingester(server, fresh_db, batch_size=3).run()

    assert counts.batches == 3
    assert counts.messages == 7
    assert counts.articles["new"] == 5
    assert sorted(r["url"] for r in fresh_db.query("select url from articles")) == sorted(
        r["url"] for r in records
    )
    (crawl,) = fresh_db.query("select * from crawls")
    assert (crawl["site"], crawl["status"], crawl["articles_new"]) == ("tdi", "finished", 5)
    assert (crawl["started"], crawl["finished"]) == ("2026-01-05T10:00:00Z", "2026-01-05T10:20:00Z")
    assert json.loads(crawl["args"]) == {"distributed": True, "round": "r1"}
    assert server.llen(ITEMS_KEY) == server.llen(PROCESSING_KEY) == 0


def test_first_and_last_seen_are_the_fetch_time(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    _push(server, _started(), _article(make_record(fetched_at="2026-01-05T10:05:00+00:00")))

    Ingester(server, fresh_db).step()

    (row,) = fresh_db.query("select first_seen, last_seen from articles")
    assert row == {"first_seen": "2026-01-05T10:05:00Z", "last_seen": "2026-01-05T10:05:00Z"}


def test_an_article_delivered_twice_is_stored_and_counted_once(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    _push(server, _started(), _article(record, worker="w1"), _article(record, worker="w2"), _finished())

    counts = Ingester(server, fresh_db).run()

    assert fresh_db.execute("select count(*) from articles").fetchone()[0] == 1
    assert (counts.articles["new"], counts.repeated) == (1, 1)
    (crawl,) = fresh_db.query("select articles_new, articles_unchanged from crawls")
    assert crawl == {"articles_new": 1, "articles_unchanged": 0}


def test_an_article_changed_in_a_later_crawl_gets_a_new_version(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    _push(server, _started("r1"), _article(record, "r1"), _finished("r1"))
    Ingester(server, fresh_db).run()
    _push(server, _started("r2"), _article({**record, "title": "A new title"}, "r2"), _finished("r2"))

    counts = Ingester(server, fresh_db).run()

    assert counts.articles["updated"] == 1
    crawls = [row["id"] for row in fresh_db.query("select id from crawls order by id")]
    versions = list(fresh_db.query("select version, crawl_id from article_versions order by version"))
    assert versions == [{"version": 1, "crawl_id": crawls[0]}, {"version": 2, "crawl_id": crawls[1]}]
    assert next(fresh_db.query("select title from articles"))["title"] == "A new title"


def test_a_batch_left_by_a_crashed_ingester_is_stored_first(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    first, second, third = _records(make_record, 3)
    # A crashed ingester took two messages and stored one of them before dying.
    _push(server, _started(), _article(first), _article(second))
    server.lmove(ITEMS_KEY, PROCESSING_KEY, "RIGHT", "LEFT")
    server.lmove(ITEMS_KEY, PROCESSING_KEY, "RIGHT", "LEFT")
    server.lmove(ITEMS_KEY, PROCESSING_KEY, "RIGHT", "LEFT")
    Ingester(server, fresh_db).handle(_started())
    Ingester(server, fresh_db).handle(_article(first))
    _push(server, _article(third))

    ingester = Ingester(server, fresh_db, batch_size=10)
    assert ingester.step() == 3  # the left-over batch, alone
    assert ingester.step() == 1

    urls = sorted(r["url"] for r in fresh_db.query("select url from articles"))
    assert urls == sorted(r["url"] for r in (first, second, third))
    assert fresh_db.execute("select count(*) from crawls").fetchone()[0] == 1


def test_messages_that_cannot_be_stored_are_set_aside(
    server: redis.Redis, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    good = make_record()
    bad = [b"not json", {"kind": "mystery"}, _article(make_record(url=None))]
    _push(server, _started(), *bad, _article(good))

    counts = Ingester(server, fresh_db).run()

    assert counts.failed == 3
    assert server.llen(FAILED_KEY) == 3
    assert [r["url"] for r in fresh_db.query("select url from articles")] == [good["url"]]


def test_only_one_ingester_runs(server: redis.Redis, fresh_db: sqlite_utils.Database) -> None:
    first = Ingester(server, fresh_db, name="first")
    first.acquire()

    with pytest.raises(IngestError, match="another ingester is running"):
        Ingester(server, fresh_db, name="second").run()

    first.release()
    assert Ingester(server, fresh_db, name="second").run().messages == 0


def test_the_ingester_waits_while_a_crawl_runs_or_a_worker_lives(
    server: redis.Redis, fresh_db: sqlite_utils.Database
) -> None:
    ingester = Ingester(server, fresh_db)
    assert not ingester.busy()

    server.sadd("newsarchive:sites", "tdi")
    server.hset(crawl_key("tdi"), mapping={"round": "r1", "state": "running"})
    assert ingester.busy()
    server.hset(crawl_key("tdi"), "state", "finished")
    assert not ingester.busy()

    WorkerRegistry(server, "w1", 0.3).beat({})
    assert ingester.busy()
    time.sleep(0.4)
    assert not ingester.busy()


def test_worker_stats_are_merged_once_per_worker(
    server: redis.Redis, fresh_db: sqlite_utils.Database
) -> None:
    stats = {"kind": "worker_stats", "site": "tdi", "round": "r1", "reason": "finished"}
    _push(
        server,
        _started(),
        {**stats, "worker": "w1", "stats": {"item_scraped_count": 3, "finish_reason": "finished"}},
        {**stats, "worker": "w2", "stats": {"item_scraped_count": 4}},
        {**stats, "worker": "w1", "stats": {"item_scraped_count": 3}},  # delivered again
        _finished(),
    )

    Ingester(server, fresh_db).run()

    (row,) = fresh_db.query("select stats from crawls")
    merged = json.loads(row["stats"])
    assert merged["item_scraped_count"] == 7
    assert sorted(merged[WORKERS_STATS]) == ["w1", "w2"]


def test_merge_stats_sums_numbers() -> None:
    merged = merge_stats([{"a": 1, "b": "x", "c": 0.5}, {"a": 2, "b": "y", "d": True}])

    assert merged == {"a": 3, "b": "y", "c": 0.5, "d": True}


def test_captures_point_into_the_archive_warc_directory(
    server: redis.Redis, fresh_db: sqlite_utils.Database
) -> None:
    capture = {
        "kind": "capture", "site": "tdi", "round": "r1", "worker": "w1",
        "url": "https://thediplomaticinsight.com/", "fetched_at": "2026-01-05T10:00:01Z", "status": 200,
        "content_type": "text/html", "record_type": "response",
        "warc_file": "tdi-w1-20260105100000-00001.warc.gz", "warc_offset": 412, "warc_length": 9000,
        "payload_digest": "sha1:ABC", "payload_length": 30000,
    }  # fmt: skip
    _push(server, _started(), capture, capture)

    counts = Ingester(server, fresh_db, warc_dir="archive-warc").run()

    (row,) = fresh_db.query("select * from captures")
    assert counts.captures == 1
    assert row["warc_file"] == "archive-warc/tdi-w1-20260105100000-00001.warc.gz"
    assert (row["warc_offset"], row["status"], row["record_type"]) == (412, 200, "response")
    assert row["crawl_id"] == next(fresh_db.query("select id from crawls"))["id"]


def test_ingest_never_imports_scrapy() -> None:
    code = "import sys, archive.ingest; sys.exit(1 if 'scrapy' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
