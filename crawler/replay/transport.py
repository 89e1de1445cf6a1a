"""The HTTP side of the replay server: parse each request, send the answer, track connections."""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.replay.messages import BODILESS, ReplayRequest, ReplayResponse, error_response, text_response

if TYPE_CHECKING:
    from crawler.replay.server import ReplayServer

logger = logging.getLogger(__name__)

ALLOWED_METHODS = ("GET", "HEAD")


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
            scheme, netloc = "http", self.headers.get("Host", "").strip().lower()
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
        logger.debug("%s - " + format, self.address_string(), *args)


def _hostname(netloc: str) -> str:
    """The host name of ``host[:port]``, lower-cased, without trailing dot ('' if there is none)."""
    try:
        host = urlsplit("//" + netloc).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")
