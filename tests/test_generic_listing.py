"""Sections, article links and next pages on the listing pages of any site (the generic page module)."""

from __future__ import annotations

import pytest

from crawler.pages.generic_listing import listing_article_urls, listing_next_page, nav_section_urls
from crawler.pages.modules import MODULES, get_module

BASE = "https://blog.example/"

WORDPRESS_HOME = """<html><body>
<header><nav class="main-navigation"><ul id="primary-menu" class="menu">
<li class="menu-item menu-item-type-custom menu-item-home"><a href="https://blog.example/">Home</a></li>
<li class="menu-item menu-item-type-taxonomy menu-item-object-category"><a href="https://blog.example/category/news/">News</a>
<ul class="sub-menu"><li class="menu-item menu-item-type-taxonomy menu-item-object-category">
<a href="https://blog.example/category/news/local/">Local</a></li></ul></li>
<li class="menu-item menu-item-type-post_type menu-item-object-page"><a href="https://blog.example/about/">About</a></li>
<li class="menu-item menu-item-type-taxonomy menu-item-object-category"><a href="https://blog.example/category/news/">News</a></li>
</ul></nav></header></body></html>"""

PLAIN_HOME = """<html><body><header><nav>
<a href="/">Home</a> <a href="/politics/">Politics</a> <a href="https://blog.example/sport/#top">Sport</a>
<a href="https://elsewhere.example/">Partner</a> <a href="/contact/">Contact</a> <a href="/tag/x/">X</a>
<a href="mailto:desk@blog.example">Mail</a></nav></header><main><p>Hello</p></main></body></html>"""

LISTING = """<html><head><link rel="next" href="https://blog.example/category/news/page/2/"></head><body>
<header><nav><a href="/category/news/">News</a></nav></header>
<main id="main" class="site-main">
<article class="post"><h2 class="entry-title">
<a href="https://blog.example/2024/05/01/first/" rel="bookmark">First</a></h2>
<p>Summary with <a href="https://blog.example/tag/x/">a tag link</a>.</p></article>
<article class="post"><h2 class="entry-title"><a href="/2024/04/30/second/">Second</a></h2></article>
<article class="post"><h3><a href="https://blog.example/2024/05/01/first/">First again</a></h3></article>
<aside class="widget"><h3><a href="/popular/">Popular</a></h3></aside>
<nav class="navigation pagination"><a class="page-numbers" href="/category/news/page/2/">2</a>
<a class="next page-numbers" href="/category/news/page/2/">Next</a></nav>
</main>
<div id="secondary" class="sidebar"><h2><a href="/2020/01/01/old-popular/">Old popular</a></h2></div>
</body></html>"""


def test_wordpress_menu_categories_are_the_sections() -> None:
    assert nav_section_urls(WORDPRESS_HOME, BASE) == [
        "https://blog.example/category/news/",
        "https://blog.example/category/news/local/",
    ]


def test_without_wordpress_menus_the_navigation_links_on_the_site() -> None:
    assert nav_section_urls(PLAIN_HOME, BASE) == [
        "https://blog.example/politics/",
        "https://blog.example/sport/",
    ]


def test_headline_links_of_the_main_column_only() -> None:
    assert listing_article_urls(LISTING, "https://blog.example/category/news/") == [
        "https://blog.example/2024/05/01/first/",
        "https://blog.example/2024/04/30/second/",
    ]


def test_next_page() -> None:
    assert listing_next_page(LISTING, "https://blog.example/category/news/") == (
        "https://blog.example/category/news/page/2/"
    )
    assert listing_next_page(PLAIN_HOME, BASE) is None


def test_the_page_modules() -> None:
    assert set(MODULES) == {"newspaper", "generic"}
    assert get_module("generic").listing_next_page is listing_next_page
    with pytest.raises(KeyError, match="known: newspaper, generic"):
        get_module("joomla")
