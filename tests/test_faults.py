"""Fault injection of the replay server, and the middlewares that cope with faults."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import time
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.faulttolerance import ContentTypeMiddleware, retry_after_seconds, sniff
from crawler.replay import ReplayServer
from crawler.replay.faults import KINDS, FaultInjector, FaultSpec
from crawler.session import KIND

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
ARTICLE = "http://thediplomaticinsight.com/al-ula-summit-ends-gulf-rift/"
ARTICLE_FILE = SITES / "thediplomaticinsight.com" / "al-ula-summit-ends-gulf-rift" / "index.html"


def test_spec_parsing() -> None:
    spec = FaultSpec.parse(
        "rate=0.2, seed=7, kinds=500+slow, delay=0.5, retry_after=3, bomb=2m, disallow=/a/+/b/"
    )

    assert spec == FaultSpec(
        rate=0.2,
        kinds=("500", "slow"),
        seed=7,
        delay=0.5,
        retry_after=3,
        bomb_size=2 * 1024**2,
        disallow=("/a/", "/b/"),
    )
    assert FaultSpec.parse("").rate == 0 and FaultSpec.parse("kinds=all").kinds == KINDS
    assert "rate=0.2" in spec.describe() and "disallow=/a/+/b/" in spec.describe()
    for bad in ("rate=2", "kinds=fire", "speed=1", "rate", "disallow=a/", "seed=x"):
        with pytest.raises(ValueError, match="fault"):
            FaultSpec.parse(bad)


def test_decisions_are_repeatable_and_near_the_rate() -> None:
    urls = [f"http://e.com/{n}/" for n in range(2000)]
    first = FaultInjector(FaultSpec(rate=0.2, seed=1))
    again = FaultInjector(FaultSpec(rate=0.2, seed=1))
    other = FaultInjector(FaultSpec(rate=0.2, seed=2))

    decisions = [first.decide(url) for url in urls]
    assert decisions == [again.decide(url) for url in urls]
    assert decisions != [other.decide(url) for url in urls]
    assert 0.17 < sum(d is not None for d in decisions) / len(urls) < 0.23
    assert set(filter(None, decisions)) == set(KINDS)
    retried = [first.decide(url) for url in urls]
    assert retried != decisions  # a second request of a URL is decided anew


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(SITES) as replay:
        yield replay


def _get(server: ReplayServer, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _only(server: ReplayServer, kind: str, **options: object) -> FaultInjector:
    spec = FaultSpec(rate=1.0, kinds=(kind,), **options)  # type: ignore[arg-type]
    return FaultInjector(spec).install(server)


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"), [("500", 500, None), ("503", 503, "1"), ("429", 429, "1")]
)
def test_error_answers(server: ReplayServer, kind: str, status: int, retry_after: str | None) -> None:
    injector = _only(server, kind)
    got, headers, _ = _get(server, ARTICLE)
    assert (got, headers.get("Retry-After")) == (status, retry_after)
    assert injector.injected == [(ARTICLE, kind)]


def test_slow_answers_are_complete(server: ReplayServer) -> None:
    _only(server, "slow", delay=0.3)
    started = time.monotonic()
    status, _, body = _get(server, ARTICLE)
    assert time.monotonic() - started >= 0.3
    assert (status, body) == (200, ARTICLE_FILE.read_bytes())


def test_reset_and_truncated_connections(server: ReplayServer) -> None:
    _only(server, "reset")
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        _get(server, ARTICLE)
    server._hooks.clear()
    _only(server, "truncated")
    with pytest.raises(http.client.IncompleteRead):
        _get(server, ARTICLE)


def test_wrong_type_redirect_loop_and_gzip_bomb(server: ReplayServer) -> None:
    injector = _only(server, "wrong_type")
    status, headers, body = _get(server, ARTICLE)
    assert (status, headers["Content-Type"], body) == (200, "image/jpeg", ARTICLE_FILE.read_bytes())
    server._hooks.clear()

    _only(server, "redirect_loop")
    status, headers, _ = _get(server, ARTICLE)
    assert (status, headers["Location"]) == (302, ARTICLE + "?newsarchive_fault_loop=1")
    status, headers, _ = _get(server, headers["Location"])
    assert (status, headers["Location"]) == (302, ARTICLE + "?newsarchive_fault_loop=2")
    server._hooks.clear()

    _only(server, "gzip_bomb", bomb_size=4 * 1024**2)
    status, headers, body = _get(server, ARTICLE)
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert len(body) < 64 * 1024 and len(gzip.decompress(body)) == 4 * 1024**2
    assert injector.injected == [(ARTICLE, "wrong_type")]


def test_robots_txt_never_faulted_but_can_disallow(server: ReplayServer) -> None:
    _only(server, "500", disallow=("/category/culture/",))
    status, headers, body = _get(
        server, "http://thediplomaticinsight.com/robots.txt", **{"Accept-Encoding": "gzip"}
    )
    text = gzip.decompress(body).decode()
    assert status == 200
    assert "User-agent: *\nDisallow: /category/culture/\nDisallow: /wp-admin/\n" in text


# --- the middlewares ---------------------------------------------------------------------------


def test_retry_after_values() -> None:
    now = 1_800_000_000.0
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(format_datetime_at(now + 30), now=now) == pytest.approx(30)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def format_datetime_at(timestamp: float) -> str:
    return format_datetime(dt.datetime.fromtimestamp(timestamp, dt.timezone.utc), usegmt=True)


def test_sniff() -> None:
    assert sniff(b"\xef\xbb\xbf  <!DOCTYPE html><html>") == "html"
    assert sniff(b'<?xml version="1.0"?><urlset>') == "xml"
    assert sniff(b"\x89PNG\r\n") is None


def _content_type_middleware() -> ContentTypeMiddleware:
    crawler = get_crawler(settings_dict={"RETRY_TIMES": 1})
    crawler.spider = crawler._create_spider("test")
    return ContentTypeMiddleware.from_crawler(crawler)


def test_html_with_a_wrong_content_type_is_read_as_html() -> None:
    middleware = _content_type_middleware()
    request = Request(ARTICLE, meta={KIND: "article"})
    response = Response(
        ARTICLE, body=ARTICLE_FILE.read_bytes(), headers={"Content-Type": "image/jpeg"}, request=request
    )

    fixed = middleware.process_response(request, response)

    assert isinstance(fixed, HtmlResponse)
    assert "Al-Ula" in fixed.text


def test_a_body_that_is_not_html_is_retried_then_refused() -> None:
    middleware = _content_type_middleware()
    request = Request(ARTICLE, meta={KIND: "article"})
    response = Response(ARTICLE, body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}, request=request)

    retry = middleware.process_response(request, response)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    with pytest.raises(IgnoreRequest, match="wrong_content_type"):
        middleware.process_response(retry, response)
    untouched = Request(ARTICLE)
    assert middleware.process_response(untouched, response) is response
