"""Sitemaps (with lastmod) and RSS/Atom feeds: the URLs and dates a crawl discovers cheaply."""

from __future__ import annotations

from pathlib import Path

from crawler.discovery import Entry, iso_date, read_feed, read_sitemap, rfc822_date

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "sites" / "thediplomaticinsight.com"
BASE = "http://thediplomaticinsight.com"


def test_sitemap_index_of_the_saved_site() -> None:
    sitemap = read_sitemap((SITE / "sitemap_index.xml").read_bytes())

    assert sitemap.kind == "index"
    assert [e.url for e in sitemap.entries] == [
        f"{BASE}/post-sitemap.xml",
        f"{BASE}/post-sitemap2.xml",
        f"{BASE}/page-sitemap.xml",
        f"{BASE}/category-sitemap.xml",
    ]
    assert sitemap.entries[0].lastmod == "2024-07-04T15:40:26Z"


def test_post_sitemaps_list_every_article_with_its_lastmod() -> None:
    entries = [
        e
        for name in ("post-sitemap.xml", "post-sitemap2.xml")
        for e in read_sitemap((SITE / name).read_bytes()).entries
    ]

    assert len(entries) == 166 == len({e.url for e in entries})
    assert entries[0] == Entry(f"{BASE}/mexico-sets-out-security-council-priorities/", "2021-01-04T20:37:12Z")
    assert all(e.lastmod for e in entries)


def test_rss_feed_of_the_saved_site() -> None:
    entries = read_feed((SITE / "feed" / "index.xml").read_bytes())

    assert len(entries) == 10
    assert entries[0] == Entry(
        f"{BASE}/new-ambassadors-present-copies-of-credentials-to-foreign-minister/", "2026-11-20T08:00:00Z"
    )


def test_atom_feed_and_dates() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><link rel="alternate" href="https://e.com/a/"/><updated>2026-01-02T03:04:05+01:00</updated></entry>
      <entry><link rel="replies" href="https://e.com/a/#c"/><link href="https://e.com/b/"/>
             <published>2026-01-03</published></entry></feed>"""

    assert read_feed(atom) == [
        Entry("https://e.com/a/", "2026-01-02T02:04:05Z"),
        Entry("https://e.com/b/", "2026-01-03T00:00:00Z"),
    ]
    assert rfc822_date("Fri, 20 Nov 2026 08:00:00 +0500") == "2026-11-20T03:00:00Z"
    assert rfc822_date("nonsense") is None
    assert iso_date(None) is None


def test_what_is_not_a_sitemap_or_feed() -> None:
    assert read_sitemap(b"<html><body>Not found</body></html>").kind == "unknown"
    assert read_sitemap(b"").entries == []
    assert read_feed(b"{json: true}") == []
    urlset = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>2026-01-01</lastmod></url></urlset>'
    assert read_sitemap(urlset).entries == []


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.com/&x;</loc></url></urlset>'
    ).encode()

    assert all("SECRET" not in e.url for e in read_sitemap(body).entries)
