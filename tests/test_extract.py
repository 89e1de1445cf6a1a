"""``extract_article``: the layered chain (site selectors, structured data, generic extractor) on one page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from crawler.detect import profile_from_template
from crawler.extract import body_text, extract_article, metadata
from crawler.layering import LAYERS, layer_of, offset_zone, tag_source

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
FETCHED = "2024-03-05T10:00:00+00:00"
URL = "https://coastgazette.example/news/2024/03/04/harbour-reopens-after-storm/"

P1 = (
    "The harbour of Porto Claro reopened to shipping on Monday morning after three days in which gale-force "
    "winds and waves of up to seven metres kept every vessel tied up at the quays."
)
P2 = (
    "Port officials said divers had inspected the breakwater overnight and found only minor damage, although "
    "two navigation buoys had been torn from their moorings and will be replaced this week."
)
P3 = (
    "Fishermen, who lost three days of work at the height of the sardine season, asked the regional "
    "government for emergency support, saying that fuel costs had already eaten most of this year's margins."
)
LEAD = "The harbour reopened on Monday after three days of storms kept every boat in port."

STRUCTURED = f"""<!doctype html><html lang="en-GB"><head>
<title>Harbour reopens after storm | Coast Gazette</title>
<meta property="og:title" content="Harbour reopens after storm | Coast Gazette">
<meta property="og:site_name" content="Coast Gazette">
<meta property="og:type" content="article">
<meta property="og:description" content="{LEAD}">
<meta property="article:published_time" content="2024-03-04T08:00:00+01:00">
<meta property="article:section" content="News">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Harbour reopens after storm", "datePublished": "2024-03-04T08:00:00+01:00",
 "author": [{{"@type": "Person", "name": "Jane Doe"}}, {{"@type": "Person", "name": "John Roe"}}],
 "publisher": {{"@type": "Organization", "name": "Coast Gazette"}}, "keywords": "storms, harbour"}}</script>
</head><body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/news/">News</a>
<a href="/sport/">Sport</a></nav></header>
<main><article>
<h1>Harbour reopens after storm</h1>
<p class="standfirst">{LEAD}</p>
<div class="byline">By Jane Doe and John Roe</div>
<div class="article-body">
<p>{P1}</p>
<figure><img src="/img/boats.jpg" alt="Boats in the harbour of Porto Claro"><figcaption>Boats in the harbour.
Photo: Jane Doe</figcaption></figure>
<div class="ad-slot"><p>Advertisement</p></div>
<p>{P2}</p>
<p><a href="/news/storm-damage-in-the-north/">READ MORE: Storm damage in the north</a></p>
<div class="related-stories"><h3>Related</h3><ul><li><a href="/a/">Ferry cancelled</a></li>
<li><a href="/b/">Beach closed</a></li><li><a href="/c/">Roads flooded</a></li></ul></div>
<p>{P3}</p>
</div></article>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/d/">Council votes on tram</a></li>
<li><a href="/e/">Rovers promoted</a></li></ul></aside></main>
<footer><p>Copyright Coast Gazette. All rights reserved. Contact us at news@coastgazette.example.</p></footer>
</body></html>"""

PLAIN = f"""<!doctype html><html><head><title>Storm leaves harbour closed - Coast Gazette</title></head><body>
<div id="page"><div class="masthead"><a href="/">Coast Gazette</a></div>
<div id="content"><h1>Storm leaves harbour closed</h1>
<p class="byline">By <a rel="author" href="/staff/maria-silva/">Maria Silva</a></p>
<time datetime="2024-03-02T18:30:00+00:00">2 March 2024</time>
<p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
<div class="footer">Coast Gazette</div></div></body></html>"""


def test_structured_data_fills_what_the_generic_page_module_does_not_know() -> None:
    record = extract_article(STRUCTURED, URL, fetched_at=FETCHED)

    assert record["title"] == "Harbour reopens after storm"
    assert record["authors"] == ["Jane Doe", "John Roe"]
    assert record["published"] == "2024-03-04T08:00:00+01:00"
    assert record["published_raw"] == "2024-03-04T08:00:00+01:00"
    assert [t["name"] for t in record["tags"]] == ["storms", "harbour"]
    assert record["section_path"] == ["News"]
    assert record["language"] == "en-GB"
    assert record["page_type"] == "article"
    assert record["profile"] == "coastgazette.example"
    assert record["page_module"] == "generic"
    layers = record["field_layers"]
    assert layers["title"] == layers["authors"] == layers["published"] == "structured"
    assert layers["body"] == "generic"
    assert record["field_sources"]["title"] == "structured:jsonld:headline"


def test_the_generic_body_keeps_the_article_and_drops_the_furniture() -> None:
    text = extract_article(STRUCTURED, URL, fetched_at=FETCHED)["body_text"]

    assert text.split("\n\n") == [LEAD, P1, P2, P3]


def test_the_generic_layer_reads_the_visible_page_when_there_is_no_metadata() -> None:
    record = extract_article(PLAIN, "https://coastgazette.example/storm", fetched_at=FETCHED)

    assert record["title"] == "Storm leaves harbour closed"
    assert record["authors"] == ["Maria Silva"]
    assert record["published"] == "2024-03-02T18:30:00+00:00"
    assert record["body_text"].split("\n\n") == [P1, P2, P3]
    assert record["field_layers"] == {
        "page_type": "generic",
        "title": "generic",
        "authors": "generic",
        "published": "generic",
        "body": "generic",
    }
    assert record["field_sources"]["title"] == "generic:h1"


def test_a_date_in_the_url_is_the_last_resort_before_htmldate() -> None:
    html = PLAIN.replace('<time datetime="2024-03-02T18:30:00+00:00">2 March 2024</time>', "")

    record = extract_article(html, "https://coastgazette.example/2024/02/29/storm/", fetched_at=FETCHED)

    assert record["published"].startswith("2024-02-29")
    assert record["field_sources"]["published"] == "generic:url"


def test_profile_selectors_come_first() -> None:
    profile = dataclasses.replace(
        profile_from_template("generic", URL),
        selectors=(
            ("title", "h1"),
            ("authors", "div.byline"),
            ("body", "div.article-body"),
            ("remove", "div.related-stories, figure"),
        ),
    )

    record = extract_article(STRUCTURED, URL, fetched_at=FETCHED, profile=profile)

    assert record["title"] == "Harbour reopens after storm"
    assert record["authors"] == ["Jane Doe", "John Roe"]
    assert record["field_sources"]["title"] == "site:selector:title"
    assert record["field_sources"]["authors"] == "site:selector:authors"
    assert record["field_layers"]["body"] == "site"
    assert P1 in record["body_text"]
    assert "Ferry cancelled" not in record["body_text"]
    assert LEAD not in record["body_text"]


def test_newspaper_pages_use_the_site_module_without_a_profile() -> None:
    html = (
        SITES / "meridiancourier.example/2024/06/03/fishing-fleet-protests-against-new-quotas/index.html"
    ).read_bytes()

    record = extract_article(
        html, "http://meridiancourier.example/2024/06/03/fishing-fleet-protests-against-new-quotas/"
    )

    assert record["page_module"] == "newspaper"
    assert record["profile"] == "meridiancourier.example"
    assert record["field_layers"]["body"] == record["field_layers"]["title"] == "site"
    assert record["authors"] == ["Tomás Ferreira", "Courier Staff"]
    assert record["published"] == "2024-06-03T06:55:00+01:00"
    assert record["site_timezone"] == "Etc/GMT-1"


def test_the_record_contract() -> None:
    record = extract_article(STRUCTURED, URL, fetched_at=FETCHED)

    for key in (
        "title",
        "authors",
        "published",
        "body_text",
        "field_layers",
        "field_sources",
        "author_details",
    ):
        assert key in record
    assert all(isinstance(name, str) for name in record["authors"])
    assert [a["name"] for a in record["author_details"]] == record["authors"]
    assert set(record["field_layers"].values()) <= set(LAYERS)
    assert "content_html" not in record


def test_the_scorer_functions() -> None:
    assert body_text(STRUCTURED, URL).startswith(LEAD)
    meta = metadata(STRUCTURED, URL)
    assert meta["title"] == "Harbour reopens after storm"
    assert meta["author"] == "Jane Doe; John Roe"
    assert meta["date"].startswith("2024-03-04")


def test_relative_dates_resolve_against_the_fetch_time() -> None:
    html = PLAIN.replace('<time datetime="2024-03-02T18:30:00+00:00">2 March 2024</time>', "").replace(
        "<title>", '<meta name="date" content="2 hours ago"><title>'
    )

    first = extract_article(
        html, "https://coastgazette.example/storm", fetched_at="2024-03-05T10:00:00+00:00"
    )
    later = extract_article(
        html, "https://coastgazette.example/storm", fetched_at="2024-03-09T10:00:00+00:00"
    )

    assert first["published"] == "2024-03-05T08:00:00+00:00"
    assert later["published"] == "2024-03-09T08:00:00+00:00"
    assert "published_relative" in first["flags"]


def test_an_empty_page_gives_an_empty_record() -> None:
    record = extract_article(b"", URL, fetched_at=FETCHED)

    assert record["page_type"] == "other"
    assert record["body_text"] == ""
    assert record["authors"] == []


@pytest.mark.parametrize(
    ("source", "layer"),
    [
        ("dom:tdb_title", "site"),
        ("composer", "site"),
        ("selector:title", "site"),
        ("meta:article:published_time", "structured"),
        ("jsonld:headline", "structured"),
        ("microdata:datePublished", "structured"),
        ("generic:h1", "generic"),
        ("structured:meta:og:title", "structured"),
    ],
)
def test_layer_of_a_source(source: str, layer: str) -> None:
    assert layer_of(source) == layer
    assert tag_source(tag_source(source)).startswith(layer + ":")


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        ("2024-06-03T06:55:00+01:00", "Etc/GMT-1"),
        ("2024-06-03T06:55:00-05:00", "Etc/GMT+5"),
        ("2024-06-03T06:55:00+00:00", "UTC"),
        ("2024-06-03T06:55:00Z", "UTC"),
        ("2024-06-03T06:55:00+05:30", None),
        ("2024-06-03", None),
        (None, None),
    ],
)
def test_offset_zone(value: str | None, zone: str | None) -> None:
    assert offset_zone(value) == zone
