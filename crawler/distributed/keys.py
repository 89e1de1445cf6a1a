"""Names of the Redis keys of the distributed mode (all under the ``newsarchive:`` prefix).

Per site (``<site>`` is the spider name, e.g. ``tdi``):

- ``newsarchive:<site>:requests``: sorted set, the frontier (scrapy-redis priority queue: score is
  minus the request priority, members are pickled request dicts);
- ``newsarchive:<site>:dupefilter``: set of request fingerprints seen in the current crawl round;
- ``newsarchive:<site>:inflight``: hash, lease id -> request taken by a worker and not finished yet;
- ``newsarchive:<site>:inflight:scores``: hash, lease id -> its score, to put it back in order;
- ``newsarchive:<site>:crawl``: hash describing the current round (``round``, ``state``, ``started``,
  ``finished``, ``spider``).

Shared: the item messages for the ingester and its lock (see :mod:`archive.ingest`), the workers
(``newsarchive:workers`` sorted set scored by "alive until", ``newsarchive:workers:info`` hash of
JSON descriptions) and the per-domain politeness slots (``newsarchive:slot:<host>:*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.ingest import (
    FAILED_KEY,
    ITEMS_KEY,
    LOCK_KEY,
    PREFIX,
    PROCESSING_KEY,
    SITES_KEY,
    WORKERS_KEY,
    crawl_key,
)

WORKERS_INFO_KEY = f"{PREFIX}:workers:info"

__all__ = [
    "FAILED_KEY",
    "ITEMS_KEY",
    "LOCK_KEY",
    "PREFIX",
    "PROCESSING_KEY",
    "SITES_KEY",
    "WORKERS_INFO_KEY",
    "WORKERS_KEY",
    "SiteKeys",
    "slot_keys",
]


@dataclass(frozen=True)
class SiteKeys:
    """The keys of one site's crawl."""

    site: str

    @property
    def requests(self) -> str:
        return f"{PREFIX}:{self.site}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{PREFIX}:{self.site}:dupefilter"

    @property
    def inflight(self) -> str:
        return f"{PREFIX}:{self.site}:inflight"

    @property
    def inflight_scores(self) -> str:
        return f"{PREFIX}:{self.site}:inflight:scores"

    @property
    def crawl(self) -> str:
        return crawl_key(self.site)


def slot_keys(host: str) -> tuple[str, str]:
    """The politeness keys of ``host``: holders of its request slots, and its next allowed start time."""
    return f"{PREFIX}:slot:{host}:holders", f"{PREFIX}:slot:{host}:next"
