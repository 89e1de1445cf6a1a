"""Coverage: what the site's sitemaps, feeds and listings know, against what the archive holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

#: SQL: the discovered URL ``d.url`` has an article (by canonical or fetch URL).
ARCHIVED = "EXISTS (SELECT 1 FROM articles a WHERE a.url = d.url OR a.url_raw = d.url)"


@dataclass
class Coverage:
    """Counts per discovery source and the URLs the sitemaps list that the archive lacks."""

    #: ``{source: {"urls": n, "archived": n, "first": n}}``; ``first``: URLs this source found first.
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Sitemap URLs without an article: ``url``, ``lastmod``, ``state``, ``status``, ``error``, ``found_on``.
    missing: list[dict[str, Any]] = field(default_factory=list)
    #: Articles no sitemap lists (canonical URLs).
    not_in_sitemaps: list[str] = field(default_factory=list)
    articles: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "sources": self.sources,
            "missing": self.missing,
            "not_in_sitemaps": self.not_in_sitemaps,
        }


def coverage(db: Database, site: str | None = None) -> Coverage:
    """The coverage of the archive (of ``site``, or of every site)."""
    where, params = ("WHERE u.site = ?", [site]) if site else ("", [])
    report = Coverage()
    report.articles = _count_articles(db, site)
    report.sources = _sources(db, where, params)
    report.missing = list(
        db.query(
            f"SELECT d.url, d.lastmod, u.state, u.status, u.error, d.found_on FROM discoveries d"
            f" JOIN urls u ON u.url = d.url {where or 'WHERE 1'} AND d.source = 'sitemap'"
            f" AND u.kind = 'article' AND NOT {ARCHIVED} ORDER BY d.lastmod DESC, d.url",
            params,
        )
    )
    clause = "a.site = ? AND " if site else ""
    report.not_in_sitemaps = [
        row["url"]
        for row in db.query(
            f"SELECT a.url FROM articles a WHERE {clause}NOT EXISTS (SELECT 1 FROM discoveries d"
            " WHERE d.source = 'sitemap' AND d.url IN (a.url, a.url_raw)) ORDER BY a.url",
            params,
        )
    ]
    return report


def _count_articles(db: Database, site: str | None) -> int:
    if site:
        return next(iter(db.query("SELECT count(*) AS n FROM articles WHERE site = ?", [site])))["n"]
    return next(iter(db.query("SELECT count(*) AS n FROM articles")))["n"]


def _sources(db: Database, where: str, params: list[Any]) -> dict[str, dict[str, int]]:
    rows = db.query(
        f"SELECT d.source, count(*) AS urls, sum({ARCHIVED}) AS archived,"
        " sum(d.rowid = (SELECT min(e.rowid) FROM discoveries e WHERE e.url = d.url)) AS first"
        f" FROM discoveries d JOIN urls u ON u.url = d.url {where or 'WHERE 1'} AND u.kind = 'article'"
        " GROUP BY d.source ORDER BY d.source",
        params,
    )
    return {
        row["source"]: {"urls": row["urls"], "archived": row["archived"] or 0, "first": row["first"] or 0}
        for row in rows
    }
