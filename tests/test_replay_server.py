"""The replay server: saved site folders answered like the live site, on 127.0.0.1 only."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.replay import ReplayError, ReplayRequest, ReplayResponse, ReplayServer

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
HOST = "example.com"
SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"
SITE_CONFIG = {
    "status": {"/broken/": 500, "/gone/": 410},
    "redirects": {"/old/": "/a/b/", "/elsewhere/": "http://example.com/feed/"},
    "headers": {"X-Site": "saved", "/a/b/": {"X-Page": "ab"}},
    "last_modified": "2026-11-20T10:00:00+00:00",
}
FILES = {
    "index.html": "<html><body>home page</body></html>",
    "a/b/index.html": "<html><body>page a/b</body></html>",
    "2021/10/06/some-post/index.html": "<html><body>" + "article text " * 200 + "</body></html>",
    "feed/index.xml": "<?xml version='1.0'?><rss><channel/></rss>",
    "feed/atom/index.xml": "<?xml version='1.0'?><feed/>",
    "category/news/feed/index.xml": "<?xml version='1.0'?><rss><channel>news</channel></rss>",
    "sitemap.xml": "<?xml version='1.0'?><urlset/>",
    "robots.txt": "User-agent: *\nDisallow:\n",
    "data.json": '{"ok": true}',
    "only-xml/index.xml": "<?xml version='1.0'?><only/>",
    "404.html": "<html><body>Page not found - saved 404</body></html>",
    "_site.json": json.dumps(SITE_CONFIG),
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _write_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    """A folder of site folders: example.com (full) and plain.org (no 404.html, no _site.json)."""
    sites_dir = tmp_path / "sites"
    site = _write_site(sites_dir / HOST, FILES)
    (site / "img").mkdir()
    (site / "img" / "pic.png").write_bytes(PNG)
    _write_site(sites_dir / "plain.org", {"index.html": "<p>plain home</p>"})
    (tmp_path / "secret.txt").write_text(SECRET)
    (sites_dir / "secret.txt").write_text(SECRET)
    return sites_dir


@pytest.fixture
def server(sites: Path) -> Iterator[ReplayServer]:
    with ReplayServer(sites) as running:
        yield running


def request(
    server: ReplayServer, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    """Send ``target`` as is (absolute URL = proxy form, path = origin form) and read the answer."""
    headers = dict(headers or {})
    if target.startswith("http://"):
        headers.setdefault("Host", target.split("/")[2])
    else:
        headers.setdefault("Host", HOST)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def proxy_opener(server: ReplayServer) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.proxy_url}))


# -- request forms ------------------------------------------------------------------------------------


def test_proxy_form_get_through_urllib_proxy(server: ReplayServer) -> None:
    with proxy_opener(server).open("http://example.com/a/b/", timeout=10) as response:
        assert response.status == 200
        assert response.read() == FILES["a/b/index.html"].encode()
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    record = server.requests[-1]
    assert (record.method, record.url, record.host, record.path) == (
        "GET",
        "http://example.com/a/b/",
        HOST,
        "/a/b/",
    )


def test_origin_form_uses_host_header(server: ReplayServer) -> None:
    response, body = request(server, "GET", "/a/b/", {"Host": "example.com:80"})
    assert response.status == 200
    assert body == FILES["a/b/index.html"].encode()
    assert server.requests[-1].host == HOST


def test_origin_form_for_second_site(server: ReplayServer) -> None:
    response, body = request(server, "GET", "/", {"Host": "plain.org"})
    assert response.status == 200
    assert body == b"<p>plain home</p>"


def test_proxy_form_wins_over_host_header(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://plain.org/", {"Host": "example.com"})
    assert response.status == 200
    assert body == b"<p>plain home</p>"


# -- mapping ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "index.html"),
        ("/a/b/", "a/b/index.html"),
        ("/2021/10/06/some-post/", "2021/10/06/some-post/index.html"),
        ("/feed/", "feed/index.xml"),
        ("/only-xml/", "only-xml/index.xml"),
        ("/sitemap.xml", "sitemap.xml"),
        ("/robots.txt", "robots.txt"),
    ],
)
def test_path_maps_to_file(server: ReplayServer, path: str, name: str) -> None:
    response, body = request(server, "GET", f"http://example.com{path}")
    assert response.status == 200
    assert body == FILES[name].encode()


def test_path_without_slash_redirects_to_slash_form(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://example.com/a/b?utm_source=feed")
    assert response.status == 301
    assert response.headers["Location"] == "http://example.com/a/b/?utm_source=feed"
    assert body == b""


def test_urllib_follows_slash_redirect(server: ReplayServer) -> None:
    with proxy_opener(server).open("http://example.com/2021/10/06/some-post", timeout=10) as response:
        assert response.url == "http://example.com/2021/10/06/some-post/"
        assert response.read() == FILES["2021/10/06/some-post/index.html"].encode()
    assert [record.status for record in server.requests] == [301, 200]


def test_query_string_is_ignored(server: ReplayServer) -> None:
    plain = request(server, "GET", "http://example.com/a/b/")[1]
    response, body = request(server, "GET", "http://example.com/a/b/?utm_source=twitter&utm_medium=social")
    assert response.status == 200
    assert body == plain
    assert server.requests[-1].query == "utm_source=twitter&utm_medium=social"


def test_www_prefix_maps_to_bare_host(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://www.example.com/a/b/")
    assert response.status == 200
    assert body == FILES["a/b/index.html"].encode()
    assert server.requests[-1].host == "www.example.com"


def test_www_folder_wins_over_bare_host(sites: Path) -> None:
    _write_site(sites / "www.example.com", {"index.html": "<p>www copy</p>"})
    with ReplayServer(sites) as server:
        assert request(server, "GET", "http://www.example.com/")[1] == b"<p>www copy</p>"
        assert request(server, "GET", "http://example.com/")[1] == FILES["index.html"].encode()


# -- not found, unknown host, _site.json --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/missing/", "/missing", "/a/b/c.html", "/a/b/index.htm"])
def test_missing_path_is_404_with_site_404_page(server: ReplayServer, path: str) -> None:
    response, body = request(server, "GET", f"http://example.com{path}")
    assert response.status == 404
    assert body == FILES["404.html"].encode()
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"


def test_404_without_404_page_is_small_error_page(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://plain.org/missing/")
    assert response.status == 404
    assert b"404 Not Found" in body


def test_unknown_host_is_404_and_recorded(server: ReplayServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        proxy_opener(server).open("http://unknown.example.net/page/?x=1", timeout=10)
    assert error.value.code == 404
    assert b"unknown.example.net" in error.value.read()
    error.value.close()
    record = server.requests[-1]
    assert (record.host, record.status, record.url) == (
        "unknown.example.net",
        404,
        "http://unknown.example.net/page/?x=1",
    )
    assert [r.host for r in server.requests if r.host not in (HOST, "plain.org")] == ["unknown.example.net"]


def test_site_json_status(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://example.com/broken/")
    assert response.status == 500
    assert b"500 Internal Server Error" in body
    response, body = request(server, "GET", "http://example.com/gone/")
    assert response.status == 410
    assert b"410 Gone" in body


def test_site_json_redirects(server: ReplayServer) -> None:
    response, _ = request(server, "GET", "http://example.com/old/")
    assert response.status == 301
    assert response.headers["Location"] == "http://example.com/a/b/"
    response, _ = request(server, "GET", "http://www.example.com/elsewhere/")
    assert response.headers["Location"] == "http://example.com/feed/"


def test_site_json_headers(server: ReplayServer) -> None:
    response, _ = request(server, "GET", "http://example.com/a/b/")
    assert response.headers["X-Site"] == "saved"
    assert response.headers["X-Page"] == "ab"
    response, _ = request(server, "GET", "http://example.com/")
    assert response.headers["X-Site"] == "saved"
    assert response.headers["X-Page"] is None


# -- safety -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../secret.txt",
        "/a/b/../../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/a/%2e%2e%2f%2e%2e%2f..%2fsecret.txt",
        "/%2fetc%2fpasswd",
        "/..%5csecret.txt",
        "/a%00/index.html",
        "/_site.json",
        "/404.html",
        "http://example.com/../secret.txt",
        "http://example.com/%2e%2e/secret.txt",
        "http://plain.org/../example.com/_site.json",
    ],
)
def test_path_traversal_is_blocked(server: ReplayServer, target: str) -> None:
    response, body = request(server, "GET", target)
    assert response.status == 404
    assert SECRET.encode() not in body
    assert b"last_modified" not in body


def test_symlink_out_of_the_site_is_blocked(sites: Path, server: ReplayServer) -> None:
    (sites / HOST / "link.txt").symlink_to(sites.parent / "secret.txt")
    response, body = request(server, "GET", "http://example.com/link.txt")
    assert response.status == 404
    assert SECRET.encode() not in body


def test_binds_loopback_only(server: ReplayServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}" == server.proxy_url
    assert server.port > 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", server.port), timeout=5):
        pass


def test_connect_is_refused(server: ReplayServer) -> None:
    response, body = request(server, "CONNECT", "example.com:443", {"Host": "example.com:443"})
    assert response.status == 405
    assert b"https is not replayed" in body
    record = server.requests[-1]
    assert (record.method, record.url, record.host, record.status) == (
        "CONNECT",
        "https://example.com:443",
        HOST,
        405,
    )


def test_other_methods_are_refused(server: ReplayServer) -> None:
    response, _ = request(server, "POST", "http://example.com/a/b/")
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"


# -- headers, validators, HEAD, gzip ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=UTF-8"),
        ("/sitemap.xml", "application/xml; charset=UTF-8"),
        ("/feed/", "application/rss+xml; charset=UTF-8"),
        ("/category/news/feed/", "application/rss+xml; charset=UTF-8"),
        ("/feed/atom/", "application/atom+xml; charset=UTF-8"),
        ("/only-xml/", "application/xml; charset=UTF-8"),
        ("/robots.txt", "text/plain; charset=UTF-8"),
        ("/data.json", "application/json; charset=UTF-8"),
        ("/img/pic.png", "image/png"),
    ],
)
def test_content_type(server: ReplayServer, path: str, content_type: str) -> None:
    response, body = request(server, "GET", f"http://example.com{path}")
    assert response.status == 200
    assert response.headers["Content-Type"] == content_type
    assert int(response.headers["Content-Length"]) == len(body)


def test_image_bytes_are_served_unchanged(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://example.com/img/pic.png", {"Accept-Encoding": "gzip"})
    assert body == PNG
    assert response.headers["Content-Encoding"] is None


def test_etag_and_if_none_match(sites: Path, server: ReplayServer) -> None:
    first, _ = request(server, "GET", "http://example.com/a/b/")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert etag != request(server, "GET", "http://example.com/")[0].headers["ETag"]
    response, body = request(server, "GET", "http://example.com/a/b/", {"If-None-Match": etag})
    assert (response.status, body) == (304, b"")
    assert response.headers["ETag"] == etag
    response, _ = request(server, "GET", "http://example.com/a/b/", {"If-None-Match": f'"other", W/{etag}'})
    assert response.status == 304
    response, body = request(server, "GET", "http://example.com/a/b/", {"If-None-Match": '"other"'})
    assert response.status == 200
    assert body == FILES["a/b/index.html"].encode()
    (sites / HOST / "a" / "b" / "index.html").write_text("<p>changed</p>")
    response, body = request(server, "GET", "http://example.com/a/b/", {"If-None-Match": etag})
    assert (response.status, body) == (200, b"<p>changed</p>")
    assert response.headers["ETag"] != etag


def test_last_modified_is_fixed_and_if_modified_since(sites: Path, server: ReplayServer) -> None:
    os.utime(sites / HOST / "a" / "b" / "index.html", (1_000_000_000, 1_000_000_000))
    response, _ = request(server, "GET", "http://example.com/a/b/")
    assert response.headers["Last-Modified"] == "Fri, 20 Nov 2026 10:00:00 GMT"
    for since in ("Fri, 20 Nov 2026 10:00:00 GMT", "Sat, 21 Nov 2026 00:00:00 GMT"):
        response, body = request(server, "GET", "http://example.com/a/b/", {"If-Modified-Since": since})
        assert (response.status, body) == (304, b"")
    response, _ = request(
        server, "GET", "http://example.com/a/b/", {"If-Modified-Since": "Thu, 19 Nov 2026 10:00:00 GMT"}
    )
    assert response.status == 200
    response, _ = request(server, "GET", "http://example.com/a/b/", {"If-Modified-Since": "not a date"})
    assert response.status == 200


def test_default_last_modified_does_not_follow_mtime(sites: Path, server: ReplayServer) -> None:
    first = request(server, "GET", "http://plain.org/")[0].headers["Last-Modified"]
    os.utime(sites / "plain.org" / "index.html", (1_500_000_000, 1_500_000_000))
    assert request(server, "GET", "http://plain.org/")[0].headers["Last-Modified"] == first


def test_if_none_match_takes_precedence_over_if_modified_since(server: ReplayServer) -> None:
    headers = {"If-None-Match": '"other"', "If-Modified-Since": "Sat, 21 Nov 2026 00:00:00 GMT"}
    response, _ = request(server, "GET", "http://example.com/a/b/", headers)
    assert response.status == 200


def test_errors_are_never_304(server: ReplayServer) -> None:
    response, _ = request(server, "GET", "http://example.com/broken/", {"If-None-Match": "*"})
    assert response.status == 500


def test_head(server: ReplayServer) -> None:
    get, body = request(server, "GET", "http://example.com/a/b/")
    head, head_body = request(server, "HEAD", "http://example.com/a/b/")
    assert head.status == 200
    assert head_body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == str(len(body))
    assert head.headers["ETag"] == get.headers["ETag"]
    assert server.requests[-1].method == "HEAD"


def test_gzip_when_accepted(server: ReplayServer) -> None:
    path = "http://example.com/2021/10/06/some-post/"
    plain, plain_body = request(server, "GET", path)
    assert plain.headers["Content-Encoding"] is None
    response, body = request(server, "GET", path, {"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert int(response.headers["Content-Length"]) == len(body) < len(plain_body)
    assert gzip.decompress(body) == plain_body
    assert request(server, "GET", path, {"Accept-Encoding": "gzip"})[1] == body, (
        "gzip output is deterministic"
    )
    feed, feed_body = request(server, "GET", "http://example.com/feed/", {"Accept-Encoding": "gzip"})
    assert feed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(feed_body) == FILES["feed/index.xml"].encode()


def test_no_gzip_when_refused(server: ReplayServer) -> None:
    response, body = request(server, "GET", "http://example.com/", {"Accept-Encoding": "gzip;q=0, identity"})
    assert response.headers["Content-Encoding"] is None
    assert body == FILES["index.html"].encode()


# -- precompressed copies (gzip_static) ---------------------------------------------------------------

ARTICLE = "2021/10/06/some-post/index.html"
#: The precompressed copy holds other text than the file, so that the tests see which one was sent.
FROM_GZ = b"<html><body>sent from the .gz copy</body></html>"


@pytest.fixture
def precompressed(sites: Path) -> Path:
    """A ``.gz`` copy beside the article, written after it (so not older)."""
    copy = sites / HOST / (ARTICLE + ".gz")
    copy.write_bytes(gzip.compress(FROM_GZ, compresslevel=9, mtime=0))
    return copy


def test_precompressed_copy_is_sent_when_gzip_is_accepted(server: ReplayServer, precompressed: Path) -> None:
    url = "http://example.com/2021/10/06/some-post/"
    plain, plain_body = request(server, "GET", url)
    response, body = request(server, "GET", url, {"Accept-Encoding": "gzip, deflate, br"})
    assert response.status == 200
    assert body == precompressed.read_bytes()
    assert gzip.decompress(body) == FROM_GZ
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.headers["ETag"] == plain.headers["ETag"], "the ETag is the file's, whatever the encoding"
    assert response.headers["Last-Modified"] == plain.headers["Last-Modified"]
    assert plain_body == FILES[ARTICLE].encode()
    head, head_body = request(server, "HEAD", url, {"Accept-Encoding": "gzip"})
    assert (head.status, head_body, head.headers["Content-Length"]) == (200, b"", str(len(body)))


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, identity", "deflate, br"])
def test_precompressed_copy_is_not_sent_when_gzip_is_not_accepted(
    server: ReplayServer, precompressed: Path, accept: str | None
) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    response, body = request(server, "GET", "http://example.com/2021/10/06/some-post/", headers)
    assert response.status == 200
    assert body == FILES[ARTICLE].encode()
    assert response.headers["Content-Encoding"] is None
    assert response.headers["Vary"] == "Accept-Encoding"


def test_not_modified_with_a_precompressed_copy(server: ReplayServer, precompressed: Path) -> None:
    url = "http://example.com/2021/10/06/some-post/"
    first, _ = request(server, "GET", url, {"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    for headers in (
        {"If-None-Match": etag},
        {"If-Modified-Since": first.headers["Last-Modified"]},
    ):
        response, body = request(server, "GET", url, {"Accept-Encoding": "gzip", **headers})
        assert (response.status, body) == (304, b"")
        assert response.headers["ETag"] == etag
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Content-Encoding"] is None
    response, body = request(server, "GET", url, {"Accept-Encoding": "gzip", "If-None-Match": '"other"'})
    assert response.status == 200
    assert gzip.decompress(body) == FROM_GZ


def test_without_a_copy_the_file_is_compressed_on_the_fly(server: ReplayServer) -> None:
    for path, name in (("/2021/10/06/some-post/", ARTICLE), ("/sitemap.xml", "sitemap.xml")):
        response, body = request(server, "GET", f"http://example.com{path}", {"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert int(response.headers["Content-Length"]) == len(body)
        assert gzip.decompress(body) == FILES[name].encode()


def test_copy_older_than_its_file_is_not_sent(sites: Path, server: ReplayServer, precompressed: Path) -> None:
    stat = (sites / HOST / ARTICLE).stat()
    os.utime(precompressed, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))
    response, body = request(
        server, "GET", "http://example.com/2021/10/06/some-post/", {"Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == FILES[ARTICLE].encode()


def test_copy_linked_out_of_the_site_is_not_sent(sites: Path, server: ReplayServer) -> None:
    outside = sites.parent / "outside.gz"
    outside.write_bytes(gzip.compress(SECRET.encode()))
    (sites / HOST / "a" / "b" / "index.html.gz").symlink_to(outside)
    response, body = request(server, "GET", "http://example.com/a/b/", {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert gzip.decompress(body) == FILES["a/b/index.html"].encode()


def test_copies_are_no_pages_of_their_own(sites: Path, server: ReplayServer, precompressed: Path) -> None:
    (sites / HOST / "_site.json.gz").write_bytes(gzip.compress(b'{"last_modified": "secret"}'))
    (sites / HOST / "2021" / "10" / "07" / "no-page").mkdir(parents=True)
    (sites / HOST / "2021" / "10" / "07" / "no-page" / "index.html.gz").write_bytes(
        gzip.compress(b"<p>x</p>")
    )
    assert request(server, "GET", "http://example.com/_site.json.gz")[0].status == 404
    assert request(server, "GET", "http://example.com/2021/10/07/no-page/")[0].status == 404
    response, body = request(server, "GET", "http://example.com/2021/10/06/some-post/index.html.gz")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/gzip"
    assert response.headers["Content-Encoding"] is None
    assert body == precompressed.read_bytes()


# -- HTTP parsing -------------------------------------------------------------------------------------


def raw_exchange(server: ReplayServer, data: bytes) -> bytes:
    """Send ``data`` as is and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_http_1_0_and_connection_close_end_the_connection(server: ReplayServer) -> None:
    for request_text in (
        b"GET http://example.com/a/b/ HTTP/1.0\r\n\r\n",
        b"GET /a/b/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    ):
        answer = raw_exchange(server, request_text)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nServer: newsarchive-replay\r\n" in head and b"\r\nDate: " in head
        assert body == FILES["a/b/index.html"].encode()


def test_keep_alive_answers_several_requests_on_one_connection(server: ReplayServer) -> None:
    pipelined = b"GET /a/b/ HTTP/1.1\r\nHost: example.com\r\n\r\n" + (
        b"GET /missing/ HTTP/1.1\r\nhost: example.com\r\nConnection: close\r\n\r\n"
    )
    answer = raw_exchange(server, pipelined)
    assert answer.count(b"HTTP/1.1 ") == 2
    assert [r.status for r in server.requests] == [200, 404]


def test_request_headers_as_logged(server: ReplayServer) -> None:
    request_text = (
        b"GET http://example.com/a/b/ HTTP/1.1\r\nHost: example.com\r\nX-Many: one\r\nX-Many: two\r\n"
        b"X-Folded: first\r\n second\r\nUser-Agent:   spaced\r\nConnection: close\r\n\r\n"
    )
    assert raw_exchange(server, request_text).startswith(b"HTTP/1.1 200 ")
    headers = server.requests[-1].headers
    assert headers["X-Many"] == "one, two"
    assert headers["X-Folded"].startswith("first") and headers["X-Folded"].endswith("second")
    assert headers["User-Agent"] == "spaced"


@pytest.mark.parametrize(
    ("request_text", "status"),
    [
        (b"GET / HTTP/1.1\r\n" + b"X-H: v\r\n" * 101 + b"\r\n", b"431"),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
        (b"GET / HTTP/2.0\r\n\r\n", b"505"),
        (b"GET / FTP/1.1\r\n\r\n", b"400"),
        (b"GET  /  extra HTTP/1.1\r\n\r\n", b"400"),
    ],
)
def test_bad_requests_are_refused(server: ReplayServer, request_text: bytes, status: bytes) -> None:
    assert b"Error code: " + status in raw_exchange(server, request_text)


def test_http_0_9_request_gets_a_bare_body(server: ReplayServer) -> None:
    assert raw_exchange(server, b"GET /a/b/\r\n\r\n") == b"Cannot replay request target '/a/b/'.\n"


# -- request log --------------------------------------------------------------------------------------


def test_request_log_in_memory_and_file(sites: Path, tmp_path: Path) -> None:
    log_path = tmp_path / "requests.jsonl"
    with ReplayServer(sites, log_path=log_path) as server:
        request(server, "GET", "http://example.com/a/b?utm_source=x", {"User-Agent": "tester"})
        request(server, "HEAD", "/feed/", {"Host": "example.com"})
        request(server, "GET", "http://nowhere.test/")
        records = server.requests
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    expected = [
        ("GET", "http://example.com/a/b?utm_source=x", HOST, "/a/b", 301),
        ("HEAD", "http://example.com/feed/", HOST, "/feed/", 200),
        ("GET", "http://nowhere.test/", "nowhere.test", "/", 404),
    ]
    assert [(r.method, r.url, r.host, r.path, r.status) for r in records] == expected
    assert [(r["method"], r["url"], r["host"], r["path"], r["status"]) for r in lines] == expected
    assert records[0].headers["User-Agent"] == "tester"
    assert lines[0]["headers"]["User-Agent"] == "tester"
    assert lines[0]["query"] == "utm_source=x"
    assert records[0].time <= records[1].time <= records[2].time
    assert lines[2]["time"] == records[2].time


def test_request_log_is_thread_safe(server: ReplayServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    paths = [f"http://example.com/a/b/?n={n}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda url: request(server, "GET", url)[0].status, paths))
    assert statuses == [200] * 40
    assert sorted(r.url for r in server.requests) == sorted(paths)


# -- API: sites directories, hooks, lifecycle ---------------------------------------------------------


def test_single_site_folder(sites: Path) -> None:
    with ReplayServer(sites / HOST) as server:
        assert server.hosts == [HOST]
        assert request(server, "GET", "http://example.com/a/b/")[1] == FILES["a/b/index.html"].encode()
        assert request(server, "GET", "http://plain.org/")[0].status == 404


def test_set_sites_dir_switches_content(sites: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    _write_site(other / HOST, {"index.html": "<p>second snapshot</p>"})
    with ReplayServer(sites) as server:
        assert request(server, "GET", "http://example.com/")[1] == FILES["index.html"].encode()
        server.set_sites_dir(other)
        assert server.hosts == [HOST]
        assert request(server, "GET", "http://example.com/")[1] == b"<p>second snapshot</p>"
        assert request(server, "GET", "http://plain.org/")[0].status == 404


def test_response_hook_can_replace_response(server: ReplayServer) -> None:
    seen: list[str] = []

    def hook(request: ReplayRequest, response: ReplayResponse) -> ReplayResponse | None:
        seen.append(request.url)
        if request.path == "/a/b/":
            return ReplayResponse(503, {"Retry-After": "1"}, b"busy")
        return None

    server.add_response_hook(hook)
    response, body = request(server, "GET", "http://example.com/a/b/")
    assert (response.status, response.headers["Retry-After"], body) == (503, "1", b"busy")
    assert server.requests[-1].status == 503
    assert request(server, "GET", "http://example.com/")[0].status == 200
    assert seen == ["http://example.com/a/b/", "http://example.com/"]


def test_start_stop_lifecycle(sites: Path) -> None:
    server = ReplayServer(sites)
    with pytest.raises(ReplayError):
        _ = server.url
    server.start()
    port = server.port
    with pytest.raises(ReplayError, match="already running"):
        server.start()
    assert request(server, "GET", "http://example.com/")[0].status == 200
    server.stop()
    server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_stop_closes_keep_alive_connections(sites: Path) -> None:
    server = ReplayServer(sites).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "http://example.com/", headers={"Host": HOST})
    assert connection.getresponse().read() == FILES["index.html"].encode()
    server.stop()
    with pytest.raises((http.client.HTTPException, OSError)):
        connection.request("GET", "http://example.com/", headers={"Host": HOST})
        connection.getresponse()
    connection.close()


def test_port_in_use_is_replay_error(sites: Path, server: ReplayServer) -> None:
    with pytest.raises(ReplayError, match="cannot listen"):
        ReplayServer(sites, port=server.port).start()


@pytest.mark.parametrize("case", ["missing", "file", "empty", "no-site-folder"])
def test_bad_sites_dir_is_replay_error(tmp_path: Path, case: str) -> None:
    path = tmp_path / "dir"
    if case == "file":
        path.write_text("x")
    elif case == "empty":
        path.mkdir()
    elif case == "no-site-folder":
        (path / "notes").mkdir(parents=True)
        (path / "README.md").write_text("x")
    with pytest.raises(ReplayError) as error:
        ReplayServer(path)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_site_json_is_replay_error(sites: Path) -> None:
    (sites / HOST / "_site.json").write_text("{not json")
    with pytest.raises(ReplayError, match="_site.json"):
        ReplayServer(sites)


# -- command line -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_line_and_serves(sites: Path, tmp_path: Path, stop_signal: signal.Signals) -> None:
    log_path = tmp_path / "cli.jsonl"
    command = [sys.executable, "-m", "crawler.replay", str(sites), "--log", str(log_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = re.fullmatch(
            r"Replaying example\.com, plain\.org on http://127\.0\.0\.1:(\d+) \(use it as an HTTP proxy\)",
            line,
        )
        assert match, line
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{match[1]}"})
        )
        with opener.open("http://example.com/a/b/", timeout=10) as response:
            assert response.read() == FILES["a/b/index.html"].encode()
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert json.loads(log_path.read_text().splitlines()[0])["url"] == "http://example.com/a/b/"


def test_cli_bad_dir_is_one_line_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "crawler.replay", str(tmp_path / "missing")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- Scrapy through the proxy -------------------------------------------------------------------------

SCRAPY_SCRIPT = """
import json, socket, sys

real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
off_site = []

def _check(address):
    if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
        off_site.append(repr(address))
        raise OSError("only 127.0.0.1 is reachable in this test")

def connect(self, address):
    _check(address)
    return real_connect(self, address)

def connect_ex(self, address):
    _check(address)
    return real_connect_ex(self, address)

socket.socket.connect, socket.socket.connect_ex = connect, connect_ex

import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.offline import use_bundled_suffix_list

use_bundled_suffix_list()
proxy, out = sys.argv[1], sys.argv[2]
results = []

class Replayed(scrapy.Spider):
    name = "replayed"

    async def start(self):
        for url in ("http://example.com/2021/10/06/some-post", "http://example.com/feed/",
                    "http://example.com/missing/"):
            yield scrapy.Request(url, meta={"proxy": proxy, "handle_httpstatus_list": [404]})

    def parse(self, response):
        results.append({"url": response.url, "status": response.status, "text": response.text,
                        "type": response.headers.get("Content-Type", b"").decode()})

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                          "RETRY_ENABLED": False})
process.crawl(Replayed)
process.start()
json.dump({"results": results, "off_site": off_site}, open(out, "w"))
"""


def test_scrapy_crawls_through_the_proxy(server: ReplayServer, tmp_path: Path) -> None:
    out = tmp_path / "scrapy.json"
    command = [sys.executable, "-c", SCRAPY_SCRIPT, server.proxy_url, str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["off_site"] == []
    by_url = {r["url"]: r for r in data["results"]}
    article = by_url["http://example.com/2021/10/06/some-post/"]
    assert (article["status"], article["text"]) == (200, FILES["2021/10/06/some-post/index.html"])
    assert by_url["http://example.com/feed/"]["type"] == "application/rss+xml; charset=UTF-8"
    assert by_url["http://example.com/missing/"]["status"] == 404
    assert {r.host for r in server.requests} == {HOST}
    gzipped = [r for r in server.requests if "gzip" in r.headers.get("Accept-Encoding", "")]
    assert len(gzipped) == len(server.requests) == 4
