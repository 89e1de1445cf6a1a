"""The archive side of a running crawl: one lock, one connection, one ``crawls`` row, one WARC store.

Every component of a crawl that reads or writes the archive goes through the crawl's
:class:`ArchiveSession` (``ArchiveSession.of(crawler)``): the spider (what is due, what is new, what a
page found), the downloader middlewares (validators for conditional requests, raw captures) and the
archive pipeline (articles, versions). All writes share one transaction that is committed in batches
(:class:`~archive.batch.WriteBatch`); each page's writes form one unit, committed whole or not at all,
and a URL is only marked fetched in the unit that stores what it yielded. A crawl killed at any point
therefore leaves the archive consistent, and the next run fetches whatever was not stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.exceptions import CloseSpider

from archive import crawlwrite, open_archive, versions
from archive import state as url_state
from archive.batch import WriteBatch
from archive.captures import add_capture, last_payload
from archive.schedule import RecrawlSchedule, from_text, to_text
from archive.store import finish_crawl, start_crawl
from crawler import exitcodes, lock
from crawler.warc import Exchange, Revisit, WarcStore, payload_digest, warc_dir_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector
    from sqlite_utils import Database

    from crawler.discovery import Entry
    from crawler.items import Article

logger = logging.getLogger(__name__)

#: Request meta keys set by the spider.
KIND, KEY = "newsarchive_kind", "newsarchive_url"
STATS = "newsarchive"
_SESSIONS: WeakKeyDictionary[Any, ArchiveSession] = WeakKeyDictionary()


def request_key(request: Request) -> str:
    """The URL a request's outcome is recorded under: the URL first requested, before redirects."""
    key = request.meta.get(KEY)
    if key:
        return str(key)
    redirects = request.meta.get("redirect_urls") or []
    return str(redirects[0]) if redirects else request.url


def request_kind(request: Request) -> str:
    """The kind of page a request asks for (``home``, ``listing``, ``article``, ``sitemap``, ``feed``)."""
    return str(request.meta.get(KIND) or "other")


def body_hash(response: Response) -> str:
    """sha256 (hex) of a response body."""
    return hashlib.sha256(response.body).hexdigest()


_RECORD_FIELDS: dict[type, tuple[str, ...]] = {}


def article_record(item: Article) -> dict[str, Any]:
    """The record of ``item`` as :meth:`Article.to_record` gives it, its values shared, not copied.

    The archive only reads the record (nested authors, terms and images may be dataclasses or dicts).
    """
    names = _RECORD_FIELDS.get(type(item))
    if names is None:
        names = _RECORD_FIELDS[type(item)] = tuple(f.name for f in fields(item) if f.name != "content_html")
    record = {name: getattr(item, name) for name in names}
    record["section"] = item.section
    return record


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


@dataclass
class Found:
    """What a listing page, sitemap or feed led to."""

    #: URLs to request now (new, pending, failed or due).
    fetch: list[str] = field(default_factory=list)
    #: How many of its links were first found by this crawl.
    new: int = 0
    #: Whether the next listing page is worth fetching.
    follow_next: bool = False


class ArchiveSession:
    """The archive of one crawl (see the module docstring). Create it with :meth:`of`."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = Path(settings.get("NEWSARCHIVE_DB"))
        self.batch_size = settings.getint("NEWSARCHIVE_BATCH_SIZE")
        self.commit_seconds = settings.getfloat("NEWSARCHIVE_COMMIT_INTERVAL")
        self.schedule = RecrawlSchedule.parse(settings.get("NEWSARCHIVE_RECRAWL_SCHEDULE"))
        self.incremental = settings.getbool("NEWSARCHIVE_INCREMENTAL")
        #: A distributed worker: other workers answer many of the URLs this one requests.
        self.distributed = bool(settings.get("NEWSARCHIVE_REDIS_URL"))
        self.warc_enabled = settings.getbool("NEWSARCHIVE_WARC")
        self.warc_dir = Path(settings.get("NEWSARCHIVE_WARC_DIR") or warc_dir_for(self.db_path))
        self.warc_max_size = settings.getint("NEWSARCHIVE_WARC_MAX_SIZE")
        self._clock_base = from_text(settings.get("NEWSARCHIVE_NOW") or None)
        self._clock_start = time.monotonic()
        self.db: Database | None = None
        self.crawl_id: int | None = None
        self.batch: WriteBatch | None = None
        self.warc: WarcStore | None = None
        self.start_failed = False
        self.pages_ok = 0
        self.failed = 0
        self._locked = False
        self._closed = False
        self._awaiting: dict[str, url_state.Fetch] = {}
        self._outstanding: dict[str, str] = {}
        self._done: set[str] = set()
        self._crawl_checked = False
        crawler.signals.connect(self.close, signal=signals.spider_closed)
        crawler.signals.connect(self._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self._item_error, signal=signals.item_error)
        crawler.signals.connect(self._spider_error, signal=signals.spider_error)

    @classmethod
    def of(cls, crawler: Crawler) -> ArchiveSession:
        """The session of ``crawler`` (created on first use)."""
        session = _SESSIONS.get(crawler)
        if session is None:
            session = _SESSIONS[crawler] = cls(crawler)
        return session

    # -- basics -----------------------------------------------------------------------------------

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    @property
    def site(self) -> str | None:
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        return getattr(profile, "name", None) or getattr(spider, "name", None)

    def now(self) -> dt.datetime:
        """The time of the crawl: the clock, or ``NEWSARCHIVE_NOW`` plus the time elapsed since the start."""
        if self._clock_base is None:
            return dt.datetime.now(dt.timezone.utc)
        return self._clock_base + dt.timedelta(seconds=time.monotonic() - self._clock_start)

    def _inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(f"{STATS}/{key}", count)

    def open(self) -> Database:
        """Lock the archive, open it, record the crawl's start; raises CloseSpider("locked") if locked."""
        if self.db is not None:
            return self.db
        try:
            lock.acquire(self.db_path)
        except lock.ArchiveLockedError as error:
            logger.error("%s", error)
            self.stats.set_value(f"{exitcodes.STATS}/exit_code", exitcodes.LOCKED)
            raise CloseSpider("locked") from error
        self._locked = True
        db = self.db = open_archive(self.db_path)
        spider = self.crawler.spider
        name = getattr(spider, "name", "crawl")
        self.crawl_id = start_crawl(db, spider=name, site=self.site or name, args={"db": str(self.db_path)})
        self.batch = WriteBatch(db, max_units=self.batch_size, max_seconds=self.commit_seconds)
        if self.warc_enabled:
            stamp = self.now().strftime("%Y%m%d%H%M%S")
            self.warc = WarcStore(
                self.warc_dir,
                prefix=f"{self.site or name}-{self.crawl_id:06d}-{stamp}",
                base_dir=self.db_path.parent,
                max_size=self.warc_max_size,
                info={"crawl": str(self.crawl_id), "site": str(self.site)},
            )
        self.stats.set_value(f"{STATS}/archive/crawl_id", self.crawl_id)
        logger.info("Archiving into %(db)s (crawl %(id)d)", {"db": self.db_path, "id": self.crawl_id})
        return db

    def _unit(self, weight: int = 0) -> Any:
        self.open()
        assert self.batch is not None
        return self.batch.unit(weight)

    @contextmanager
    def _state(self) -> Iterator[Database | None]:
        """A unit for URL-state writes; None (nothing is read or written) when not incremental."""
        if not self.incremental:
            yield None
            return
        with self._unit() as db:
            yield db

    def flush(self) -> None:
        """Commit what was written so far."""
        if self.batch is not None:
            self.batch.commit()

    # -- what to request --------------------------------------------------------------------------

    def expect(self, url: str, kind: str) -> bool:
        """Note that ``url`` is requested; False if it already has an outcome in this crawl."""
        if url in self._done:
            return False
        self._outstanding.setdefault(url, kind)
        return True

    def _settle(self, url: str) -> None:
        self._outstanding.pop(url, None)
        self._done.add(url)

    def scheduled(self) -> list[dict[str, Any]]:
        """URLs due now: never fetched, failed, or due for a recrawl (see :func:`archive.state.due`)."""
        if not self.incremental:
            return []
        db = self.open()
        rows = url_state.due(db, site=self.site, now=self.now())
        for row in rows:
            self._inc(f"schedule/due_{row['kind']}")
        return rows

    def known_sections(self) -> list[str]:
        """Section URLs found in the nav menu by earlier crawls."""
        return url_state.known_sections(self.open(), self.site) if self.incremental else []

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """``(ETag, Last-Modified)`` of the last stored answer of ``url``, for a conditional request."""
        row = url_state.get_state(self.open(), url) if self.incremental else None
        if row is None or row["state"] not in (url_state.OK, url_state.DROPPED):
            return None, None
        return row["etag"], row["last_modified"]

    # -- answers ----------------------------------------------------------------------------------

    def _fetch(self, response: Response) -> url_state.Fetch:
        return url_state.Fetch(
            url=request_key(response.request) if response.request is not None else response.url,
            status=response.status,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            content_hash=body_hash(response) if response.status != 304 else None,
            final_url=response.url,
        )

    def _page_ok(self, db: Database | None, response: Response, kind: str, **extra: Any) -> url_state.Fetch:
        fetch = self._fetch(response)
        self.pages_ok += 1
        self._inc("fetch/ok")
        if db is None:
            return fetch
        url_state.ensure_url(
            db, fetch.url, site=self.site, kind=kind, now=self.now(), crawl_id=self.crawl_id, **extra
        )
        url_state.record_ok(
            db, fetch, site=self.site, kind=kind, now=self.now(), next_due=None, crawl_id=self.crawl_id
        )
        return fetch

    def home_fetched(self, response: Response, sections: Iterable[str]) -> None:
        """The home page answered 200: record it and the sections of its nav menu."""
        with self._state() as db:
            fetch = self._page_ok(db, response, "home")
            for url in sections if db is not None else ():
                url_state.discover(
                    db, url, source="nav", found_on=fetch.url, site=self.site, kind="listing",
                    now=self.now(), crawl_id=self.crawl_id, section=url, page=1,
                )  # fmt: skip
        self._settle(fetch.url)

    def visited(self, response: Response) -> None:
        """A 304 answer: what is stored is still current (an article's recrawl is rescheduled)."""
        key = request_key(response.request) if response.request is not None else response.url
        kind = request_kind(response.request) if response.request is not None else "other"
        now = self.now()
        if kind == "article":
            self._inc("fetch/not_modified_articles")
        with self._state() as db:
            next_due = None
            if db is not None and kind == "article":
                next_due = self.schedule.next_due(now, self._born(db, key))
                db.execute(
                    "UPDATE articles SET last_seen = ?, last_crawl_id = coalesce(?, last_crawl_id)"
                    " WHERE url = ? OR url_raw = ?",
                    [to_text(now), self.crawl_id, key, key],
                )
            if db is not None:
                url_state.record_not_modified(db, key, now=now, next_due=next_due)
        self.pages_ok += 1
        self._inc("fetch/not_modified")
        self._settle(key)

    def listing_fetched(
        self, response: Response, *, section: str, page: int, links: list[str], next_url: str | None
    ) -> Found:
        """A listing page answered 200: record it and its links; say which to fetch and whether to go on."""
        found = Found()
        with self._state() as db:
            fetch = self._page_ok(db, response, "listing", section=section, page=page)
            if db is None:
                found.fetch, found.new, found.follow_next = list(links), len(links), bool(next_url)
            for link in links if db is not None else ():
                seen = url_state.discover(
                    db, link, source="listing", found_on=fetch.url, site=self.site, kind="article",
                    now=self.now(), crawl_id=self.crawl_id, section=section, page=page,
                )  # fmt: skip
                self._count_new(seen)
                self._classify(db, link, found)
            if db is not None and next_url and found.new:
                url_state.discover(
                    db, next_url, source="pagination", found_on=fetch.url, site=self.site, kind="listing",
                    now=self.now(), crawl_id=self.crawl_id, section=section, page=page + 1,
                )  # fmt: skip
                found.follow_next = True
        self._settle(fetch.url)
        return found

    def _count_new(self, seen: url_state.Discovery) -> None:
        if seen.new_url:
            self._inc("discovery/new_urls")

    def _classify(self, db: Database, url: str, found: Found, *, refetch: bool = False) -> None:
        row = url_state.get_state(db, url)
        assert row is not None
        if row["first_crawl_id"] == self.crawl_id and self.crawl_id is not None:
            found.new += 1
        if refetch and row["state"] == url_state.OK:
            url_state.mark_pending(db, url, now=self.now())
            due = True
        else:
            due = row["next_due"] is not None and row["next_due"] <= to_text(self.now())
        if due and row["state"] != url_state.DISALLOWED and url not in found.fetch:
            found.fetch.append(url)

    def entries_fetched(self, response: Response, *, kind: str, source: str, entries: list[Entry]) -> Found:
        """A sitemap or feed answered 200: record its entries; say which to fetch.

        An entry is fetched when it is due, or when its ``lastmod`` moved since the last sighting or is
        later than the last successful fetch (the site declared a change).
        """
        found = Found()
        entry_kind = "sitemap" if kind == "sitemap_index" else "article"
        read = self.now()
        with self._state() as db:
            fetch = self._page_ok(db, response, "sitemap" if kind == "sitemap_index" else kind)
            if db is None:
                found.fetch, found.new = [entry.url for entry in entries], len(entries)
            for entry in entries if db is not None else ():
                seen = url_state.discover(
                    db, entry.url, source=source, found_on=fetch.url, site=self.site, kind=entry_kind,
                    now=self.now(), crawl_id=self.crawl_id, lastmod=entry.lastmod,
                )  # fmt: skip
                self._count_new(seen)
                self._classify(db, entry.url, found, refetch=self._moved(db, entry, seen, entry_kind))
            if db is not None and kind == "sitemap" and entries:
                for url in url_state.vanished(db, source=source, found_on=fetch.url, before=read):
                    self._inc("discovery/vanished_from_sitemaps")
                    self._classify(db, url, found, refetch=True)
        self._settle(fetch.url)
        return found

    @staticmethod
    def _moved(db: Database, entry: Entry, seen: url_state.Discovery, kind: str) -> bool:
        if seen.new_url:
            return False
        if entry.lastmod is None:
            return kind == "sitemap"
        if seen.previous_lastmod is not None and entry.lastmod != seen.previous_lastmod:
            return True
        row = url_state.get_state(db, entry.url)
        return bool(row and row["last_ok"] and entry.lastmod > row["last_ok"])

    def other_fetched(self, response: Response) -> None:
        """A page that leads nowhere answered 200 (a feed or sitemap that could not be read)."""
        kind = request_kind(response.request) if response.request is not None else "other"
        with self._state() as db:
            fetch = self._page_ok(db, response, kind)
        self._settle(fetch.url)

    def article_fetched(self, response: Response) -> None:
        """An article page answered 200: keep its validators until its article is stored."""
        self._awaiting[response.url] = self._fetch(response)

    def store_article(self, item: Article) -> str:
        """Store an article, its new version and its URL's state in one unit; return its status."""
        record = article_record(item)
        fetch = self._awaiting.pop(item.url_raw, None) or url_state.Fetch(
            item.url_raw, 200, final_url=item.url_raw
        )
        now = self.now()
        stamp = to_text(now)
        assert stamp is not None
        try:
            with self._unit(1) as db:
                status, version = self._store(db, record, fetch, now, stamp)
        except Exception:
            self.failed_url(fetch.url, "article", "store_error", None)
            raise
        if version is not None and version["declared"] is not None:
            self._inc(f"versions/{'declared' if version['declared'] else 'silent'}")
        self._settle(fetch.url)
        return status

    def _store(
        self, db: Database, record: dict[str, Any], fetch: url_state.Fetch, now: dt.datetime, stamp: str
    ) -> tuple[str, dict[str, Any] | None]:
        stored = crawlwrite.store_article(
            db, record, crawl_id=self.crawl_id, now=stamp, check_crawl=not self._crawl_checked
        )
        self._crawl_checked = True
        if stored.restored:
            self._inc("archive/restored")
        dates = (from_text(stored.row["published_utc"]), from_text(stored.row["modified_utc"]))
        born = max(filter(None, dates), default=None)
        url_state.record_ok(
            db,
            fetch,
            site=self.site,
            kind="article",
            now=now,
            next_due=self.schedule.next_due(now, born),
            crawl_id=self.crawl_id,
        )
        self.pages_ok += 1
        self._inc("fetch/ok")
        return stored.status, stored.version

    def _born(self, db: Database, url: str) -> dt.datetime | None:
        rows = list(
            db.query(
                "SELECT published_utc, modified_utc FROM articles WHERE url = ? OR url_raw = ?", [url, url]
            )
        )
        if not rows:
            return None
        dates = (from_text(rows[0]["published_utc"]), from_text(rows[0]["modified_utc"]))
        return max(filter(None, dates), default=None)

    # -- failures and final answers ---------------------------------------------------------------

    def failed_url(self, url: str, kind: str, reason: str, status: int | None) -> None:
        """A URL could not be fetched (after retries): the next run tries it again."""
        failures = 1
        with self._state() as db:
            if db is not None:
                failures = url_state.record_failure(
                    db, url, site=self.site, kind=kind, reason=reason, status=status, now=self.now(),
                    crawl_id=self.crawl_id,
                )  # fmt: skip
        self.failed += 1
        self._inc("fetch/failed")
        self._inc(f"fetch/failure/{reason}")
        if kind == "home":
            self.start_failed = True
        logger.warning(
            "Failed %(kind)s %(url)s: %(reason)s (failure %(n)d in a row; retried by the next run)",
            {"kind": kind, "url": url, "reason": reason, "n": failures},
        )
        self._awaiting.pop(url, None)
        self._settle(url)

    def gone(self, url: str, kind: str, status: int) -> None:
        """A URL answered 404 or 410: an archived article there is marked removed (never deleted)."""
        now = self.now()
        removed = None
        with self._state() as db:
            if db is not None:
                url_state.record_outcome(
                    db, url, site=self.site, kind=kind, state=url_state.GONE, now=now, status=status,
                    reason=f"http_{status}", crawl_id=self.crawl_id,
                )  # fmt: skip
                removed = versions.mark_removed(db, url, status=status, now=str(to_text(now)))
        if removed is not None:
            self._inc("archive/removed")
        if kind == "home":
            self.start_failed = True
        self._inc("fetch/gone")
        self._settle(url)

    def disallowed(self, url: str, kind: str) -> None:
        """robots.txt forbids ``url``: it is skipped (no request was made)."""
        with self._state() as db:
            if db is not None:
                url_state.record_outcome(
                    db, url, site=self.site, kind=kind, state=url_state.DISALLOWED, now=self.now(),
                    reason="robots.txt", crawl_id=self.crawl_id,
                )  # fmt: skip
        self._inc("fetch/disallowed")
        self._settle(url)

    def _item_dropped(self, item: Any, response: Any = None, exception: Any = None, **_: Any) -> None:
        url_raw = getattr(item, "url_raw", None)
        if url_raw is None or self.db is None:
            return
        fetch = self._awaiting.pop(url_raw, None) or url_state.Fetch(url_raw, 200)
        reason = str(exception or "dropped").split(":", 1)[0].strip() or "dropped"
        with self._unit() as db:
            url_state.record_ok(
                db,
                fetch,
                site=self.site,
                kind="article",
                now=self.now(),
                next_due=None,
                crawl_id=self.crawl_id,
            )
            url_state.record_outcome(
                db, fetch.url, site=self.site, kind="article", state=url_state.DROPPED, now=self.now(),
                status=fetch.status, reason=reason, crawl_id=self.crawl_id,
            )  # fmt: skip
        self.pages_ok += 1
        self._inc("fetch/dropped")
        self._settle(fetch.url)

    def _item_error(self, item: Any, response: Any = None, failure: Any = None, **_: Any) -> None:
        url_raw = getattr(item, "url_raw", None)
        if url_raw is None or self.db is None:
            return
        fetch = self._awaiting.pop(url_raw, None)
        if fetch is not None:
            self.failed_url(fetch.url, "article", "item_error", fetch.status)

    def _spider_error(self, failure: Any, response: Any = None, **_: Any) -> None:
        request = getattr(response, "request", None)
        if request is None or self.db is None:
            return
        self.failed_url(
            request_key(request), request_kind(request), "parse_error", getattr(response, "status", None)
        )

    # -- raw capture ------------------------------------------------------------------------------

    def capture(self, request: Request, response: Response) -> None:
        """Write the exchange to the WARC files and a ``captures`` row pointing at it."""
        if not self.warc_enabled:
            return
        db = self.open()
        if self.warc is None:
            return
        previous = last_payload(db, response.url)
        payload = response.body
        exchange = Exchange.of(request, response, self.now())
        digest = payload_digest(payload)
        unchanged = bool(payload) and previous is not None and previous["payload_digest"] == digest
        revisit = None
        if previous is not None and (
            response.status == 304 or (unchanged and previous["status"] == response.status)
        ):
            revisit = Revisit(previous["url"], previous["fetched_at"], previous["payload_digest"])
        try:
            location = self.warc.write(exchange, revisit=revisit, digest=digest)
        except OSError:
            logger.exception("Could not write the WARC record of %s", response.url)
            self._inc("warc/errors")
            return
        with self._unit() as unit_db:
            add_capture(
                unit_db,
                crawl_id=self.crawl_id,
                url=response.url,
                fetched_at=to_text(exchange.date),
                status=response.status,
                content_type=_header(response, "Content-Type"),
                record_type=location.record_type,
                warc_file=location.file,
                warc_offset=location.offset,
                warc_length=location.length,
                payload_digest=location.payload_digest,
                payload_length=location.payload_length,
                refers_to=previous["id"] if revisit is not None and previous is not None else None,
            )
        self._inc("warc/records")
        if revisit is not None:
            self._inc("warc/revisits")

    # -- the end ----------------------------------------------------------------------------------

    def close(self, reason: str = "finished", **_: Any) -> None:
        """Record the URLs left without an answer, the crawl's end and exit code; release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            self._finish(reason)
        finally:
            if self.warc is not None:
                self.warc.close()
            if self.db is not None:
                self.db.close()
                self.db = None
            if self._locked:
                lock.release(self.db_path)
                self._locked = False

    def _finish(self, reason: str) -> None:
        if self.distributed:
            self._outstanding.clear()
        if reason == "finished" and (self.db is not None or not self.incremental):
            for url, kind in list(self._outstanding.items()):
                self.failed_url(url, kind, "no_answer", None)
        elif self._outstanding:
            logger.info("%d URL(s) left for the next run (crawl %s)", len(self._outstanding), reason)
        code = exitcodes.decide(
            finish_reason=reason, start_failed=self.start_failed, pages_ok=self.pages_ok, failed=self.failed
        )
        self.stats.set_value(f"{exitcodes.STATS}/exit_code", code)
        start = self.stats.get_value("start_time")
        if isinstance(start, dt.datetime):
            elapsed = (dt.datetime.now(start.tzinfo or dt.timezone.utc) - start).total_seconds()
            self.stats.set_value(f"{exitcodes.STATS}/elapsed_seconds", round(elapsed, 3))
        if self.db is not None and self.crawl_id is not None:
            self.flush()
            finish_crawl(self.db, self.crawl_id, status=reason, stats=self.stats.get_stats())
            self.flush()
        logger.info("%s", exitcodes.summary_line(self.site or "", self.stats.get_stats(), code))
