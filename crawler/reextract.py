"""Re-run the current extraction over the stored captures, offline.

For every archived article (or the ones asked for), the newest capture of its page is read back from
the WARC files and goes through the same steps as during a crawl: the page module, the boilerplate
cleaner, date normalisation and validation. The result is stored in a savepoint and compared with what
the archive holds; without ``apply`` the savepoint is rolled back, so the report says which fields
*would* change and nothing is written. With ``apply`` the new extraction is kept, as a new version of
each changed article (cause ``reextract``).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.captures import latest_ok, payload_of
from archive.records import CONTENT_FIELDS
from archive.store import upsert_article
from archive.versions import REEXTRACT, record_version, seed_first_version, snapshot
from crawler.chain import build_article, finish_article
from crawler.pipelines import ValidationPipeline
from crawler.sites import get_profile
from crawler.warc import read_record

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlite_utils import Database

    from crawler.items import Article

logger = logging.getLogger(__name__)

CHILD_FIELDS = ("authors", "categories", "tags", "images")
CHARSET = re.compile(r"charset=([\w-]+)", re.I)


@dataclass
class ArticleResult:
    """What re-extraction found for one article."""

    id: int
    url: str
    #: ``changed``, ``unchanged``, ``not_article`` (the page no longer passes validation),
    #: ``no_capture`` (nothing stored to re-read) or ``unreadable`` (the WARC record cannot be read).
    status: str
    fields: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class ReextractReport:
    """The results of one re-extraction."""

    results: list[ArticleResult] = field(default_factory=list)
    applied: bool = False

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def changed(self) -> list[ArticleResult]:
        return [result for result in self.results if result.status == "changed"]

    def field_counts(self) -> dict[str, int]:
        """How many articles would change in each field, most first."""
        counts: dict[str, int] = {}
        for result in self.changed:
            for name in result.fields:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def extract(
    body: bytes, url: str, *, fetched_at: str, site: str, site_timezone: str, encoding: str | None
) -> tuple[Article, str | None]:
    """The article of a stored page as a crawl stores it (the spider's extraction chain, then the
    cleaning and date pipelines); and the reason validation would drop it, if any."""
    article = build_article(
        body,
        url,
        profile=get_profile(site),
        fetched_at=fetched_at,
        site_timezone=site_timezone,
        encoding=encoding,
    )
    finish_article(article)
    return article, ValidationPipeline._reason(article)


def reextract(
    db: Database,
    base_dir: str | Path,
    *,
    articles: Iterable[str | int] | None = None,
    apply: bool = False,
    now: str | None = None,
) -> ReextractReport:
    """Re-extract the archived ``articles`` (ids or URLs; all when None) from their captures."""
    report = ReextractReport(applied=apply)
    for row in _articles(db, articles):
        result = _one(db, Path(base_dir), row, apply=apply, now=now)
        report.results.append(result)
        if result.status == "changed":
            logger.info("%s: %s", row["url"], ", ".join(result.fields))
    if apply and db.conn.in_transaction:
        db.execute("COMMIT")
    return report


def _articles(db: Database, wanted: Iterable[str | int] | None) -> list[dict[str, Any]]:
    columns = "id, url, url_raw, site, site_timezone, fetched_at, last_seen"
    if wanted is None:
        return list(db.query(f"SELECT {columns} FROM articles ORDER BY id"))
    rows = []
    for item in wanted:
        text = str(item).strip()
        if text.isdigit():
            found = list(db.query(f"SELECT {columns} FROM articles WHERE id = ?", [int(text)]))
        else:
            found = list(
                db.query(f"SELECT {columns} FROM articles WHERE url = ? OR url_raw = ?", [text, text])
            )
        if not found:
            raise LookupError(f"no archived article {text!r}")
        rows.extend(found)
    return rows


def _one(db: Database, base_dir: Path, row: dict[str, Any], *, apply: bool, now: str | None) -> ArticleResult:
    result = ArticleResult(id=row["id"], url=row["url"], status="no_capture")
    capture = latest_ok(db, [u for u in (row["url_raw"], row["url"]) if u])
    capture = payload_of(db, capture) if capture is not None else None
    if capture is None:
        return result
    try:
        stored = read_record(base_dir, capture["warc_file"], capture["warc_offset"])
    except (OSError, ValueError) as error:
        result.status, result.detail = "unreadable", str(error)
        return result
    charset = CHARSET.search(capture["content_type"] or "")
    article, reason = extract(
        stored.body,
        stored.url,
        fetched_at=row["fetched_at"] or capture["fetched_at"],
        site=row["site"] or "",
        site_timezone=row["site_timezone"] or "UTC",
        encoding=charset.group(1) if charset else None,
    )
    if reason is not None:
        result.status, result.detail = "not_article", reason
        return result
    result.fields = _store(db, row, article, apply=apply, now=now)
    result.status = "changed" if result.fields else "unchanged"
    return result


def _store(db: Database, row: dict[str, Any], article: Article, *, apply: bool, now: str | None) -> list[str]:
    """Store ``article`` in a savepoint; return the fields that changed; keep it only with ``apply``."""
    if not db.conn.in_transaction:
        db.execute("BEGIN")
    savepoint = f"reextract_{secrets.token_hex(8)}"
    db.execute(f"SAVEPOINT {savepoint}")
    try:
        if apply:
            seed_first_version(db, row["id"])
        before_row = _row(db, row["id"])
        before = snapshot(db, row["id"]) or {}
        record = article.to_record()
        record["url"] = row["url"]
        upsert_article(db, record, now=now)
        db.execute("UPDATE articles SET last_seen = ? WHERE id = ?", [row["last_seen"], row["id"]])
        after_row = _row(db, row["id"])
        after = snapshot(db, row["id"]) or {}
        changed = [name for name in CONTENT_FIELDS if before_row.get(name) != after_row.get(name)]
        changed += [
            name for name in CHILD_FIELDS if before.get(name) != after.get(name) and name not in changed
        ]
        if apply and changed:
            record_version(
                db, row["id"], now=now or after_row["last_changed"], crawl_id=None, cause=REEXTRACT
            )
    except BaseException:
        db.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
        db.execute(f"RELEASE SAVEPOINT {savepoint}")
        raise
    if not apply:
        db.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
    db.execute(f"RELEASE SAVEPOINT {savepoint}")
    return changed


def _row(db: Database, article_id: int) -> dict[str, Any]:
    return next(iter(db.query("SELECT * FROM articles WHERE id = ?", [article_id])))
