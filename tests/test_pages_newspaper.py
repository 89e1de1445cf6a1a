"""The Newspaper-theme page module: raw article fields, listing links, robustness, saved pages."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.items import Article, Author, Image, Term
from crawler.pages.dateline import parse_dateline
from crawler.pages.images import largest_srcset_url
from crawler.pages.newspaper import (
    clean_article_url,
    listing_article_urls,
    listing_next_page,
    nav_section_urls,
    parse_article,
)

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIR = ROOT / "fixtures" / "expected" / "tdi"
SITE_DIR = ROOT / "fixtures" / "sites" / "thediplomaticinsight.com"
EVAL_DIR = ROOT.parent / "shared" / "eval" / "newspaper-theme"

SITE = "https://thediplomaticinsight.com"
URL = f"{SITE}/icaft-conference-of-oas-led-by-mexico/"
FETCHED = "2026-11-20T10:00:00+00:00"

# --- page builders ----------------------------------------------------------------------------

HEAD = f"""<head><meta charset="utf-8">
<title>ICAFT Conference of OAS led by Mexico - The Diplomatic Insight</title>
<link rel="canonical" href="{URL}">
<link rel="shortlink" href="{SITE}/?p=48123">
<link rel="https://api.w.org/" href="{SITE}/wp-json/">
<meta property="og:site_name" content="The Diplomatic Insight">
<meta property="og:title" content="ICAFT Conference of OAS led by Mexico - The Diplomatic Insight">
<meta property="og:image" content="{SITE}/wp-content/uploads/2021/10/icaft-og.jpg">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="800">
<meta property="article:published_time" content="2021-10-05T21:14:32+00:00">
<meta property="article:modified_time" content="2021-10-06T08:00:00+00:00">
<meta name="author" content="Meta Author">
</head>"""

BREADCRUMBS = f"""<div class="td_block_wrap tdb_breadcrumbs tdi_15 tdb-breadcrumbs"
 data-td-block-uid="tdi_15">
<style>.tdi_15{{color:red}}</style><div class="tdb-block-inner td-fix-index">
<span><a title="" class="tdb-entry-crumb" href="{SITE}/">Home</a></span><i class="tdb-bread-sep"></i>
<span><a title="View all posts in News" class="tdb-entry-crumb" href="{SITE}/category/news/">News</a></span>
<i class="tdb-bread-sep"></i>
<span><a class="tdb-entry-crumb" href="{SITE}/category/news/diplomatic-news/">Diplomatic News</a></span>
<i class="tdb-bread-sep tdb-bred-no-url-last"></i>
<span class="tdb-bred-no-url-last">ICAFT Conference of OAS led by Mexico</span></div></div>"""

CATEGORIES = f"""<div class="td_block_wrap tdb_single_categories tdi_16"><div
 class="tdb-category td-fix-index">
<a class="tdb-entry-category" href="{SITE}/category/news/diplomatic-news/"><span class="tdb-cat-bg">
</span>Diplomatic News</a>
<a class="tdb-entry-category" href="{SITE}/category/news/"><span class="tdb-cat-bg"></span>News</a>
</div></div>"""

TITLE = """<div class="td_block_wrap tdb_title tdi_17 tdb-single-title"><div
 class="tdb-block-inner td-fix-index">
<h1 class="tdb-title-text">ICAFT   Conference of OAS
 led by Mexico</h1><div></div><div class="tdb-title-line"></div></div></div>"""

SUBTITLE = """<div class="td_block_wrap tdb_single_subtitle tdi_18"><div class="tdb-block-inner td-fix-index">
<h2>Member States <b>adopt</b> 21 recommendations</h2></div></div>"""

BYLINE = f"""<div class="td_block_wrap tdb_single_author tdi_19 tdb-post-meta"><div
 class="tdb-block-inner td-fix-index">
<a class="tdb-author-photo" href="{SITE}/author/carla-esparza-arteaga/" title="Carla Esparza Arteaga"><img
 class="avatar" src="a.jpg"></a>
<div class="tdb-author-name-wrap"><span class="tdb-author-by">By</span>
<a class="tdb-author-name" href="{SITE}/author/carla-esparza-arteaga/">Carla Esparza Arteaga</a>
</div></div></div>"""

DATE = """<div class="td_block_wrap tdb_single_date tdi_20 tdb-post-meta"><div
 class="tdb-block-inner td-fix-index">
<time class="entry-date updated td-module-date" datetime="2021-10-06T02:14:32+05:00">6 October 2021</time>
</div></div>"""

MODIFIED_DATE = """<div class="td_block_wrap tdb_single_modified_date tdi_21 tdb-post-meta"><div
 class="tdb-block-inner">
<time class="entry-date updated td-module-date" datetime="2021-10-07T10:00:00+05:00">7 October 2021</time>
</div></div>"""

FEATURED = f"""<div class="td_block_wrap tdb_single_featured_image tdi_22"><div
 class="tdb-block-inner td-fix-index">
<figure><a href="{SITE}/wp-content/uploads/2021/10/icaft.jpg" data-caption="Delegates at the OAS">
<img class="entry-thumb td-modal-image" width="696" height="464"
 src="{SITE}/wp-content/uploads/2021/10/icaft-696x464.jpg"
 srcset="{SITE}/wp-content/uploads/2021/10/icaft-300x200.jpg 300w,
 {SITE}/wp-content/uploads/2021/10/icaft-1024x683.jpg 1024w"
 alt="ICAFT conference" title="Delegates at the OAS"></a>
<figcaption class="tdb-caption-text">Delegates at the  OAS headquarters</figcaption></figure></div></div>"""

CONTENT = """<div class="td_block_wrap tdb_single_content tdi_28 td-post-content tagdiv-type"
 data-td-block-uid="tdi_28">
<style>.tdi_28{margin:0}</style><div class="tdb-block-inner td-fix-index">
<div class="td-a-ad id_top_ad"><span class="td-adspot-title">- Advertisement -</span><p>Buy now</p></div>
<p>Mexico City, 6 October 2021 (TDI): The Fifth Conference of Member States met.</p>
<p>According to the Media Note; Mexico was chair.</p></div></div>"""

TAGS = f"""<div class="td_block_wrap tdb_single_tags tdi_30"><div class="tdb-block-inner td-fix-index">
<ul class="tdb-tags"><li><span>Tags</span></li><li><a href="{SITE}/tag/mexico/">Mexico</a></li>
<li><a href="{SITE}/tag/oas/">OAS</a></li></ul></div></div>"""

AUTHOR_BOX = f"""<div class="tdb-author-box td_block_wrap tdb_single_author_box tdi_31"><div
 class="tdb-block-inner td-fix-index">
<a href="{SITE}/author/carla-esparza-arteaga/" class="tdb-author-photo" title="Carla Esparza Arteaga"><img
 alt="Carla"></a>
<div class="tdb-author-info"><a href="{SITE}/author/carla-esparza-arteaga/"
 class="tdb-author-name">Carla Esparza Arteaga</a>
<a href="https://thediplomaticinsight.com" class="tdb-author-url">https://thediplomaticinsight.com</a>
<div class="tdb-author-descr">International Relations student at the
 Universidad de Navarra in Spain.</div><div class="tdb-author-social"></div></div></div></div>"""

SIDEBAR = f"""<div class="vc_column td-pb-span4"><div class="wpb_wrapper">
<div class="td_block_wrap td_flex_block_1"><h4 class="block-title"><span>Most Popular</span></h4>
<div class="td_module_flex"><h3 class="entry-title td-module-title"><a href="{SITE}/popular/">Popular</a></h3>
<span class="td-post-author-name"><a href="{SITE}/author/someone/">Someone Else</a></span>
<time class="entry-date" datetime="2020-01-01T00:00:00+00:00">1 January 2020</time></div></div></div></div>"""

MICRODATA = f"""<span class="td-page-meta" itemprop="author" itemscope itemtype="https://schema.org/Person">
<meta itemprop="name" content="Microdata Author"><meta itemprop="url" content="{SITE}/author/md/"></span>
<meta itemprop="datePublished" content="2021-10-06T02:14:32+05:00">
<meta itemprop="dateModified" content="2021-10-07T10:00:00+05:00">"""

COMPOSER_BLOCKS = (
    BREADCRUMBS,
    CATEGORIES,
    TITLE,
    SUBTITLE,
    BYLINE,
    DATE,
    MODIFIED_DATE,
    FEATURED,
    CONTENT,
    TAGS,
    AUTHOR_BOX,
)


def composer_page(
    *blocks: str,
    head: str = HEAD,
    body_class: str = "post-template-default single single-post postid-48123 single-format-standard "
    "tdb_template_591 tdb-template",
    microdata: str = MICRODATA,
    lang: str = "en-US",
) -> str:
    """A Composer single-template page made of ``blocks`` (all of them by default) and a sidebar."""
    blocks = blocks or COMPOSER_BLOCKS
    return f"""<!DOCTYPE html><html lang="{lang}">{head}<body class="{body_class}">
<div id="td-outer-wrap"><div class="td-header-template-wrap"><ul class="tdb-menu"></ul></div>
<div class="td-main-content-wrap"><article id="template-id-591" class="post-591 tdb_templates"
 itemscope itemtype="https://schema.org/Article"><div class="tdc-zone"><div class="vc_column td-pb-span8">
<div class="wpb_wrapper">{"".join(blocks)}</div></div>{SIDEBAR}</div>{microdata}</article></div></div>
</body></html>"""


CLASSIC = """<!DOCTYPE html><html lang="en-GB"><head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>Classic post | Classic Site</title>
<meta property="og:title" content="Classic post | Classic Site">
<meta property="og:site_name" content="Classic Site">
</head>
<body class="post-template-default single single-post postid-580285 single_template_2">
<div class="td-main-content-wrap"><div class="td-container td-post-template-default">
<div class="td-crumb-container"><div class="entry-crumbs">
<span><a title="" class="entry-crumb" href="https://classic.example/">Start</a></span>
<i class="td-bread-sep"></i><span><a class="entry-crumb"
 href="https://classic.example/category/world/">World</a></span>
<i class="td-bread-sep td-bred-no-url-last"></i><span class="td-bred-no-url-last">Classic post</span></div>
</div>
<div class="td-pb-row"><div class="td-pb-span8 td-main-content"><div class="td-ss-main-content">
<article id="post-580285" class="post-580285 post type-post" itemscope itemtype="https://schema.org/Article">
<div class="td-post-header">
<ul class="td-category"><li class="entry-category"><a
 href="https://classic.example/category/world/">World</a></li>
<li class="entry-category"><a href="https://classic.example/category/asia/">Asia</a></li></ul>
<header class="td-post-title"><h1 class="entry-title">Classic   post</h1>
<p class="td-post-sub-title">A classic standfirst</p>
<div class="td-module-meta-info"><div class="td-post-author-name"><div class="td-author-by">By</div>
<a href="https://classic.example/author/jane/">Jane Doe</a> and <a
 href="https://classic.example/author/john/">John Roe</a>
<div class="td-author-line"> - </div></div>
<span class="td-post-date"><time class="entry-date updated td-module-date"
 datetime="2022-05-04T00:01:53-05:00">May 4, 2022</time></span></div></header></div>
<div class="td-post-content tagdiv-type">
<div class="td-post-featured-image"><figure><a href="https://classic.example/up/full.jpg"
 data-caption="Lead caption">
<img class="entry-thumb" src="data:image/svg+xml,%3Csvg%3E"
 data-lazy-srcset="https://classic.example/up/lead-300.jpg 300w,
 https://classic.example/up/lead-696.jpg 696w" width="696" height="464" alt=""></a>
<figcaption class="wp-caption-text">Lead caption</figcaption></figure></div>
<div class="td-a-rec td-a-rec-id-content_top"><p>Ad</p></div>
<p>Islamabad, Kabul: July 19, 2021 (TDI): Talks were held.</p><p>Second paragraph.</p>
</div>
<footer><div class="td-post-source-tags"><ul class="td-tags td-post-small-box">
<li><span>TAGS</span></li><li><a href="https://classic.example/tag/x/">x</a></li>
<li><a href="https://classic.example/tag/y/">y</a></li></ul></div>
<div class="author-box-wrap"><a href="https://classic.example/author/john/"><img class="avatar"></a><div
 class="desc">
<div class="td-author-name vcard author"><span class="fn"><a
 href="https://classic.example/author/john/">John Roe</a></span></div>
<div class="td-author-url"><a href="https://john.example">https://john.example</a></div>
<div class="td-author-description">John writes.</div></div></div>
<meta itemprop="datePublished" content="2022-05-04T05:01:53+00:00">
</footer></article>
<div class="td_block_wrap td_block_related_posts"><div class="td_module_related_posts">
<h3 class="entry-title td-module-title"><a href="https://classic.example/related/">Related</a></h3></div>
</div>
</div></div></div></div></div></body></html>"""


def parse(html: str | bytes, url: str = URL, **kwargs: Any) -> Article:
    return parse_article(html, url, fetched_at=FETCHED, **kwargs)


# --- Composer template ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def composer() -> Article:
    return parse(composer_page())


def test_composer_identity(composer: Article) -> None:
    assert composer.url == URL
    assert composer.url_raw == URL
    assert composer.site == "tdi"
    assert composer.fetched_at == FETCHED
    assert composer.page_type == "article"
    assert composer.post_id == 48123
    assert composer.site_timezone == "Asia/Karachi"
    assert composer.language == "en-US"


def test_composer_text_fields(composer: Article) -> None:
    assert composer.title == "ICAFT Conference of OAS led by Mexico"
    assert composer.subtitle == "Member States adopt 21 recommendations"
    assert composer.field_sources["title"] == "dom:tdb_title"


def test_composer_author_merged_with_box(composer: Article) -> None:
    assert composer.authors == [
        Author(
            name="Carla Esparza Arteaga",
            url=f"{SITE}/author/carla-esparza-arteaga/",
            website="https://thediplomaticinsight.com",
            bio="International Relations student at the Universidad de Navarra in Spain.",
        )
    ]
    assert composer.field_sources["authors"] == "dom:tdb_single_author"


def test_composer_dates(composer: Article) -> None:
    assert composer.published_raw == "2021-10-05T21:14:32+00:00"
    assert composer.published_source == "meta:article:published_time"
    assert composer.modified_raw == "2021-10-06T08:00:00+00:00"
    assert composer.modified_source == "meta:article:modified_time"
    assert composer.visible_date_raw == "6 October 2021"
    assert composer.field_sources["published"] == "meta:article:published_time"


def test_composer_dateline(composer: Article) -> None:
    assert composer.dateline_place == "Mexico City"
    assert composer.dateline_raw == "6 October 2021"


def test_composer_terms(composer: Article) -> None:
    assert composer.section_path == ["News", "Diplomatic News"]
    assert composer.section == "Diplomatic News"
    assert composer.categories == [
        Term("Diplomatic News", f"{SITE}/category/news/diplomatic-news/"),
        Term("News", f"{SITE}/category/news/"),
    ]
    assert composer.tags == [Term("Mexico", f"{SITE}/tag/mexico/"), Term("OAS", f"{SITE}/tag/oas/")]
    assert composer.field_sources["section_path"] == "dom:breadcrumbs"
    assert composer.field_sources["tags"] == "dom:tdb_single_tags"


def test_composer_featured_image(composer: Article) -> None:
    assert composer.featured_image == Image(
        url=f"{SITE}/wp-content/uploads/2021/10/icaft-696x464.jpg",
        caption="Delegates at the OAS headquarters",
        alt="ICAFT conference",
        role="featured",
        width=696,
        height=464,
    )
    assert composer.field_sources["featured_image"] == "dom:tdb_single_featured_image"


def test_composer_content_region_is_the_block_inner_uncleaned(composer: Article) -> None:
    html = composer.content_html
    assert html.startswith('<div class="tdb-block-inner td-fix-index">')
    assert "Mexico City, 6 October 2021 (TDI)" in html
    assert "td-a-ad" in html  # cleaning is the boilerplate pipeline's job
    assert "tdi_28{margin" not in html  # the block's own style is outside the region
    assert composer.field_sources["body"] == "composer"
    assert composer.body_html == ""


# --- classic template -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classic() -> Article:
    return parse(CLASSIC, "https://classic.example/classic-post/?utm_source=x#top", site="other")


def test_classic_identity_and_text(classic: Article) -> None:
    assert classic.url == "https://classic.example/classic-post/"
    assert classic.url_raw == "https://classic.example/classic-post/?utm_source=x#top"
    assert classic.post_id == 580285
    assert classic.page_type == "article"
    assert classic.title == "Classic post"
    assert classic.subtitle == "A classic standfirst"
    assert classic.language == "en-GB"


def test_classic_co_authors_enriched_by_box(classic: Article) -> None:
    assert classic.authors == [
        Author("Jane Doe", "https://classic.example/author/jane/"),
        Author("John Roe", "https://classic.example/author/john/", "https://john.example", "John writes."),
    ]
    assert classic.field_sources["authors"] == "dom:td-post-author-name"


def test_classic_dates_from_microdata_and_header(classic: Article) -> None:
    assert classic.published_raw == "2022-05-04T05:01:53+00:00"
    assert classic.published_source == "microdata:datePublished"
    assert classic.modified_raw is None
    assert classic.visible_date_raw == "May 4, 2022"


def test_classic_terms(classic: Article) -> None:
    assert classic.section_path == ["World"]
    assert [c.name for c in classic.categories] == ["World", "Asia"]
    assert classic.field_sources["categories"] == "dom:td-category"
    assert classic.tags == [
        Term("x", "https://classic.example/tag/x/"),
        Term("y", "https://classic.example/tag/y/"),
    ]


def test_classic_featured_image_lazy(classic: Article) -> None:
    assert classic.featured_image == Image(
        url="https://classic.example/up/lead-696.jpg",
        caption="Lead caption",
        alt=None,
        role="featured",
        width=696,
        height=464,
    )
    assert classic.field_sources["featured_image"] == "dom:td-post-featured-image"


def test_classic_content_and_colon_dateline(classic: Article) -> None:
    assert classic.content_html.startswith('<div class="td-post-content tagdiv-type">')
    assert classic.field_sources["body"] == "classic"
    assert classic.dateline_place == "Islamabad, Kabul"
    assert classic.dateline_raw == "July 19, 2021"


# --- authors ----------------------------------------------------------------------------------


def _box(slug: str, name: str, website: str | None, bio: str) -> str:
    url_link = f'<a href="{website}" class="tdb-author-url">{website}</a>' if website else ""
    return f"""<div class="td_block_wrap tdb_single_author_box"><div class="tdb-block-inner">
<div class="tdb-author-info"><a href="{SITE}/author/{slug}/" class="tdb-author-name">{name}</a>{url_link}
<div class="tdb-author-descr">{bio}</div></div></div></div>"""


def test_co_authors_keep_byline_order_and_match_boxes_by_url() -> None:
    byline = f"""<div class="td_block_wrap tdb_single_author"><div class="tdb-block-inner">
<a class="tdb-author-name" href="{SITE}/author/a/">Ann A</a>
<a class="tdb-author-name" href="{SITE}/author/b">Bob B</a></div></div>"""
    boxes = _box("b", "Bob B", None, "Bob bio.") + _box("a", "Ann A", SITE, "Ann bio.")
    article = parse(composer_page(TITLE, byline, CONTENT, boxes))
    assert article.authors == [
        Author("Ann A", f"{SITE}/author/a/", SITE, "Ann bio."),
        Author("Bob B", f"{SITE}/author/b", None, "Bob bio."),
    ]


def test_several_byline_blocks_are_deduplicated() -> None:
    article = parse(composer_page(TITLE, BYLINE, CONTENT, BYLINE))
    assert [a.name for a in article.authors] == ["Carla Esparza Arteaga"]


def test_author_box_alone_gives_the_authors() -> None:
    article = parse(composer_page(TITLE, CONTENT, AUTHOR_BOX))
    assert article.authors[0].name == "Carla Esparza Arteaga"
    assert article.authors[0].bio.startswith("International Relations student")
    assert article.field_sources["authors"] == "dom:author_box"


def test_microdata_author_name_with_html_is_stripped() -> None:
    microdata = """<span itemprop="author" itemscope itemtype="https://schema.org/Person">
<meta itemprop="name" content="<a href=&quot;https://e.cr/&quot;>Elpais.cr</a>"></span>"""
    article = parse(composer_page(TITLE, CONTENT, microdata=microdata))
    assert [a.name for a in article.authors] == ["Elpais.cr"]
    assert article.field_sources["authors"] == "microdata:author"


def test_jsonld_person_resolved_through_graph() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Article", "@id": f"{URL}#article", "author": {"@id": f"{SITE}/#/schema/person/1"}},
            {
                "@type": "Person",
                "@id": f"{SITE}/#/schema/person/1",
                "name": "Graph  Person",
                "url": f"{SITE}/author/graph/",
                "description": "Bio from graph.",
            },
        ],
    }
    head = HEAD.replace("</head>", f'<script type="application/ld+json">{json.dumps(graph)}</script></head>')
    head = head.replace('<meta name="author" content="Meta Author">', "")
    article = parse(composer_page(TITLE, CONTENT, head=head, microdata=""))
    assert article.authors == [Author("Graph Person", f"{SITE}/author/graph/", None, "Bio from graph.")]
    assert article.field_sources["authors"] == "jsonld:Person"


def test_meta_author_is_the_last_resort() -> None:
    article = parse(composer_page(TITLE, CONTENT, microdata=""))
    assert article.authors == [Author("Meta Author")]
    assert article.field_sources["authors"] == "meta:author"


def test_sidebar_bylines_are_not_authors() -> None:
    head = HEAD.replace('<meta name="author" content="Meta Author">', "")
    article = parse(composer_page(TITLE, CONTENT, head=head, microdata=""))
    assert article.authors == []
    assert "authors" not in article.field_sources


# --- dates ------------------------------------------------------------------------------------

BARE_HEAD = f'<head><link rel="canonical" href="{URL}"></head>'


def test_published_falls_back_to_microdata_then_jsonld_then_time() -> None:
    with_microdata = parse(composer_page(TITLE, DATE, CONTENT, head=BARE_HEAD))
    assert with_microdata.published_raw == "2021-10-06T02:14:32+05:00"
    assert with_microdata.published_source == "microdata:datePublished"
    jsonld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-10-05"}</script>'
    )
    with_jsonld = parse(composer_page(TITLE, DATE, CONTENT, head=f"<head>{jsonld}</head>", microdata=""))
    assert (with_jsonld.published_raw, with_jsonld.published_source) == ("2021-10-05", "jsonld:datePublished")
    with_time = parse(composer_page(TITLE, DATE, MODIFIED_DATE, CONTENT, head=BARE_HEAD, microdata=""))
    assert (with_time.published_raw, with_time.published_source) == ("2021-10-06T02:14:32+05:00", "dom:time")
    assert (with_time.modified_raw, with_time.modified_source) == ("2021-10-07T10:00:00+05:00", "dom:time")


def test_modified_date_block_is_not_the_published_date() -> None:
    article = parse(composer_page(TITLE, MODIFIED_DATE, CONTENT, head=BARE_HEAD, microdata=""))
    assert article.published_raw is None
    assert article.modified_raw == "2021-10-07T10:00:00+05:00"
    assert article.visible_date_raw is None


def test_relative_visible_date_without_datetime() -> None:
    date = '<div class="td_block_wrap tdb_single_date"><div><time>2 hours ago</time></div></div>'
    article = parse(composer_page(TITLE, date, CONTENT, head=BARE_HEAD, microdata=""))
    assert article.visible_date_raw == "2 hours ago"
    assert article.published_raw is None
    assert article.published_source is None


# --- dateline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mexico City, 6 October 2021 (TDI): The conference", ("Mexico City", "6 October 2021")),
        ("Islamabad, 19 July 2023 (TDI): Talks", ("Islamabad", "19 July 2023")),
        ("Islamabad, Kabul: July 19, 2021 (TDI): Talks", ("Islamabad, Kabul", "July 19, 2021")),
        ("  Beijing,  3 March 2022  (APP):  Text", ("Beijing", "3 March 2022")),
        ("The conference met on 6 October 2021 (TDI): no dateline", None),
        ("Mexico City, 6 October 2021: no agency", None),
        ("", None),
    ],
)
def test_parse_dateline(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_dateline(text) == expected


def test_dateline_agency_parameter() -> None:
    assert parse_dateline("Rome, 1 May 2020 (APP): x", agency="TDI") is None
    assert parse_dateline("Rome, 1 May 2020 (TDI): x", agency="TDI") == ("Rome", "1 May 2020")
    content = CONTENT.replace("(TDI)", "(APP)")
    assert parse(composer_page(TITLE, content), dateline_agency="TDI").dateline_place is None
    assert parse(composer_page(TITLE, content)).dateline_place == "Mexico City"


def test_no_dateline_when_the_first_paragraph_has_none() -> None:
    content = CONTENT.replace("Mexico City, 6 October 2021 (TDI): ", "")
    article = parse(composer_page(TITLE, content))
    assert (article.dateline_place, article.dateline_raw) == (None, None)


# --- terms ------------------------------------------------------------------------------------


def test_section_falls_back_to_first_category_then_jsonld() -> None:
    article = parse(composer_page(TITLE, CATEGORIES, CONTENT))
    assert article.section_path == ["Diplomatic News"]
    jsonld = '<script type="application/ld+json">{"@type": "Article", "articleSection": ["Economy", "News"]}'
    jsonld += "</script>"
    article = parse(composer_page(TITLE, CONTENT, head=f"<head>{jsonld}</head>"))
    assert article.section_path == ["Economy"]
    assert article.categories == [Term("Economy"), Term("News")]
    assert article.field_sources["categories"] == "jsonld:articleSection"


def test_breadcrumb_without_home_crumb_or_last_crumb() -> None:
    crumbs = f"""<div class="td_block_wrap tdb_breadcrumbs"><div class="tdb-block-inner">
<span><a class="tdb-entry-crumb" href="{SITE}/category/economy/">Economy</a></span></div></div>"""
    assert parse(composer_page(TITLE, crumbs, CONTENT)).section_path == ["Economy"]


def test_duplicate_tag_blocks_are_merged_in_page_order() -> None:
    extra = TAGS.replace("Mexico", "Mexico").replace(
        "</ul>", f'<li><a href="{SITE}/tag/arms/">Arms Trafficking</a></li></ul>'
    )
    article = parse(composer_page(TITLE, CONTENT, TAGS, extra))
    assert [t.name for t in article.tags] == ["Mexico", "OAS", "Arms Trafficking"]


def test_tags_fall_back_to_jsonld_keywords() -> None:
    jsonld = '<script type="application/ld+json">{"@type": "Article", "keywords": "Pakistan, China"}</script>'
    article = parse(composer_page(TITLE, CONTENT, head=f"<head>{jsonld}</head>"))
    assert article.tags == [Term("Pakistan"), Term("China")]
    assert article.field_sources["tags"] == "jsonld:keywords"


# --- featured image ---------------------------------------------------------------------------


def test_featured_image_data_src_and_link_caption() -> None:
    block = f"""<div class="td_block_wrap tdb_single_featured_image"><div class="tdb-block-inner">
<figure><a href="{SITE}/full.jpg" data-caption=" Link  caption "><img src="data:image/gif;base64,R0lGOD"
 data-src="/wp-content/uploads/lazy.jpg" width="800px" height="x"></a></figure></div></div>"""
    image = parse(composer_page(TITLE, block, CONTENT)).featured_image
    assert image == Image(f"{SITE}/wp-content/uploads/lazy.jpg", "Link caption", None, "featured", 800, None)


def test_featured_image_link_when_no_usable_img() -> None:
    block = f"""<div class="td_block_wrap tdb_single_featured_image"><div class="tdb-block-inner">
<figure><a href="{SITE}/full.jpg"><img src="data:image/svg+xml,x"></a></figure></div></div>"""
    assert parse(composer_page(TITLE, block, CONTENT)).featured_image.url == f"{SITE}/full.jpg"


def test_featured_image_falls_back_to_og_image() -> None:
    image = parse(composer_page(TITLE, CONTENT)).featured_image
    assert image == Image(
        f"{SITE}/wp-content/uploads/2021/10/icaft-og.jpg", None, None, "featured", 1200, 800
    )
    assert parse(composer_page(TITLE, CONTENT)).field_sources["featured_image"] == "meta:og:image"


def test_largest_srcset_url() -> None:
    assert largest_srcset_url("a.jpg 300w, b.jpg 1024w, c.jpg 696w") == "b.jpg"
    assert largest_srcset_url("a.jpg") == "a.jpg"
    assert largest_srcset_url("") is None


# --- title, URL, page type --------------------------------------------------------------------


def test_title_falls_back_to_og_title_without_site_suffix() -> None:
    article = parse(composer_page(CONTENT))
    assert article.title == "ICAFT Conference of OAS led by Mexico"
    assert article.field_sources["title"] == "meta:og:title"


def test_classic_h1_in_article_preferred_over_other_h1() -> None:
    html = CLASSIC.replace(
        '<div class="td-main-content-wrap">', '<h1 class="entry-title">Site banner</h1><div>'
    )
    assert parse(html).title == "Classic post"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"{URL}?utm_source=fb&utm_medium=x&fbclid=1&gclid=2&mc_cid=3&mc_eid=4#respond", URL),
        (f"{SITE}/?s=b&p=2&utm_campaign=z", f"{SITE}/?p=2&s=b"),
        ("HTTP://TheDiplomaticInsight.com/a%7e/", "http://thediplomaticinsight.com/a~/"),
    ],
)
def test_clean_article_url(raw: str, clean: str) -> None:
    assert clean_article_url(raw) == clean


def test_url_from_og_url_then_fetched_url() -> None:
    head = f'<head><meta property="og:url" content="{SITE}/og-slug/?utm_term=x"></head>'
    assert parse(composer_page(TITLE, CONTENT, head=head)).url == f"{SITE}/og-slug/"
    fetched = f"{SITE}/fetched/?b=2&a=1&utm_source=x#c"
    assert (
        parse(composer_page(TITLE, CONTENT, head="<head></head>"), fetched).url == f"{SITE}/fetched/?a=1&b=2"
    )


@pytest.mark.parametrize(
    ("body_class", "expected"),
    [
        ("post-template-default single single-post postid-5", "article"),
        ("attachment single single-attachment postid-7 attachmentid-7", "attachment"),
        ("page-template page-template-default page page-id-9", "page"),
        ("archive category category-news category-42 tdb-template", "archive"),
        ("archive tag tag-oas", "archive"),
        ("error404", "other"),
    ],
)
def test_page_type_from_body_classes(body_class: str, expected: str) -> None:
    assert parse(composer_page(TITLE, body_class=body_class)).page_type == expected


def test_post_id_from_shortlink_when_body_has_none() -> None:
    assert parse(composer_page(TITLE, body_class="single single-post")).post_id == 48123


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize("html", ["", b"", "   \n", b"\x00\x00", "<!-- only a comment -->", "<<<>>>"])
def test_empty_or_garbage_input_gives_an_other_page(html: str | bytes) -> None:
    article = parse(html)
    assert article.page_type == "other"
    assert article.title is None
    assert article.url == URL
    assert article.content_html == ""
    assert article.authors == []


def test_truncated_html_keeps_what_was_received() -> None:
    html = composer_page()
    article = parse(html[: html.index("Mexico was chair")])
    assert article.title == "ICAFT Conference of OAS led by Mexico"
    assert article.dateline_place == "Mexico City"
    assert "Fifth Conference" in article.content_html
    assert article.tags == []


def test_any_truncation_point_parses() -> None:
    html = composer_page() + CLASSIC
    for end in range(0, len(html), 53):
        article = parse(html[:end].encode("utf-8")[:-1])
        assert article.url == URL
        assert article.page_type in {"article", "other"}


def test_malformed_urls_do_not_raise() -> None:
    html = composer_page(TITLE, BYLINE.replace(f"{SITE}/author/carla-esparza-arteaga/", "http://[::1"))
    html = html.replace(f'<link rel="canonical" href="{URL}">', '<link rel="canonical" href="http://[bad">')
    article = parse(html, "http://[::1")
    assert article.title == "ICAFT Conference of OAS led by Mexico"
    assert article.url == "http://[::1"


def test_broken_markup_is_tolerated() -> None:
    html = composer_page(TITLE.replace("</h1>", ""), "<div><p><span></div></b></i>", BYLINE, CONTENT)
    article = parse(html)
    assert article.title.startswith("ICAFT Conference of OAS led by Mexico")
    assert article.published_raw == "2021-10-05T21:14:32+00:00"


def test_missing_blocks_leave_fields_empty() -> None:
    article = parse(composer_page(TITLE, head="<head></head>", microdata=""))
    assert article.title == "ICAFT Conference of OAS led by Mexico"
    assert (article.subtitle, article.published_raw, article.modified_raw, article.featured_image) == (
        None,
        None,
        None,
        None,
    )
    assert article.section_path == article.categories == article.tags == article.authors == []
    assert article.content_html == ""
    assert set(article.field_sources) == {"title"}


def test_bytes_use_the_meta_charset() -> None:
    html = '<html><head><meta charset="windows-1252"><title>x</title></head><body class="single-post">'
    html += '<h1 class="entry-title">Caf\u00e9 \u2013 d\u00e9j\u00e0 vu</h1></body></html>'
    article = parse(html.encode("cp1252"))
    assert article.title == "Caf\u00e9 \u2013 d\u00e9j\u00e0 vu"


def test_encoding_parameter_overrides_the_declared_charset() -> None:
    html = '<html><head><meta charset="utf-8"></head><body>'
    html += '<h1 class="entry-title">\u0141\u00f3d\u017a</h1></body></html>'
    assert parse(html.encode("iso-8859-2"), encoding="iso-8859-2").title == "\u0141\u00f3d\u017a"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    html = b'<html><body><h1 class="entry-title">Bad \xff\xfe byte</h1></body></html>'
    assert parse(html).title == "Bad \ufffd\ufffd byte"


def test_xml_declaration_and_bom_are_accepted() -> None:
    html = '\ufeff<?xml version="1.0" encoding="utf-8"?>' + composer_page(TITLE)
    assert parse(html).title == "ICAFT Conference of OAS led by Mexico"
    assert parse(html.encode("utf-8")).title == "ICAFT Conference of OAS led by Mexico"


def test_invalid_jsonld_is_ignored() -> None:
    head = '<head><script type="application/ld+json">{"@type": "Article", </script></head>'
    article = parse(composer_page(TITLE, head=head))
    assert article.title == "ICAFT Conference of OAS led by Mexico"
    assert article.categories == []


def test_package_import_does_not_load_scrapy() -> None:
    code = "import sys, crawler, crawler.pages.newspaper; print('scrapy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- navigation and listings ------------------------------------------------------------------

NAV = f"""<html><body>
<div class="td-header-template-wrap"><ul class="tdb-block-menu tdb-menu">
 <li class="menu-item menu-item-type-custom menu-item-home"><a href="{SITE}/">Home</a></li>
 <li class="menu-item menu-item-type-taxonomy menu-item-object-category menu-item-has-children">
  <a href="/category/news/"><div class="tdb-menu-item-text">News</div></a>
  <ul class="sub-menu"><li class="menu-item menu-item-object-category"><a
 href="{SITE}/category/news/diplomatic-news/">DN</a></li>
  </ul></li>
 <li class="menu-item menu-item-type-post_type menu-item-object-page"><a href="{SITE}/about/">About</a></li>
</ul></div>
<div class="td-header-wrap"><ul class="sf-menu">
 <li class="menu-item menu-item-object-category td-mega-menu"><a href="{SITE}/category/economy/">Economy</a>
  <ul class="sub-menu"><li><div class="block-mega-child-cats"><a href="{SITE}/category/economy/">All</a>
  <a href="{SITE}/category/economy/trade/">Trade</a></div></li></ul></li></ul></div>
<div id="td-mobile-nav"><ul class="td-mobile-main-menu">
 <li class="menu-item menu-item-object-category"><a href="{SITE}/category/news/">News</a></li>
 <li class="menu-item menu-item-object-category"><a href="#">Broken</a></li></ul></div>
<div class="td-footer-template-wrap"><ul class="menu"><li class="menu-item menu-item-object-category">
<a href="{SITE}/category/footer-only/">F</a></li></ul></div>
</body></html>"""


def _module(slug: str, title: str) -> str:
    return f"""<div class="td_module_flex td_module_wrap"><div class="td-module-container">
<div class="td-image-container"><a href="{SITE}/category/news/" class="td-post-category">News</a>
<div class="td-module-thumb"><a href="{SITE}/{slug}/" rel="bookmark" class="td-image-wrap" title="{title}">
<span class="entry-thumb td-thumb-css" data-img-url="{SITE}/x.jpg"></span></a></div></div>
<div class="td-module-meta-info"><h3 class="entry-title td-module-title"><a
 href="{SITE}/{slug}/">{title}</a></h3>
</div></div></div>"""


def _page_nav(current: int, last: int, *, aria: bool = True) -> str:
    base = f"{SITE}/category/news"
    parts = []
    if current > 1:
        parts.append(f'<a href="{base}/page/{current - 1}/" aria-label="prev-page"><i></i></a>')
    parts.append(f'<span class="current">{current}</span>')
    if current < last:
        parts.append(
            f'<a href="{base}/page/{current + 1}/" class="page" title="{current + 1}">{current + 1}</a>'
        )
        if aria:
            parts.append(f'<a href="{base}/page/{current + 1}/" aria-label="next-page"><i></i></a>')
    parts.append(f'<span class="pages">Page {current} of {last}</span>')
    return f'<div class="page-nav td-pb-padding-side">{"".join(parts)}</div>'


def composer_listing(current: int = 1, last: int = 3, *, aria: bool = True) -> str:
    return f"""<html><body class="archive category category-news tdb-template">
<div class="td_block_wrap tdb_category_grid_1">{_module("grid-top", "Grid top")}</div>
<div class="td_block_wrap tdb_loop tdb-category-loop-posts"><div class="td_block_inner tdb-block-inner">
{_module("first-post", "First")}{_module("second-post", "Second")}{_module("first-post", "First")}</div>
{_page_nav(current, last, aria=aria)}</div>
<div class="td-pb-span4"><div class="td_block_wrap td_flex_block_1">
<div class="td-next-prev-wrap"><a href="#" class="td-ajax-next-page" aria-label="next-page">next</a></div>
{_module("most-popular", "Popular")}</div></div>
</body></html>"""


CLASSIC_LISTING = f"""<html><body class="archive category">
<div class="td-category-grid">{_module("grid-top", "Grid")}</div>
<div class="td-main-content-wrap"><div class="td-pb-span8 td-main-content"><div class="td-ss-main-content">
<div class="td-block-row"><div class="td-block-span6">{_module("classic-one", "One")}</div>
<div class="td-block-span6">{_module("classic-two", "Two")}</div></div>
<div class="page-nav td-pb-padding-side"><a href="{SITE}/category/news/" class="first">1</a>
<span class="current">2</span><a href="{SITE}/category/news/page/3/" class="page">3</a></div>
</div></div><div class="td-pb-span4 td-main-sidebar">{_module("sidebar-post", "Side")}</div></div>
</body></html>"""


def test_nav_section_urls() -> None:
    assert nav_section_urls(NAV, SITE + "/") == [
        f"{SITE}/category/news/",
        f"{SITE}/category/news/diplomatic-news/",
        f"{SITE}/category/economy/",
        f"{SITE}/category/economy/trade/",
    ]


def test_nav_section_urls_accepts_a_selector() -> None:
    from parsel import Selector

    assert nav_section_urls(Selector(text=NAV), SITE)[0] == f"{SITE}/category/news/"


def test_listing_article_urls_of_the_main_loop_only() -> None:
    assert listing_article_urls(composer_listing(), SITE) == [f"{SITE}/first-post/", f"{SITE}/second-post/"]
    assert listing_article_urls(CLASSIC_LISTING, SITE) == [f"{SITE}/classic-one/", f"{SITE}/classic-two/"]
    assert listing_article_urls(NAV, SITE) == []


def test_listing_next_page() -> None:
    base = f"{SITE}/category/news"
    assert listing_next_page(composer_listing(1, 3), base) == f"{base}/page/2/"
    assert listing_next_page(composer_listing(2, 3, aria=False), base) == f"{base}/page/3/"
    assert listing_next_page(composer_listing(3, 3), base) is None
    assert listing_next_page(CLASSIC_LISTING, base) == f"{base}/page/3/"
    assert listing_next_page("", base) is None


def test_listing_next_page_ignores_ajax_arrows() -> None:
    html = '<html><body><div class="page-nav"><a href="#" aria-label="next-page"></a>'
    html += '<span class="current">4</span>'
    html += f'<a href="{SITE}/category/news/page/5/">5</a></div></body></html>'
    assert listing_next_page(html, SITE) == f"{SITE}/category/news/page/5/"


# --- the saved TDI site: expected per-field outputs -------------------------------------------

RAW_FIELDS = (
    "url",
    "post_id",
    "title",
    "subtitle",
    "authors",
    "published_raw",
    "published_source",
    "modified_raw",
    "modified_source",
    "visible_date_raw",
    "section_path",
    "categories",
    "tags",
    "featured_image",
    "dateline_place",
    "dateline_raw",
    "language",
    "page_type",
)


def _expected_cases() -> list[Any]:
    if not EXPECTED_DIR.is_dir():
        return [
            pytest.param(None, None, marks=pytest.mark.skip(reason=f"no expected outputs in {EXPECTED_DIR}"))
        ]
    cases = []
    for path in sorted(EXPECTED_DIR.glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        cases += [
            pytest.param(path, name, id=f"{path.stem}-{name}") for name in RAW_FIELDS if name in expected
        ]
    return cases or [pytest.param(None, None, marks=pytest.mark.skip(reason="no expected JSON files"))]


_PARSED: dict[Path, tuple[dict[str, Any], dict[str, Any]]] = {}


def _parsed_fixture(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if path not in _PARSED:
        expected = json.loads(path.read_text(encoding="utf-8"))
        page = SITE_DIR / expected["_html"]
        url = (
            expected.get("url_raw") or expected.get("url") or f"http://thediplomaticinsight.com/{path.stem}/"
        )
        article = parse_article(page.read_bytes(), url, fetched_at=expected.get("fetched_at", FETCHED))
        _PARSED[path] = (asdict(article), expected)
    return _PARSED[path]


@pytest.mark.parametrize(("path", "field_name"), _expected_cases())
def test_saved_site_field(path: Path, field_name: str) -> None:
    got, expected = _parsed_fixture(path)
    assert got[field_name] == expected[field_name]


# --- real Newspaper-theme pages ---------------------------------------------------------------


def test_real_newspaper_pages() -> None:
    truth_path = EVAL_DIR / "ground-truth.json"
    if not truth_path.is_file():
        pytest.skip(f"no evaluation pages in {EVAL_DIR}")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    titles = published = authors = 0
    for page_id, record in truth.items():
        html = gzip.decompress((EVAL_DIR / record["file"]).read_bytes())
        article = parse_article(html, record["url"], fetched_at=FETCHED)
        titles += bool(article.title) and article.title == record.get("title", article.title)
        published += bool(article.published_raw)
        authors += [a.name for a in article.authors] == record.get(
            "authors", [a.name for a in article.authors]
        )
        assert article.page_type == "article", page_id
        assert article.content_html, page_id
    assert titles == len(truth)
    assert published >= 0.9 * len(truth)
    assert authors >= 0.8 * len(truth)


# --- the saved TDI site: navigation, listings, page types -------------------------------------

MANIFEST = SITE_DIR.parent / "thediplomaticinsight.com.manifest.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    if not MANIFEST.is_file():
        pytest.skip(f"no saved site manifest at {MANIFEST}")
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _saved_page(url: str) -> bytes:
    path = urlsplit(url).path.lstrip("/")
    return (SITE_DIR / (path + "index.html" if not path or path.endswith("/") else path)).read_bytes()


def test_saved_site_navigation_lists_every_section(manifest: dict[str, Any]) -> None:
    assert set(nav_section_urls(_saved_page(manifest["home"]), manifest["home"])) == set(manifest["sections"])


def test_saved_site_listings_reach_every_article(manifest: dict[str, Any]) -> None:
    found: set[str] = set()
    for section, info in manifest["sections"].items():
        url: str | None = section
        pages = 0
        while url and pages <= info["pages"]:
            html = _saved_page(url)
            pages += 1
            assert parse(html, url).page_type == "archive", url
            found.update(listing_article_urls(html, url))
            url = listing_next_page(html, url)
        assert pages == info["pages"], section
    assert set(manifest["articles"]) <= found
    assert not {url for url in found if "/category/" in url or "/author/" in url or "/tag/" in url}


def test_saved_site_non_article_page_types(manifest: dict[str, Any]) -> None:
    for kind, urls in manifest["non_articles"].items():
        for url in urls:
            assert parse(_saved_page(url), url).page_type == kind, url
