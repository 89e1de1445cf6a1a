"""Raw capture on a worker: its own WARC files, named after the worker, referenced through the ingester.

A worker has no archive to write ``captures`` rows into, so :class:`WorkerCaptureMiddleware` takes the
place of :class:`crawler.capture.CaptureMiddleware`: it writes every response with its request to
``<site>-<worker id>-<time>-NNNNN.warc.gz`` in the worker's WARC directory (``NEWSARCHIVE_WARC_DIR``)
and pushes a ``capture`` message (file name, offset, length, digest ...) for the ingester, which adds
the ``captures`` row pointing into the archive's WARC directory (``<archive stem>-warc/``), as for a
crawl on one machine. Copy the workers' WARC files there (e.g. ``rsync``) to read them from the
archive. Workers know nothing of earlier captures, so every answer is a full ``response`` record (no
``revisit`` records). Disabled by ``NEWSARCHIVE_WARC = False``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.ingest import CAPTURE
from crawler.distributed.context import WorkerContext
from crawler.warc import Exchange, WarcStore

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self

logger = logging.getLogger(__name__)


class WorkerCaptureMiddleware:
    """Write each response and its request to the worker's WARC files; tell the ingester where."""

    def __init__(self, context: WorkerContext, directory: Path, max_size: int) -> None:
        self.context = context
        self.directory = directory
        self.max_size = max_size
        self.store: WarcStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_WARC"):
            raise NotConfigured("NEWSARCHIVE_WARC is off")
        directory = settings.get("NEWSARCHIVE_WARC_DIR")
        if not directory:
            raise NotConfigured("no NEWSARCHIVE_WARC_DIR for the worker's WARC files")
        return cls(WorkerContext.of(crawler), Path(directory), settings.getint("NEWSARCHIVE_WARC_MAX_SIZE"))

    def process_response(self, request: Request, response: Response) -> Response:
        date = dt.datetime.now(dt.timezone.utc)
        exchange = Exchange.of(request, response, date)
        try:
            location = self._store(date).write(exchange)
        except OSError:
            logger.exception("Could not write the WARC record of %s", response.url)
            self.context.crawler.stats.inc_value("newsarchive/warc/errors")
            return response
        content_type = response.headers.get("Content-Type")
        self.context.push(
            CAPTURE,
            url=response.url,
            fetched_at=date.strftime("%Y-%m-%dT%H:%M:%SZ"),
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            record_type=location.record_type,
            warc_file=location.file,
            warc_offset=location.offset,
            warc_length=location.length,
            payload_digest=location.payload_digest,
            payload_length=location.payload_length,
        )
        self.context.crawler.stats.inc_value("newsarchive/warc/records")
        return response

    def _store(self, date: dt.datetime) -> WarcStore:
        if self.store is None:
            context = self.context
            prefix = f"{context.site}-{context.worker_id}-{date.strftime('%Y%m%d%H%M%S')}"
            self.store = WarcStore(
                self.directory,
                prefix=prefix,
                base_dir=self.directory,
                max_size=self.max_size,
                info={"site": context.site, "worker": context.worker_id, "round": context.round},
            )
            context.crawler.signals.connect(self.store.close, signal=signals.spider_closed)
        return self.store
