"""Raw capture of every response, as received, into the archive's WARC files.

:class:`CaptureMiddleware` sits next to the download handler (``DOWNLOADER_MIDDLEWARES`` 950), so it
sees each response before redirects are followed, retries are decided and the body is decompressed:
every answer (200, 304, 404, 500 ...) is written, robots.txt included. Disabled by
``NEWSARCHIVE_WARC = False``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.session import ArchiveSession

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self


class CaptureMiddleware:
    """Write each response and its request to WARC, with a ``captures`` row pointing at it."""

    def __init__(self, session: ArchiveSession) -> None:
        self.session = session

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_WARC"):
            raise NotConfigured("NEWSARCHIVE_WARC is off")
        return cls(ArchiveSession.of(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        self.session.capture(request, response)
        return response
