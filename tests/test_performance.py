"""The throughput changes keep behaviour: same index, same first paragraph, same search results.

No timing is asserted here (the benchmarks in bench/ measure speed); these tests pin down that the
faster code paths give exactly what the straightforward ones gave.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import pytest
from lxml import etree

from archive import queries, store
from crawler.pages.document import INDEXED_CLASSES, INDEXED_ITEMPROPS, Page
from crawler.pages.dom import class_xpath, parse_html, text_of
from crawler.pages.newspaper import _first_paragraph, content_region
from crawler.replay import ReplayServer
from crawler.replay.transport import ReplayHandler
from crawler.run import project_settings

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlite_utils import Database

BASE = "https://thediplomaticinsight.com"

# --- settings and replay server ---------------------------------------------------------------------


def test_items_of_a_response_are_processed_one_at_a_time() -> None:
    assert project_settings().getint("CONCURRENT_ITEMS") == 1
    assert project_settings({"CONCURRENT_ITEMS": 8}).getint("CONCURRENT_ITEMS") == 8


def test_replay_server_sends_without_nagle_delay(tmp_path: Path) -> None:
    """Headers and body go out as two writes: with Nagle's algorithm on, keep-alive answers stall."""
    site = tmp_path / "example.com"
    site.mkdir()
    (site / "index.html").write_text("<html><body>home</body></html>")
    assert ReplayHandler.disable_nagle_algorithm is True
    seen: list[int] = []
    original = ReplayHandler.setup

    def setup(handler: ReplayHandler) -> None:
        original(handler)
        seen.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    ReplayHandler.setup = setup  # type: ignore[method-assign]
    try:
        with ReplayServer(tmp_path) as server, socket.create_connection(("127.0.0.1", server.port)) as client:
            for _ in range(2):  # two answers on one keep-alive connection
                client.sendall(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
                answer = b""
                while b"home" not in answer:
                    answer += client.recv(65536)
                assert answer.startswith(b"HTTP/1.1 200")
    finally:
        ReplayHandler.setup = original  # type: ignore[method-assign]
    assert seen and all(seen)


# --- page index -------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html lang="en-US"><head>
<meta property="og:title" content="First"><meta property="og:title" content="Second">
<meta name="description" content=" Desc "><link rel="canonical" href="/a/"><link rel="canonical" href="/b/">
<script type="application/ld+json">{"@type": "NewsArticle"}</script></head>
<body class="single single-post postid-7"><body class="other">
<div class="tdb_title tdb_title x"><h1>T</h1></div>
<article itemscope><span itemprop="author">A</span><meta itemprop="datePublished" content="2021">
<div class="  td-post-content   entry-title "><p>x</p></div></article>
<article><span itemprop="headline">H</span><span itemprop="unindexed">U</span></article>
<ul class="tdb-menu sf-menu"><li class="page-nav">1</li></ul>
</body></html>"""


def _reference_index(root: etree._Element) -> dict[str, Any]:
    """The index the one-pass walk of every element builds (the behaviour to keep)."""
    by_class: dict[str, list[etree._Element]] = {}
    itemprops: dict[str, list[etree._Element]] = {}
    tags: list[etree._Element] = []
    for el in root.iter(etree.Element):
        for token in (el.get("class") or "").split():
            if token in INDEXED_CLASSES:
                by_class.setdefault(token, []).append(el)
        if el.tag in ("meta", "link", "script", "article", "body"):
            tags.append(el)
        itemprop = el.get("itemprop")
        if itemprop in INDEXED_ITEMPROPS:
            itemprops.setdefault(itemprop, []).append(el)
    return {"by_class": by_class, "itemprops": itemprops, "tags": tags}


def test_page_index_is_the_one_pass_index() -> None:
    root = parse_html(PAGE)
    assert root is not None
    page = Page(root, "http://example.com/a/")
    reference = _reference_index(root)
    assert page.by_class == reference["by_class"]
    assert page.by_class["tdb_title"] == [page.by_class["tdb_title"][0]] * 2  # a token given twice
    assert page.itemprops == reference["itemprops"]
    assert page.meta == {"og:title": "First", "description": "Desc"}
    assert page.links == {"canonical": "/a/"}
    assert page.body_classes == frozenset({"single", "single-post", "postid-7"})
    assert [a.get("itemscope") for a in page.articles] == ["", None]
    assert page.lang == "en-US"
    assert page.jsonld is not None


# --- first paragraph (dateline) -----------------------------------------------------------------------

_XPATH_PARAGRAPHS = etree.XPath(
    ".//p[not(ancestor::figure) and not(ancestor::*["
    + " or ".join(
        class_xpath(name)
        for name in ("td-a-ad", "td-a-rec", "td-g-rec", "td-post-featured-image", "code-block")
    )
    + "])]"
)


def _xpath_first_paragraph(region: etree._Element) -> str | None:
    for paragraph in _XPATH_PARAGRAPHS(region):
        text = text_of(paragraph)
        if text:
            return text
    return None


@pytest.mark.parametrize(
    "body",
    [
        "<p>First.</p><p>Second.</p>",
        "<p> </p><p>&nbsp;</p><p>After empty ones.</p>",
        "<figure><p>Caption para.</p></figure><p>Body.</p>",
        "<div class='td-a-rec x'><p>Ad.</p></div><div class='wrap'><div><p>Deep body.</p></div></div>",
        "<div class='code-block code-block-3'><p>Ad.</p></div>"
        "<div class='td-post-featured-image'><p>Image.</p></div><p>Body after.</p>",
        "<div class='td-g-rec-x'><p>Not an ad class.</p></div>",
        "<blockquote><p>Quoted.</p></blockquote>",
        "<div>No paragraph at all.</div>",
    ],
)
def test_first_paragraph_is_the_first_body_paragraph(body: str) -> None:
    html = (
        "<html><body><div class='td-post-content tagdiv-type'>"
        f"<div class='td-a-ad id_top_ad'><p>Top ad.</p></div>{body}</div></body></html>"
    )
    root = parse_html(html)
    assert root is not None
    region, _ = content_region(Page(root, "http://example.com/"))
    assert region is not None
    assert _first_paragraph(region) == _xpath_first_paragraph(region)


def test_first_paragraph_inside_an_ad_wrapper_is_not_body_text() -> None:
    root = parse_html(
        "<html><body><div class='td-a-rec'><div class='td-post-content'><p>Inside an ad.</p></div></div>"
        "</body></html>"
    )
    assert root is not None
    region, _ = content_region(Page(root, "http://example.com/"))
    assert region is not None
    assert _first_paragraph(region) is None is _xpath_first_paragraph(region)


# --- full-text search ---------------------------------------------------------------------------------


def _exact_search(db: Database, match: str, limit: int) -> list[tuple[int, float]]:
    sql = (
        "SELECT a.id AS id, articles_fts.rank AS rank FROM articles_fts"
        " JOIN articles a ON a.id = articles_fts.rowid"
        " WHERE articles_fts MATCH ? ORDER BY articles_fts.rank, a.id LIMIT ?"
    )
    return [(row["id"], row["rank"]) for row in db.query(sql, [match, limit])]


@pytest.fixture
def twins(fresh_db: Database, make_record: Callable[..., dict[str, Any]]) -> Database:
    """Articles with equal ranks for "treaty" (same text), and better and worse matches around them."""
    bodies = ["treaty treaty treaty signed"] + ["a treaty was signed today"] * 6 + ["treaty " + "x " * 80]
    for number, body in enumerate(bodies):
        url = f"{BASE}/article-{number}/"
        store.upsert_article(
            fresh_db, make_record(url=url, url_raw=url, title=f"Note {number}", body_text=body)
        )
    return fresh_db


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 8, 20])
def test_search_order_is_rank_then_id_whatever_the_limit(twins: Database, limit: int) -> None:
    expected = _exact_search(twins, "treaty", limit)
    found = queries.search(twins, "treaty", limit=limit)
    assert [(row["id"], row["rank"]) for row in found] == expected
    filtered = queries.search_articles(twins, "treaty", limit=limit)
    assert [(row["id"], row["rank"]) for row in filtered] == expected


def test_search_with_ties_straddling_the_limit_keeps_the_lowest_ids(twins: Database) -> None:
    ranks = [rank for _, rank in _exact_search(twins, "treaty", 20)]
    assert len(set(ranks[1:7])) == 1, "six articles share one rank"
    found = queries.search(twins, "treaty", limit=3)
    assert [row["id"] for row in found] == [row_id for row_id, _ in _exact_search(twins, "treaty", 3)]
    assert [row["title"] for row in found] == ["Note 0", "Note 1", "Note 2"]
    assert all("[treaty]" in row["snippet"] for row in found)
