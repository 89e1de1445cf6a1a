"""The single writer of a distributed crawl: finished items from Redis into the archive, in batches.

Workers (``newsarchive crawl SITE --redis URL``) never open the SQLite archive: they push one JSON
message per finished item onto the Redis list :data:`ITEMS_KEY`. One ingester (``newsarchive ingest``)
moves messages from that list to :data:`PROCESSING_KEY` (``LMOVE``: a reliable queue), stores them in
one SQLite transaction and only then deletes the processing list. An ingester that crashes leaves its
batch in the processing list, and the next ingester stores it first. Storing is idempotent (one row
per canonical URL, crawl rows found again by their round id, worker stats kept per worker), so a
message delivered twice is stored once.

Messages are JSON objects with a ``kind``:

- ``crawl_started``: ``site``, ``spider``, ``round``, ``started`` (a new crawl of a site began);
- ``article``: ``id``, ``site``, ``round``, ``worker``, ``record`` (``Article.to_record()``);
- ``capture``: ``site``, ``round``, ``worker`` and the columns of a ``captures`` row (``url``,
  ``fetched_at``, ``status``, ``warc_file`` as a file name, ``warc_offset`` ...): a response the worker
  wrote to its WARC files;
- ``worker_stats``: ``site``, ``round``, ``worker``, ``reason``, ``stats`` (a worker's Scrapy stats);
- ``crawl_finished``: ``site``, ``round``, ``finished``, ``status``.

This module imports ``redis`` and the archive, never Scrapy.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archive import versions
from archive.captures import add_capture
from archive.errors import ArchiveError
from archive.records import dump_json, to_utc, utc_now
from archive.store import UNCHANGED, finish_crawl, start_crawl, upsert_article

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import redis
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

#: Every key of the distributed mode starts with this prefix (one Redis database per archive).
PREFIX = "newsarchive"
#: List of messages waiting for the ingester (workers push on the left, the ingester takes the right).
ITEMS_KEY = f"{PREFIX}:items"
#: Messages the ingester took and has not stored yet.
PROCESSING_KEY = f"{PREFIX}:items:processing"
#: Messages that could not be stored (malformed, or refused by the archive), for a person to look at.
FAILED_KEY = f"{PREFIX}:items:failed"
#: Held by the running ingester, so that two ingesters never write the same archive.
LOCK_KEY = f"{PREFIX}:ingester"
#: Set of the sites that were ever seeded.
SITES_KEY = f"{PREFIX}:sites"
#: Sorted set of workers, scored by the (Redis server) time until which each one counts as alive.
WORKERS_KEY = f"{PREFIX}:workers"

CRAWL_STARTED, ARTICLE, CAPTURE, WORKER_STATS, CRAWL_FINISHED = (
    "crawl_started",
    "article",
    "capture",
    "worker_stats",
    "crawl_finished",
)
#: Key of the per-worker stats inside the stats of a distributed crawl.
WORKERS_STATS = "newsarchive/distributed/workers"
LOCK_SECONDS = 60
#: Columns of a capture message copied to the ``captures`` row as they are.
CAPTURE_COLUMNS = (
    "url",
    "fetched_at",
    "status",
    "content_type",
    "record_type",
    "warc_length",
    "payload_digest",
    "payload_length",
)


def crawl_key(site: str) -> str:
    """Hash describing the current crawl round of ``site``: ``round``, ``state``, ``started`` ..."""
    return f"{PREFIX}:{site}:crawl"


class IngestError(ArchiveError):
    """The ingester cannot run (another one holds the lock, Redis is unreachable ...)."""


@dataclass
class IngestCounts:
    """What an ingester did."""

    batches: int = 0
    messages: int = 0
    articles: Counter[str] = field(default_factory=Counter)
    #: Articles delivered again within the same crawl (stored once, not counted twice).
    repeated: int = 0
    failed: int = 0
    captures: int = 0
    crawls_started: int = 0
    crawls_finished: int = 0


class Ingester:
    """Move messages from Redis into the archive ``db``, ``batch_size`` messages per transaction."""

    def __init__(
        self,
        server: redis.Redis,
        db: Database,
        *,
        batch_size: int = 100,
        warc_dir: str = "",
        name: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.server = server
        self.db = db
        self.batch_size = batch_size
        #: Directory of the archive's WARC files, relative to the archive's directory (``archive-warc``).
        self.warc_dir = warc_dir.strip("/")
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.counts = IngestCounts()
        self._crawl_ids: dict[tuple[str, str], int] = {}

    # --- lock -----------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Become the one ingester; :class:`IngestError` when another one runs."""
        if self.server.set(LOCK_KEY, self.name, nx=True, ex=LOCK_SECONDS):
            return
        holder = _text(self.server.get(LOCK_KEY))
        if holder == self.name:
            return
        raise IngestError(f"another ingester is running ({holder}); only one may write the archive")

    def refresh(self) -> None:
        """Keep the lock (it expires after a minute without a refresh, e.g. after a crash)."""
        if _text(self.server.get(LOCK_KEY)) in (self.name, None):
            self.server.set(LOCK_KEY, self.name, ex=LOCK_SECONDS)

    def release(self) -> None:
        if _text(self.server.get(LOCK_KEY)) == self.name:
            self.server.delete(LOCK_KEY)

    # --- running --------------------------------------------------------------------------------
    def run(
        self,
        *,
        follow: bool = False,
        wait: float = 1.0,
        should_stop: Callable[[], bool] = lambda: False,
        on_batch: Callable[[IngestCounts], None] | None = None,
    ) -> IngestCounts:
        """Store batches until stopped (``follow``) or until nothing is left to ingest.

        Without ``follow`` the ingester keeps going while any crawl is running or any worker is alive,
        and returns once no message is waiting and neither is.
        """
        self.acquire()
        try:
            while not should_stop():
                self.refresh()
                if not follow and not self.busy():
                    break
                if self.step(timeout=wait) and on_batch is not None:
                    on_batch(self.counts)
        finally:
            self.release()
        return self.counts

    def busy(self) -> bool:
        """Whether more messages may come: messages waiting, a crawl running or a worker alive."""
        if self.server.llen(ITEMS_KEY) or self.server.llen(PROCESSING_KEY):
            return True
        if self.server.zcount(WORKERS_KEY, f"({server_time(self.server)}", "+inf"):
            return True
        sites = [_text(s) for s in self.server.smembers(SITES_KEY)]
        return any(_text(self.server.hget(crawl_key(s), "state")) == "running" for s in sites if s)

    def step(self, timeout: float = 1.0) -> int:
        """Store one batch (a batch left by a crashed ingester first); return the number of messages."""
        raw = self._take(timeout)
        if not raw:
            return 0
        failed = self._store(raw)
        pipe = self.server.pipeline(transaction=True)
        if failed:
            pipe.lpush(FAILED_KEY, *failed)
        pipe.delete(PROCESSING_KEY)
        pipe.execute()
        self.counts.batches += 1
        self.counts.messages += len(raw)
        self.counts.failed += len(failed)
        logger.debug("Stored a batch of %d message(s) (%d failed)", len(raw), len(failed))
        return len(raw)

    def _take(self, timeout: float) -> list[bytes]:
        """The messages of the processing list, oldest first, after moving a new batch there if empty."""
        if not self.server.llen(PROCESSING_KEY):
            first = self.server.blmove(ITEMS_KEY, PROCESSING_KEY, timeout, "RIGHT", "LEFT")
            if first is None:
                return []
            if self.batch_size > 1:
                pipe = self.server.pipeline(transaction=False)
                for _ in range(self.batch_size - 1):
                    pipe.lmove(ITEMS_KEY, PROCESSING_KEY, "RIGHT", "LEFT")
                pipe.execute()
        return list(reversed(self.server.lrange(PROCESSING_KEY, 0, -1)))

    def _store(self, raw: list[bytes]) -> list[bytes]:
        """Store ``raw`` messages in one transaction; return those that could not be stored."""
        failed: list[bytes] = []
        with self.db.atomic():
            for data in raw:
                try:
                    with self.db.atomic():
                        self.handle(json.loads(data))
                except (
                    ValueError,
                    KeyError,
                    TypeError,
                    AttributeError,
                    ArchiveError,
                    sqlite3.IntegrityError,
                ) as error:
                    logger.warning("Message not stored (%s): %.200r", error, data)
                    failed.append(data)
        return failed

    # --- messages -------------------------------------------------------------------------------
    def handle(self, message: Mapping[str, Any]) -> None:
        """Store one decoded message."""
        kind = message["kind"]
        if kind == ARTICLE:
            self._article(message)
        elif kind == CAPTURE:
            self._capture(message)
        elif kind == CRAWL_STARTED:
            self._crawl_id(message)
        elif kind == WORKER_STATS:
            self._worker_stats(message)
        elif kind == CRAWL_FINISHED:
            self._crawl_finished(message)
        else:
            raise ValueError(f"unknown message kind {kind!r}")

    def _article(self, message: Mapping[str, Any]) -> None:
        """Store an article as a crawl on one machine does: the row, and a new version if it changed."""
        crawl_id = self._crawl_id(message)
        record = message["record"]
        now = to_utc(record.get("fetched_at")) or utc_now()
        rows = list(
            self.db.query("SELECT id, last_crawl_id FROM articles WHERE url = ?", [record.get("url")])
        )
        if rows:
            versions.seed_first_version(self.db, rows[0]["id"])
        # Delivered again (a page fetched twice, or a batch stored twice): stored, counted once.
        repeated = bool(rows) and rows[0]["last_crawl_id"] == crawl_id
        status = upsert_article(self.db, record, crawl_id=None if repeated else crawl_id, now=now)
        article_id = versions.find_article_id(self.db, record["url"])
        if article_id is not None:
            if status != UNCHANGED:
                versions.record_version(self.db, article_id, now=now, crawl_id=crawl_id)
            versions.clear_removed(self.db, article_id)
        if repeated:
            self.counts.repeated += 1
        else:
            self.counts.articles[status] += 1

    def _capture(self, message: Mapping[str, Any]) -> None:
        name = str(message["warc_file"]).rsplit("/", 1)[-1]
        warc_file = f"{self.warc_dir}/{name}" if self.warc_dir else name
        offset = int(message["warc_offset"])
        sql = "SELECT 1 FROM captures WHERE url = ? AND warc_file = ? AND warc_offset = ?"  # by the url index
        if list(self.db.query(sql, [message["url"], warc_file, offset])):
            return  # delivered again
        values = {name: message.get(name) for name in CAPTURE_COLUMNS}
        add_capture(
            self.db, **values, crawl_id=self._crawl_id(message), warc_file=warc_file, warc_offset=offset
        )
        self.counts.captures += 1

    def _crawl_id(self, message: Mapping[str, Any]) -> int:
        """The ``crawls`` row of the message's crawl round, created on first sight."""
        site, round_id = str(message["site"]), str(message["round"])
        key = (site, round_id)
        if key in self._crawl_ids:
            return self._crawl_ids[key]
        rows = list(
            self.db.query(
                "SELECT id FROM crawls WHERE site = ? AND json_extract(args, '$.round') = ? ORDER BY id",
                [site, round_id],
            )
        )
        if rows:
            crawl_id = int(rows[0]["id"])
        else:
            spider = str(message.get("spider") or site)
            crawl_id = start_crawl(
                self.db, spider=spider, site=site, args={"distributed": True, "round": round_id}
            )
            started = to_utc(message.get("started"))
            if started:
                self.db.execute("UPDATE crawls SET started = ? WHERE id = ?", [started, crawl_id])
            self.counts.crawls_started += 1
        self._crawl_ids[key] = crawl_id
        return crawl_id

    def _worker_stats(self, message: Mapping[str, Any]) -> None:
        crawl_id = self._crawl_id(message)
        stats = self._stats(crawl_id)
        workers = dict(stats.get(WORKERS_STATS) or {})
        workers[str(message["worker"])] = {
            **dict(message.get("stats") or {}),
            "reason": message.get("reason"),
        }
        merged = merge_stats(workers.values())
        merged[WORKERS_STATS] = workers
        self.db.execute("UPDATE crawls SET stats = ? WHERE id = ?", [dump_json(merged), crawl_id])

    def _crawl_finished(self, message: Mapping[str, Any]) -> None:
        crawl_id = self._crawl_id(message)
        finished = to_utc(message.get("finished")) or utc_now()
        status = str(message.get("status") or "finished")
        finish_crawl(self.db, crawl_id, status=status, stats=self._stats(crawl_id), now=finished)
        self.counts.crawls_finished += 1

    def _stats(self, crawl_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT stats FROM crawls WHERE id = ?", [crawl_id]))
        text = rows[0]["stats"] if rows else None
        return dict(json.loads(text)) if text else {}


def merge_stats(per_worker: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The stats of a crawl from its workers' stats: numbers summed, other values from the last worker."""
    merged: dict[str, Any] = {}
    for stats in per_worker:
        for name, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                previous = merged.get(name, 0)
                merged[name] = (previous if isinstance(previous, (int, float)) else 0) + value
            else:
                merged[name] = value
    return merged


def server_time(server: redis.Redis) -> float:
    """The Redis server's clock (seconds since the epoch): the one clock every machine agrees on."""
    seconds, micros = server.time()
    return seconds + micros / 1e6


def waiting(server: redis.Redis) -> dict[str, int]:
    """Messages waiting for the ingester, being ingested, and set aside as failed."""
    pipe = server.pipeline(transaction=False)
    for key in (ITEMS_KEY, PROCESSING_KEY, FAILED_KEY):
        pipe.llen(key)
    items, processing, failed = pipe.execute()
    return {"waiting": int(items), "processing": int(processing), "failed": int(failed)}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def ingest_until_done(server: redis.Redis, db: Database, *, batch_size: int = 100) -> IngestCounts:
    """Convenience for scripts: run an :class:`Ingester` until nothing is left to ingest."""
    started = time.monotonic()
    counts = Ingester(server, db, batch_size=batch_size).run()
    logger.info("Ingested %d message(s) in %.1f s", counts.messages, time.monotonic() - started)
    return counts
