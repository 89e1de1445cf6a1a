"""Fetch single pages outside a crawl (``newsarchive detect``, ``newsarchive fixture record``).

Plain ``urllib``: robots.txt is obeyed and the User-Agent names the tool, as in a crawl. With a
replay directory every request goes to a replay server on 127.0.0.1 started for the purpose, so the
saved copy of a site answers and nothing reaches the network.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
import urllib.robotparser
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from w3lib.encoding import http_content_type_encoding

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

logger = logging.getLogger(__name__)

TIMEOUT = 30.0


class FetchError(RuntimeError):
    """A page that could not be fetched at all (no HTTP answer, or robots.txt forbids it)."""


@dataclass
class Fetched:
    """One HTTP answer."""

    url: str
    final_url: str
    status: int
    body: bytes
    fetched_at: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def encoding(self) -> str | None:
        """The charset of the ``Content-Type`` header, if it names one."""
        return http_content_type_encoding(self.headers.get("content-type", ""))


def user_agent() -> str:
    """The crawl's User-Agent (``USER_AGENT`` of the project settings)."""
    from crawler import settings

    return str(settings.USER_AGENT)


class Fetcher:
    """Fetches pages one by one through an optional HTTP proxy, obeying robots.txt."""

    def __init__(
        self, proxy: str | None = None, *, obey_robots: bool = True, timeout: float = TIMEOUT
    ) -> None:
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})
        ]
        self.opener = urllib.request.build_opener(*handlers)
        self.opener.addheaders = [("User-Agent", user_agent()), ("Accept", "text/html,*/*;q=0.8")]
        self.obey_robots = obey_robots
        self.timeout = timeout
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def fetch(self, url: str) -> Fetched:
        """The answer for ``url`` (any HTTP status); :class:`FetchError` when there is none."""
        if self.obey_robots and not self.allowed(url):
            raise FetchError(f"{url}: robots.txt does not allow fetching it")
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            with self.opener.open(url, timeout=self.timeout) as response:
                return Fetched(
                    url, response.geturl(), response.status, response.read(), fetched_at, _headers(response)
                )
        except urllib.error.HTTPError as error:
            return Fetched(url, error.geturl() or url, error.code, error.read(), fetched_at, _headers(error))
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise FetchError(f"{url}: {reason}") from error

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets this User-Agent fetch ``url`` (a missing robots.txt does)."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            self._robots[root] = self._read_robots(root + "/robots.txt")
        robots = self._robots[root]
        return robots is None or robots.can_fetch(user_agent(), url)

    def _read_robots(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        try:
            with self.opener.open(url, timeout=self.timeout) as response:
                lines = response.read().decode("utf-8", "replace").splitlines()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                logger.warning("%(url)s answers %(code)d: fetching nothing", {"url": url, "code": error.code})
                parser = urllib.robotparser.RobotFileParser()
                parser.disallow_all = True
                return parser
            return None
        except (urllib.error.URLError, OSError):
            return None
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(lines)
        return parser


def _headers(response: object) -> dict[str, str]:
    headers = getattr(response, "headers", None)
    return {k.lower(): v for k, v in headers.items()} if headers is not None else {}


@contextmanager
def fetcher(replay_dir: str | Path | None = None) -> Iterator[Callable[[str], Fetched]]:
    """A fetch function: live, or answered by a replay server over ``replay_dir`` (started here)."""
    if replay_dir is None:
        yield Fetcher().fetch
        return
    from crawler.replay import ReplayServer

    with ReplayServer(replay_dir, port=0) as server:
        yield Fetcher(server.proxy_url).fetch
