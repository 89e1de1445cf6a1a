"""The HTTP side of the replay server: parse each request, send the answer, track connections.

Built on :mod:`http.server`, with its per-request costs cut where the replay server spends them: the
usual request (``METHOD TARGET HTTP/1.x`` and header lines) is parsed here rather than by the email
package, and each answer is sent as one buffer with a ``Date`` formatted once a second.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import functools
import http.client
import logging
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from crawler.replay.messages import BODILESS, ReplayRequest, ReplayResponse, error_response, text_response

if TYPE_CHECKING:
    from crawler.replay.server import ReplayServer

logger = logging.getLogger(__name__)

ALLOWED_METHODS = ("GET", "HEAD")
#: Request lines parsed by :meth:`ReplayHandler.parse_request` itself; others go to http.server's parser.
FAST_VERSIONS = frozenset({b"HTTP/1.1", b"HTTP/1.0"})
#: Limits of a request's header lines, as http.client has them.
MAX_LINE = 65536
MAX_HEADERS = 100
#: Bodies up to this size are sent in the same write as the headers.
JOINED_WRITE_LIMIT = 256 * 1024


class ReplayHTTPServer(ThreadingHTTPServer):
    """The listening socket; tracks open connections so that stopping closes them."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], replay: ReplayServer) -> None:
        self.replay = replay
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, ReplayHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn); the address is enough here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.debug("Connection from %s:%s lost: %s", *client_address[:2], error)
        else:
            logger.error("Error while answering %s:%s", *client_address[:2], exc_info=True)

    def close_connections(self) -> None:
        """Shut the open client connections down (their handler threads then end)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ReplayHandler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a :class:`ReplayRequest` and sends the server's answer."""

    protocol_version = "HTTP/1.1"
    server_version = "newsarchive-replay"
    #: Headers and body are written separately: with Nagle's algorithm on, the body of every
    #: keep-alive response would wait for the client's delayed ACK of the headers (~40 ms).
    disable_nagle_algorithm = True
    server: ReplayHTTPServer
    _message: email.message.Message | None = None
    #: Headers of the current request when :meth:`parse_request` read them itself.
    _request_headers: dict[str, str] | None = None

    @property  # type: ignore[override]
    def headers(self) -> email.message.Message:
        """The request headers as http.server gives them (built on demand for requests parsed here)."""
        if self._message is None:
            message = http.client.HTTPMessage()
            for name, value in (self._request_headers or {}).items():
                message[name] = value
            self._message = message
        return self._message

    @headers.setter
    def headers(self, message: email.message.Message) -> None:
        self._message = message
        self._request_headers = None

    def parse_request(self) -> bool:
        """Parse ``METHOD TARGET HTTP/1.x`` and its headers; anything else as http.server does."""
        raw = self.raw_requestline
        words = raw.split()
        if len(words) != 3 or words[2] not in FAST_VERSIONS or not raw.isascii():
            return super().parse_request()
        command, path, version = (word.decode("ascii") for word in words)
        self.command, self.request_version = command, version
        self.requestline = raw.decode("ascii").rstrip("\r\n")
        self.close_connection = version != "HTTP/1.1"
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        try:
            headers = _read_headers(self.rfile)
        except http.client.LineTooLong as error:
            self.send_error(431, "Line too long", str(error))
            return False
        except http.client.HTTPException as error:
            self.send_error(431, "Too many headers", str(error))
            return False
        self._message, self._request_headers = None, headers
        lowered = {name.lower(): value for name, value in headers.items() if name.lower() in _WATCHED}
        connection = lowered.get("connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        if lowered.get("expect", "").lower() == "100-continue" and version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _handle(self) -> None:
        request = self._parse_request()
        if request is None:
            request = ReplayRequest(self.command, "http", "", "", self.path, headers=self._header_dict())
            response = text_response(400, f"Cannot replay request target {self.path!r}.\n")
        else:
            response = self._answer(request)
        self.server.replay.record(request, response.status)
        self._send(request, response)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _handle

    def _answer(self, request: ReplayRequest) -> ReplayResponse:
        try:
            return self.server.replay.answer(request)
        except Exception:
            logger.exception("Replay of %s %s failed", request.method, request.url)
            return error_response(500)

    def _parse_request(self) -> ReplayRequest | None:
        headers = self._header_dict()
        if self.command == "CONNECT":
            netloc = self.path.lower()
            return ReplayRequest("CONNECT", "https", netloc, _hostname(netloc), "", "", headers)
        target = self.path.partition("#")[0]
        if target.startswith("/"):
            scheme, netloc = "http", (_first(headers, "Host") or "").strip().lower()
            path, _, query = target.partition("?")
        else:
            parts = urlsplit(target)
            if parts.scheme.lower() not in ("http", "https"):
                return None
            scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
            path, query = parts.path or "/", parts.query
        netloc = netloc.rpartition("@")[2]
        host = _hostname(netloc)
        return ReplayRequest(self.command, scheme, netloc, host, path, query, headers) if host else None

    def _header_dict(self) -> dict[str, str]:
        if self._request_headers is not None:
            return self._request_headers
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            joined = f"{headers[name]}, {value}" if name in headers else value
            # Interned: the request log keeps the headers of every request, mostly the same strings.
            headers[sys.intern(name)] = sys.intern(joined)
        return headers

    def _send(self, request: ReplayRequest, response: ReplayResponse) -> None:
        deliver = getattr(response, "deliver", None)
        if deliver is not None:  # a response that delivers itself: slow, reset, truncated (faults.py)
            deliver(self, request, self._write)
            return
        self._write(request, response)

    def _write(self, request: ReplayRequest, response: ReplayResponse) -> None:
        if self.request_version == "HTTP/0.9":
            self._write_by_parts(request, response)
            return
        status = response.status
        bodiless = status in BODILESS or status < 200
        if logger.isEnabledFor(logging.DEBUG):
            self.log_request(status)
        lines = [_status_line(self.protocol_version, status), "Server: ", self.version_string(), "\r\n",
                 "Date: ", _http_date_now(), "\r\n"]  # fmt: skip
        for name, value in response.headers.items():
            lines.append(f"{name}: {value}\r\n")
            if name.lower() == "connection":
                self._note_connection_header(value)
        if not bodiless:
            lines += ("Content-Length: ", str(len(response.body)), "\r\n")
        if request.method not in ALLOWED_METHODS:
            lines.append("Connection: close\r\n")
            self.close_connection = True
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1", "strict")
        body = response.body if request.method != "HEAD" and not bodiless else b""
        if len(body) <= JOINED_WRITE_LIMIT:
            self.wfile.write(head + body)
        else:
            self.wfile.write(head)
            self.wfile.write(body)

    def _note_connection_header(self, value: str) -> None:
        if value.lower() == "close":
            self.close_connection = True
        elif value.lower() == "keep-alive":
            self.close_connection = False

    def _write_by_parts(self, request: ReplayRequest, response: ReplayResponse) -> None:
        bodiless = response.status in BODILESS or response.status < 200
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(response.body)))
        if request.method not in ALLOWED_METHODS:
            self.send_header("Connection", "close")
        self.end_headers()
        if request.method != "HEAD" and not bodiless:
            self.wfile.write(response.body)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s - " + format, self.address_string(), *args)


#: Request headers that :meth:`ReplayHandler.parse_request` looks at, lower-cased.
_WATCHED = frozenset({"connection", "expect"})


def _read_headers(rfile: BinaryIO) -> dict[str, str]:
    """The header lines of a request, up to the empty line: name (as sent) -> value.

    Values of a repeated name are joined with ", "; names and values are interned, as the request log
    keeps the headers of every request and they are mostly the same strings.
    """
    headers: dict[str, str] = {}
    last = ""
    for _ in range(MAX_HEADERS + 1):
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return headers
        text = line.decode("iso-8859-1")
        if text[0] in " \t":  # obsolete line folding: the value goes on
            if last:
                headers[last] = sys.intern(headers[last] + "\r\n" + text.rstrip("\r\n"))
            continue
        name, colon, value = text.partition(":")
        if not colon:
            continue
        value = value.lstrip(" \t").rstrip("\r\n")
        joined = f"{headers[name]}, {value}" if name in headers else value
        last = sys.intern(name)
        headers[last] = sys.intern(joined)
    raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")


def _first(headers: dict[str, str], name: str) -> str | None:
    """The value of the header ``name`` (case-insensitive) in ``headers``, or None."""
    if name in headers:
        return headers[name]
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


@functools.lru_cache(maxsize=64)
def _status_line(protocol: str, status: int) -> str:
    phrase = BaseHTTPRequestHandler.responses.get(status, ("",))[0]
    return f"{protocol} {status} {phrase}\r\n"


_date_now: tuple[int, str] = (0, "")


def _http_date_now() -> str:
    """The current time as an HTTP date (formatted once a second)."""
    global _date_now
    second = int(time.time())
    if _date_now[0] != second:
        _date_now = (second, email.utils.formatdate(second, usegmt=True))
    return _date_now[1]


@functools.lru_cache(maxsize=256)
def _hostname(netloc: str) -> str:
    """The host name of ``host[:port]``, lower-cased, without trailing dot ('' if there is none)."""
    try:
        host = urlsplit("//" + netloc).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")
