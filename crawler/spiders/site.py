"""Crawl any site from its URL: ``scrapy crawl site -a url=https://example.com/``.

A host with a site profile is crawled with it. Any other site is crawled with the template its home
page calls for (:mod:`crawler.detect`): the tagDiv Newspaper theme gets the ``newspaper`` template
(nav menu, sections, ``page-nav`` pagination, the Newspaper page module), another WordPress theme
the ``wordpress`` template, anything else ``generic``. ``-a profile_file=PATH`` crawls with a profile
file instead. Until the home page is read, only the home page is requested.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING, Any

from crawler.detect import detect, known_profile, profile_for, profile_from_template
from crawler.profiles import load_profile_file
from crawler.session import request_kind
from crawler.spiders.newspaper import STATS, NewspaperSpider, _html

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import scrapy
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

#: Request meta key that keeps the conditional-request middleware off a request (its body is needed).
UNCONDITIONAL = "newsarchive_unconditional"


class SiteSpider(NewspaperSpider):
    """Crawl the site of ``url`` (spider argument), detecting its theme when it has no profile.

    Spider arguments: ``url`` (the home page), or ``profile_file`` (a TOML site profile); and, as
    for every site, ``sections`` and ``max_pages``.
    """

    name = "site"

    def __init__(self, url: str | None = None, profile_file: str | None = None, **kwargs: Any) -> None:
        if profile_file:
            self.profile = load_profile_file(profile_file)
            self.detecting = False
        elif url:
            self.profile = profile_for(url)
            self.detecting = known_profile(url) is None
        else:
            raise ValueError("the site spider needs -a url=URL or -a profile_file=PATH")
        self._waiting: list[scrapy.Request] = []
        kwargs.pop("site", None)
        super().__init__(**kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        first = True
        async for request in super().start():
            if request is None:
                continue
            if first:
                first = False
                if self.detecting:
                    request.meta[UNCONDITIONAL] = True
                yield request
            elif self.detecting:
                self._waiting.append(request)
            else:
                yield request

    def parse_home(self, response: Response) -> list[scrapy.Request]:
        if self.detecting and response.status == 200:
            self.adopt_template(detect(_html(response), response.url).template_name)
        requests = super().parse_home(response)
        return requests + self._release()

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        requests = super().on_error(failure)
        if request_kind(failure.request) == "home":  # type: ignore[attr-defined]
            requests += self._release()
        return requests

    def adopt_template(self, template: str) -> None:
        """Crawl with ``template`` (``newspaper``, ``wordpress`` or ``generic``) from now on."""
        profile = profile_from_template(template, self.profile.start_url)
        self.profile = dataclasses.replace(profile, name=self.profile.name, start_url=self.profile.start_url)
        self._deny = [re.compile(p) for p in self.profile.deny]
        self._sitemap_follow = [re.compile(p) for p in self.profile.sitemap_follow]
        self.crawler.stats.set_value(f"{STATS}/profile", template)
        logger.info(
            "%(host)s has no site profile: crawling it with the %(template)s template",
            {"host": self.profile.name, "template": template},
        )

    def _release(self) -> list[scrapy.Request]:
        self.detecting = False
        waiting, self._waiting = self._waiting, []
        return waiting
