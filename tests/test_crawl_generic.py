"""End to end: a WordPress site on another theme, no profile: the ``wordpress`` template and the generic
extractor, crawled by URL through the replay server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
HOST = "harbourblog.example"
BASE = f"http://{HOST}"
HEAD = """<meta name="generator" content="WordPress 6.5" />
<link rel="https://api.w.org/" href="{base}/wp-json/" />
<link rel="stylesheet" href="{base}/wp-content/themes/twentytwentyfour/style.css" />"""
MENU = """<header class="site-header"><nav class="main-navigation"><ul class="menu">
<li class="menu-item menu-item-home"><a href="{base}/">Home</a></li>
<li class="menu-item menu-item-type-taxonomy menu-item-object-category">
<a href="{base}/category/port/">Port</a></li>
<li class="menu-item menu-item-type-taxonomy menu-item-object-category">
<a href="{base}/category/town/">Town</a></li>
<li class="menu-item menu-item-type-post_type menu-item-object-page"><a href="{base}/about/">About</a></li>
</ul></nav></header>"""
SIDEBAR = """<aside id="secondary" class="widget-area"><section class="widget"><h2>Most read</h2><ul>
<li><a href="{base}/2024/01/05/ferry/">Ferry</a></li></ul></section></aside>
<footer class="site-footer"><p>Harbour Blog, independent since 2009. Write to the editor.</p></footer>"""
POSTS = {
    "port": [
        ("2024/01/05/ferry", "New ferry named after a fisherman", "Ana Lobo", "2024-01-05T09:00:00+00:00"),
        (
            "2024/02/10/cranes",
            "Two cranes arrive at the container quay",
            "Rui Mendes",
            "2024-02-10T11:30:00+00:00",
        ),
        ("2024/03/15/dredging", "Dredging of the channel begins", "Ana Lobo", "2024-03-15T08:15:00+00:00"),
    ],
    "town": [
        (
            "2024/04/20/market",
            "Covered market reopens after repairs",
            "Rui Mendes",
            "2024-04-20T10:00:00+01:00",
        ),
    ],
}


def _article(path: str, title: str, author: str, published: str) -> str:
    body = "".join(
        f"<p>{title} is the subject of paragraph {n}: residents, officials and visitors gave their views"
        " on what the change means for the harbour, its workers and the town in the coming years.</p>"
        for n in range(1, 5)
    )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": title,
            "datePublished": published,
            "author": {"@type": "Person", "name": author},
        }
    )
    return f"""<!doctype html><html lang="en"><head><title>{title} – Harbour Blog</title>
{HEAD.format(base=BASE)}
<meta property="og:type" content="article"><link rel="canonical" href="{BASE}/{path}/">
<script type="application/ld+json">{ld}</script></head>
<body class="post-template-default single single-post postid-9">{MENU.format(base=BASE)}
<main id="main" class="site-main"><article class="post"><h1 class="entry-title">{title}</h1>
<div class="entry-meta">By {author}</div><div class="entry-content">{body}
<div class="sharedaddy"><a href="#">Share on Facebook</a></div></div></article></main>
{SIDEBAR.format(base=BASE)}</body></html>"""


def _listing(section: str, posts: list[tuple[str, str, str, str]], page: int, pages: int) -> str:
    items = "".join(
        f'<article class="post"><h2 class="entry-title"><a href="{BASE}/{p}/" rel="bookmark">{t}</a></h2>'
        "</article>"
        for p, t, _, _ in posts
    )
    more = (
        f'<a class="next page-numbers" href="{BASE}/category/{section}/page/{page + 1}/">Older posts</a>'
        if page < pages
        else ""
    )
    return f"""<!doctype html><html><head><title>{section}</title>{HEAD.format(base=BASE)}</head>
<body class="archive category">{MENU.format(base=BASE)}<main id="main" class="site-main">{items}
<nav class="navigation pagination">{more}</nav></main>{SIDEBAR.format(base=BASE)}</body></html>"""


def _write(root: Path, path: str, text: str) -> None:
    target = root / HOST / path / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> sqlite_utils.Database:
    sites = tmp_path_factory.mktemp("sites")
    _write(
        sites, "", f"<html><head>{HEAD.format(base=BASE)}</head><body>{MENU.format(base=BASE)}</body></html>"
    )
    _write(
        sites,
        "about",
        f"<html><body class='page page-id-2'>{MENU.format(base=BASE)}<p>About</p></body></html>",
    )
    for section, posts in POSTS.items():
        pages = [posts[i : i + 2] for i in range(0, len(posts), 2)]
        for number, chunk in enumerate(pages, start=1):
            path = f"category/{section}" + (f"/page/{number}" if number > 1 else "")
            _write(sites, path, _listing(section, chunk, number, len(pages)))
        for post in posts:
            _write(sites, post[0], _article(*post))
    db_path = sites.parent / "blog.db"
    cmd = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        f"{BASE}/",
        "--db",
        str(db_path),
        "--replay",
        str(sites),
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "crawling it with the wordpress template" in done.stderr
    return sqlite_utils.Database(db_path)


def test_every_post_of_every_section_and_page(crawled: sqlite_utils.Database) -> None:
    rows = {r["url"]: r for r in crawled.query("select * from articles")}
    expected = {f"{BASE}/{p}/": (t, a, d) for posts in POSTS.values() for p, t, a, d in posts}

    assert sorted(rows) == sorted(expected)
    for url, (title, author, published) in expected.items():
        row = rows[url]
        assert row["title"] == title
        assert row["published"] == published
        assert row["body_text"].count("\n\n") == 3
        assert "Share on Facebook" not in row["body_text"]
        assert "Most read" not in row["body_text"] and "independent since 2009" not in row["body_text"]
        query = (
            "select a.name from authors a join article_authors aa on aa.author_id = a.id"
            " where aa.article_id = ?"
        )
        names = [r["name"] for r in crawled.query(query, [row["id"]])]
        assert names == [author]
        sources = json.loads(row["field_sources"])
        assert sources["title"] == "structured:jsonld:headline"
        assert sources["body"] == "generic:readability"
