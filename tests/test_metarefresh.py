"""Meta refresh from the start of the page: the same answers as Scrapy's, without decoding it all."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.test import get_crawler

from crawler.middlewares import MetaRefreshMiddleware, meta_refresh

URL = "http://example.com/a/b/"
FILLER = "<p>" + "Déjà vu – naïve café. " * 400 + "</p>"
PAGES = {
    "none": "<html><head><title>x</title></head><body>" + FILLER + "</body></html>",
    "relative": '<html><head><meta http-equiv="refresh" content="0; url=../c/"></head><body></body></html>',
    "delay": "<html><head><meta http-equiv='Refresh' content='5;URL=http://example.com/d/'></head></html>",
    "base": '<head><base href="http://other.example/x/"><meta http-equiv="refresh" content="1;url=y/">',
    "script": '<script>document.write(\'<meta http-equiv="refresh" content="0;url=/s/">\')</script>',
    "noscript": '<noscript><meta http-equiv="refresh" content="0;url=/n/"></noscript>',
    "late": "<html><body>" + FILLER + '<meta http-equiv="refresh" content="0;url=/late/"></body></html>',
    "multibyte_before": "<head><title>"
    + "ü€" * 600
    + '</title><meta http-equiv="refresh" content="0;url=/m/">',
    "bom": '\ufeff<html><head><meta http-equiv="refresh" content="0;url=/bom/"></head></html>',
}


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_same_answer_as_scrapy(name: str, encoding: str) -> None:
    text = PAGES[name]
    body = text.encode(encoding, "replace") if encoding != "latin-1" else text.encode("cp1252", "replace")
    charset = "windows-1252" if encoding == "latin-1" else encoding
    response = HtmlResponse(URL, body=body, headers={"Content-Type": f"text/html; charset={charset}"})
    expected = get_meta_refresh(response, ignore_tags=["script", "noscript"])
    fresh = HtmlResponse(URL, body=body, headers={"Content-Type": f"text/html; charset={charset}"})
    assert meta_refresh(fresh, ["script", "noscript"]) == expected


def test_the_middleware_follows_a_meta_refresh() -> None:
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100})
    middleware = MetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL)
    page = HtmlResponse(URL, body=PAGES["relative"].encode(), encoding="utf-8", request=request)
    redirected = middleware.process_response(request, page)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://example.com/a/c/"
    plain = HtmlResponse(URL, body=PAGES["none"].encode(), encoding="utf-8", request=request)
    assert middleware.process_response(request, plain) is plain


def test_the_project_uses_it_instead_of_scrapys() -> None:
    from crawler import settings

    assert (
        settings.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    )
    assert settings.DOWNLOADER_MIDDLEWARES["crawler.middlewares.MetaRefreshMiddleware"] == 580
