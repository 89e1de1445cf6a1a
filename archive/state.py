"""Per-URL crawl state (table ``urls``) and where each URL was found (table ``discoveries``).

Every URL a crawl knows has one ``urls`` row: its kind (``home``, ``listing``, ``article``,
``sitemap``, ``feed``), its state, the validators of its last answer (``etag``, ``last_modified``),
the hash of its last body and when it is due again (``next_due``). States:

* ``pending``: known, not fetched successfully yet (due at once);
* ``ok``: the last answer was stored (200) or confirmed unchanged (304);
* ``failed``: the last attempt failed (``error`` says why); retried by the next run, with a back-off
  after repeated failures;
* ``gone``: the last answer was 404 or 410; checked again a month later;
* ``dropped``: fetched but not an article (a page, an attachment ...); checked again a month later;
* ``disallowed``: robots.txt forbids it.

A URL is only marked ``ok`` in the transaction that stores what it yielded (its article, or the
links of a listing page), so a crawl killed at any point leaves every unfinished URL due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive import sql
from archive.schedule import RECHECK_GONE, failure_backoff, from_text, to_text

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

PENDING, OK, FAILED, GONE, DROPPED, DISALLOWED = "pending", "ok", "failed", "gone", "dropped", "disallowed"
STATES = (PENDING, OK, FAILED, GONE, DROPPED, DISALLOWED)
#: Kinds of URL a crawl schedules from the archive when they are due.
SCHEDULED_KINDS = ("listing", "article", "sitemap")
#: Sources of a discovery (``discoveries.source``).
SOURCES = ("nav", "listing", "pagination", "sitemap", "feed")


@dataclass(frozen=True)
class Fetch:
    """What one answer told about a URL."""

    #: The URL requested (the state key), before any redirect.
    url: str
    status: int
    etag: str | None = None
    last_modified: str | None = None
    #: sha256 (hex) of the body as received, decoded; None for a 304.
    content_hash: str | None = None
    #: The URL that answered, after redirects.
    final_url: str | None = None


@dataclass(frozen=True)
class Discovery:
    """The result of recording that a URL was found somewhere."""

    url: str
    #: The URL had no ``urls`` row before.
    new_url: bool
    #: The ``lastmod`` this source gave the last time (None the first time or without one).
    previous_lastmod: str | None
    #: The URL's state before this discovery.
    state: str


def get_state(db: Database, url: str) -> dict[str, Any] | None:
    """The ``urls`` row of ``url``, or None."""
    return sql.one(db, "SELECT * FROM urls WHERE url = ?", (url,))


def ensure_url(
    db: Database,
    url: str,
    *,
    site: str | None,
    kind: str,
    now: dt.datetime,
    crawl_id: int | None,
    section: str | None = None,
    page: int | None = None,
) -> bool:
    """Add ``url`` as ``pending`` (due now) unless it is known; True if it was added."""
    stamp = to_text(now)
    cursor = sql.write(
        db,
        "INSERT INTO urls (url, site, kind, state, section, page, first_seen, first_crawl_id, next_due)"
        " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT(url) DO NOTHING",
        [url, site, kind, section, page, stamp, crawl_id, stamp],
    )
    return cursor.rowcount > 0


def discover(
    db: Database,
    url: str,
    *,
    source: str,
    found_on: str | None,
    site: str | None,
    kind: str,
    now: dt.datetime,
    crawl_id: int | None,
    section: str | None = None,
    page: int | None = None,
    lastmod: str | None = None,
) -> Discovery:
    """Record that ``url`` was found by ``source`` (on ``found_on``); add it as pending if it is new.

    The first place each source found a URL is kept (``found_on``, ``section``, ``page``,
    ``first_seen``); ``last_seen`` and ``lastmod`` follow the latest sighting.
    """
    before = sql.first(db, "SELECT state FROM urls WHERE url = ?", (url,))
    if before is None:
        ensure_url(db, url, site=site, kind=kind, now=now, crawl_id=crawl_id, section=section, page=page)
    previous = sql.first(db, "SELECT lastmod FROM discoveries WHERE url = ? AND source = ?", (url, source))
    stamp = to_text(now)
    sql.write(
        db,
        "INSERT INTO discoveries (url, source, found_on, section, page, lastmod, last_found_on, first_seen,"
        " last_seen, crawl_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url, source) DO UPDATE SET"
        " last_seen = excluded.last_seen, lastmod = coalesce(excluded.lastmod, lastmod),"
        " last_found_on = excluded.last_found_on",
        [url, source, found_on, section, page, lastmod, found_on, stamp, stamp, crawl_id],
    )
    return Discovery(
        url=url,
        new_url=before is None,
        previous_lastmod=previous[0] if previous else None,
        state=PENDING if before is None else before[0],
    )


def vanished(db: Database, *, source: str, found_on: str, before: dt.datetime) -> list[str]:
    """URLs ``found_on`` listed at their last sighting by ``source`` that it no longer lists.

    ``before`` is when ``found_on`` was read: every URL it lists now was seen at or after it. Only URLs
    that answered last time (``ok`` or ``dropped``) are returned: they are to be checked again.
    """
    rows = db.query(
        "SELECT d.url FROM discoveries d JOIN urls u ON u.url = d.url WHERE d.source = ?"
        " AND d.last_found_on = ? AND d.last_seen < ? AND u.state IN ('ok', 'dropped') ORDER BY d.url",
        [source, found_on, to_text(before)],
    )
    return [row["url"] for row in rows]


def found_in_crawl(db: Database, url: str, crawl_id: int | None) -> bool:
    """Whether ``url`` was first discovered by crawl ``crawl_id`` (or is unknown)."""
    state = get_state(db, url)
    return state is None or (crawl_id is not None and state["first_crawl_id"] == crawl_id)


def mark_pending(db: Database, url: str, *, now: dt.datetime) -> None:
    """Make a known URL due now, to be fetched in full (its validators are not sent until it is ok)."""
    db.execute("UPDATE urls SET state = 'pending', next_due = ? WHERE url = ?", [to_text(now), url])


def record_ok(
    db: Database,
    fetch: Fetch,
    *,
    site: str | None,
    kind: str,
    now: dt.datetime,
    next_due: dt.datetime | None,
    crawl_id: int | None = None,
) -> bool:
    """Record a stored 200 answer; True if the body differs from the last one stored."""
    before = sql.first(db, "SELECT content_hash FROM urls WHERE url = ?", (fetch.url,))
    if before is None:
        ensure_url(db, fetch.url, site=site, kind=kind, now=now, crawl_id=crawl_id)
        before = (None,)
    changed = before[0] != fetch.content_hash
    stamp = to_text(now)
    sql.write(
        db,
        "UPDATE urls SET state = 'ok', status = ?, etag = ?, last_modified = ?, content_hash = ?,"
        " final_url = ?, last_fetched = ?, last_ok = ?,"
        " last_changed = CASE WHEN ? THEN ? ELSE last_changed END,"
        " next_due = ?, failures = 0, error = NULL, fetches = fetches + 1 WHERE url = ?",
        [
            fetch.status,
            fetch.etag,
            fetch.last_modified,
            fetch.content_hash,
            fetch.final_url,
            stamp,
            stamp,
            changed,
            stamp,
            to_text(next_due),
            fetch.url,
        ],
    )
    return changed


def record_not_modified(db: Database, url: str, *, now: dt.datetime, next_due: dt.datetime | None) -> None:
    """Record a 304 answer: the stored version is still current."""
    stamp = to_text(now)
    db.execute(
        "UPDATE urls SET state = 'ok', status = 304, last_fetched = ?, last_ok = ?, next_due = ?,"
        " failures = 0, error = NULL, fetches = fetches + 1 WHERE url = ?",
        [stamp, stamp, to_text(next_due), url],
    )


def record_failure(
    db: Database,
    url: str,
    *,
    site: str | None,
    kind: str,
    reason: str,
    status: int | None,
    now: dt.datetime,
    crawl_id: int | None = None,
) -> int:
    """Record a failed attempt; return the number of consecutive failures."""
    ensure_url(db, url, site=site, kind=kind, now=now, crawl_id=crawl_id)
    row = get_state(db, url)
    assert row is not None
    failures = int(row["failures"] or 0) + 1
    due = now + failure_backoff(failures)
    db.execute(
        "UPDATE urls SET state = 'failed', status = ?, error = ?, failures = ?, last_fetched = ?,"
        " next_due = ?, fetches = fetches + 1 WHERE url = ?",
        [status, reason, failures, to_text(now), to_text(due), url],
    )
    return failures


def record_outcome(
    db: Database,
    url: str,
    *,
    site: str | None,
    kind: str,
    state: str,
    now: dt.datetime,
    status: int | None = None,
    reason: str | None = None,
    crawl_id: int | None = None,
) -> None:
    """Record a final answer that is no article: ``gone`` (404/410), ``dropped`` or ``disallowed``."""
    if state not in (GONE, DROPPED, DISALLOWED):
        raise ValueError(f"not a final state: {state!r}")
    ensure_url(db, url, site=site, kind=kind, now=now, crawl_id=crawl_id)
    due = now if state == DISALLOWED else now + RECHECK_GONE
    db.execute(
        "UPDATE urls SET state = ?, status = coalesce(?, status), error = ?, failures = 0,"
        " last_fetched = ?, next_due = ?, fetches = fetches + ? WHERE url = ?",
        [state, status, reason, to_text(now), to_text(due), 1 if state == GONE else 0, url],
    )


def due(
    db: Database, *, site: str | None, now: dt.datetime, kinds: Iterable[str] = SCHEDULED_KINDS
) -> list[dict]:
    """URLs of ``site`` due at ``now`` (pending, failed after their back-off, due for a recrawl).

    Listing pages are only due while pending or failed: they are revisited by walking the sections.
    """
    kinds = list(kinds)
    marks = ", ".join("?" for _ in kinds)
    rows = db.query(
        f"SELECT url, kind, state, section, page, failures FROM urls WHERE site IS ? AND kind IN ({marks})"
        " AND next_due IS NOT NULL AND next_due <= ? AND state != 'disallowed'"
        " AND NOT (kind = 'listing' AND state IN ('ok', 'gone'))"
        " ORDER BY kind = 'article', next_due, url",
        [site, *kinds, to_text(now)],
    )
    return list(rows)


def known_sections(db: Database, site: str | None) -> list[str]:
    """Section URLs found in the site's nav menu by earlier crawls, in the order first found."""
    rows = db.query(
        "SELECT d.url FROM discoveries d JOIN urls u ON u.url = d.url"
        " WHERE d.source = 'nav' AND u.site IS ? ORDER BY d.first_seen, d.rowid",
        [site],
    )
    return [row["url"] for row in rows]


def last_ok(db: Database, url: str) -> dt.datetime | None:
    """When ``url`` last answered 200 or 304, or None."""
    row = get_state(db, url)
    return from_text(row["last_ok"]) if row else None


def counts(db: Database, site: str | None = None) -> dict[str, int]:
    """Number of URLs per state (of ``site``, or of every site)."""
    text = "SELECT state, count(*) AS n FROM urls"
    params: list[Any] = []
    if site is not None:
        text += " WHERE site = ?"
        params.append(site)
    return {row["state"]: row["n"] for row in db.query(text + " GROUP BY state", params)}
