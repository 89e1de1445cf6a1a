"""A loopback HTTP server that answers requests for real site URLs from saved site folders.

Crawlers use it as an HTTP proxy (``request.meta["proxy"] = server.proxy_url``): the request line
carries the absolute URL (``GET http://example.com/a/ HTTP/1.1``) and the server answers from the
folder of that host. Origin-form requests (``GET /a/``) are answered for the host of the ``Host``
header. Nothing is ever forwarded to the network: unknown hosts get 404, CONNECT (https) gets 405.

Every answer goes through :meth:`ReplayServer.answer` and then through the response hooks
(:meth:`ReplayServer.add_response_hook`), which may replace the response before it is sent.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.replay.messages import (
    ReplayRequest,
    ReplayResponse,
    apply_conditional,
    apply_gzip,
    error_response,
    file_answer,
    redirect_response,
    text_response,
)
from crawler.replay.requestlog import RequestLog, RequestRecord
from crawler.replay.sites import ReplayError, Site, load_sites
from crawler.replay.transport import ALLOWED_METHODS, ReplayHTTPServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
ALLOW = ", ".join(ALLOWED_METHODS)
#: Seconds between checks for a stop request.
POLL_INTERVAL = 0.05


class ReplayServer:
    """Serve saved sites on ``127.0.0.1:port`` (``port=0``: a free port), in a background thread.

    >>> with ReplayServer("fixtures/sites") as server:  # doctest: +SKIP
    ...     server.proxy_url
    'http://127.0.0.1:40123'
    """

    def __init__(
        self, sites_dir: str | Path, port: int = 0, log_path: str | Path | None = None, verbose: bool = False
    ) -> None:
        self.requested_port = port
        self.verbose = verbose
        self.log = RequestLog(log_path)
        self._hooks: list[Callable[[ReplayRequest, ReplayResponse], ReplayResponse | None]] = []
        self._sites: dict[str, Site] = {}
        self._lock = threading.Lock()
        self._httpd: ReplayHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_sites_dir(sites_dir)

    # -- sites ---------------------------------------------------------------------------------------

    def set_sites_dir(self, sites_dir: str | Path) -> None:
        """Serve the sites of ``sites_dir`` from now on (also while running)."""
        sites = load_sites(sites_dir)
        with self._lock:
            self.sites_dir = Path(sites_dir)
            self._sites = sites
        logger.debug("Replaying %s from %s", ", ".join(sites), sites_dir)

    @property
    def hosts(self) -> list[str]:
        """The hosts served, sorted."""
        with self._lock:
            return sorted(self._sites)

    def site_for(self, host: str) -> Site | None:
        """The site of ``host``; ``www.host`` falls back to ``host`` when it has no folder of its own."""
        with self._lock:
            sites = self._sites
        if host in sites:
            return sites[host]
        if host.startswith("www."):
            return sites.get(host[4:])
        return None

    # -- answers -------------------------------------------------------------------------------------

    def add_response_hook(
        self, hook: Callable[[ReplayRequest, ReplayResponse], ReplayResponse | None]
    ) -> None:
        """Pass every response through ``hook(request, response)``; a returned response replaces it."""
        self._hooks.append(hook)

    def answer(self, request: ReplayRequest) -> ReplayResponse:
        """The response to ``request``, hooks applied."""
        response = self._base_answer(request)
        for hook in list(self._hooks):
            response = hook(request, response) or response
        return response

    def _base_answer(self, request: ReplayRequest) -> ReplayResponse:
        if request.method == "CONNECT":
            text = f"CONNECT {request.netloc}: https is not replayed; send http:// URLs to this proxy.\n"
            return text_response(405, text, Allow=ALLOW)
        if request.method not in ALLOWED_METHODS:
            return text_response(405, f"{request.method} is not replayed.\n", Allow=ALLOW)
        site = self.site_for(request.host)
        if site is None:
            hosts = ", ".join(self.hosts)
            return text_response(404, f"Unknown host {request.host!r}: this server replays {hosts}.\n")
        return _site_answer(site, request)

    # -- request log ---------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first."""
        return self.log.records

    def record(self, request: ReplayRequest, status: int) -> None:
        """Add ``request`` and its status to the request log."""
        record = RequestRecord(
            method=request.method,
            url=request.url,
            host=request.host,
            path=request.path,
            query=request.query,
            status=status,
            headers=dict(request.headers),
            time=time.time(),
        )
        self.log.add(record)
        level = logging.INFO if self.verbose else logging.DEBUG
        logger.log(level, "%s %s %d", record.method, record.url, status)

    # -- running -------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port listened on (the requested port while not running)."""
        return self._httpd.server_port if self._httpd is not None else self.requested_port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._httpd is None:
            raise ReplayError("the replay server is not running")
        return f"http://{HOST}:{self.port}"

    @property
    def proxy_url(self) -> str:
        """The proxy to set on requests (``request.meta["proxy"]``)."""
        return self.url

    def start(self) -> ReplayServer:
        """Listen and answer in a background (daemon) thread."""
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(POLL_INTERVAL,), name="replay-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, close open connections and the listening socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        if self._thread is not None:
            httpd.shutdown()
            self._thread.join()
            self._thread = None
        httpd.close_connections()
        httpd.server_close()

    def serve(self, announce: Callable[[str], Any] = print) -> None:
        """Answer in the current thread until interrupted (Ctrl-C or SIGTERM)."""
        httpd = self._bind()
        announce(f"Replaying {', '.join(self.hosts)} on {self.url} (use it as an HTTP proxy)")
        with _interrupt_on_sigterm(), contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever(POLL_INTERVAL)
        self.stop()

    def _bind(self) -> ReplayHTTPServer:
        if self._httpd is not None:
            raise ReplayError("the replay server is already running")
        try:
            self._httpd = ReplayHTTPServer((HOST, self.requested_port), self)
        except OSError as exc:
            reason = exc.strerror or exc
            raise ReplayError(f"cannot listen on {HOST}:{self.requested_port}: {reason}") from exc
        return self._httpd

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_forever(
    sites_dir: str | Path, port: int = 0, log_path: str | Path | None = None, verbose: bool = False
) -> None:
    """Replay ``sites_dir`` on ``127.0.0.1:port`` in the foreground until Ctrl-C.

    Prints ``Replaying <hosts> on http://127.0.0.1:PORT (use it as an HTTP proxy)`` once listening.
    Raises :class:`ReplayError` for a directory without sites or a port that is taken.
    """
    if verbose and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    server = ReplayServer(sites_dir, port=port, log_path=log_path, verbose=verbose)
    server.serve(announce=lambda line: print(line, flush=True))


def _site_answer(site: Site, request: ReplayRequest) -> ReplayResponse:
    resolution = site.resolve(request.path)
    if resolution.file is not None:
        return file_answer(request, resolution.file, site.last_modified, resolution.headers, resolution.stat)
    if resolution.location is not None:
        location = request.absolute(resolution.location)
        if request.query and "?" not in location:
            location = f"{location}?{request.query}"
        response = redirect_response(location, resolution.status)
    elif resolution.status == 404:
        page = site.not_found_page
        response = error_response(404, page.read_bytes() if page else None)
    else:
        response = error_response(resolution.status)
    response.headers.update(resolution.headers)
    return apply_conditional(request, apply_gzip(request, response))


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (main thread only), for a clean exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
