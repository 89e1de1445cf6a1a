"""Recognising WordPress and the tagDiv Newspaper theme, and choosing the profile of a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import detect, known_profile, profile_for, profile_from_template

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
TDI = SITES / "thediplomaticinsight.com"
COURIER = SITES / "meridiancourier.example"
COURIER_ARTICLE = "2024/06/03/fishing-fleet-protests-against-new-quotas"

OTHER_WORDPRESS = """<!doctype html><html lang="en"><head>
<meta name="generator" content="WordPress 6.5" />
<link rel="https://api.w.org/" href="https://blog.example/wp-json/" />
<link rel="stylesheet" href="https://blog.example/wp-content/themes/twentytwentyfour/style.css" />
</head><body class="single single-post postid-7"><main><article><h1>Hello</h1><p>Text.</p></article></main>
</body></html>"""
PLAIN = """<!doctype html><html><head><title>A story</title>
<meta property="og:type" content="article"></head><body><h1>A story</h1>
<p>We read the Newspaper every morning; td-post-content is only a phrase here.</p></body></html>"""


def _page(folder: Path, path: str = "") -> str:
    return (folder / path / "index.html").read_text(encoding="utf-8")


def test_tdi_home_page_is_newspaper_with_composer_header() -> None:
    found = detect(_page(TDI), "http://thediplomaticinsight.com/")

    assert found.wordpress
    assert found.theme == "newspaper"
    assert found.header == "composer"
    assert found.theme_version
    assert found.template_name == "newspaper"
    assert any("td-composer" in s for s in found.signals)


def test_tdi_article_uses_the_composer_single_template() -> None:
    found = detect(_page(TDI, "icaft-conference-of-oas-led-by-mexico"), "http://thediplomaticinsight.com/x/")

    assert found.template == "composer"


def test_classic_site_home_and_article() -> None:
    home = detect(_page(COURIER), "http://meridiancourier.example/")
    article = detect(_page(COURIER, COURIER_ARTICLE), f"http://meridiancourier.example/{COURIER_ARTICLE}/")

    assert home.theme == article.theme == "newspaper"
    assert home.header == "classic"
    assert home.theme_version == "9.8"
    assert article.template == "classic"
    assert not any("td-composer" in s for s in home.signals)


def test_another_wordpress_theme() -> None:
    found = detect(OTHER_WORDPRESS, "https://blog.example/2024/hello/")

    assert found.wordpress and found.theme is None
    assert found.template_name == "wordpress"


def test_a_page_of_any_other_site() -> None:
    found = detect(PLAIN, "https://news.example/a-story")

    assert not found.wordpress and found.theme is None
    assert found.template_name == "generic"
    assert found.signals == []


def test_a_host_with_a_profile_gets_it() -> None:
    assert known_profile("https://www.thediplomaticinsight.com/some-post/").name == "tdi"
    assert profile_for("http://thediplomaticinsight.com/").name == "tdi"
    assert known_profile("http://meridiancourier.example/") is None


def test_a_host_without_a_profile_gets_a_template_named_after_it() -> None:
    undetected = profile_for("http://www.meridiancourier.example/")
    detected = profile_for(
        "http://meridiancourier.example/", detect(_page(COURIER), "http://meridiancourier.example/")
    )

    assert undetected.page_module == "generic"
    assert detected.page_module == "newspaper"
    assert detected.name == "meridiancourier.example"
    assert detected.domains == ("meridiancourier.example",)
    assert detected.start_url == "http://meridiancourier.example/"
    assert detected.timezone == "auto"


def test_unknown_template() -> None:
    with pytest.raises(KeyError, match="known: generic, newspaper, wordpress"):
        profile_from_template("joomla", "https://example.com/")
