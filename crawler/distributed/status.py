"""A snapshot of a distributed crawl, read from Redis: queues, rounds, workers, items waiting."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from archive.ingest import waiting
from crawler.distributed.frontier import Frontier
from crawler.distributed.keys import SITES_KEY
from crawler.distributed.workers import list_workers

if TYPE_CHECKING:
    import redis


@dataclass
class SiteStatus:
    """The crawl of one site."""

    site: str
    round: str
    state: str
    started: str
    finished: str
    queued: int
    in_flight: int
    #: Requests seen (queued, done or filtered) in this round: the duplicate filter's size.
    seen: int


def site_status(server: redis.Redis, site: str) -> SiteStatus:
    frontier = Frontier(server, site)
    current = frontier.current_round()
    return SiteStatus(
        site=site,
        round=current.get("round", ""),
        state=current.get("state", "") or "never crawled",
        started=current.get("started", ""),
        finished=current.get("finished", ""),
        queued=len(frontier),
        in_flight=frontier.in_flight(),
        seen=frontier.seen(),
    )


def snapshot(server: redis.Redis) -> dict[str, Any]:
    """Everything ``newsarchive status`` shows, as plain data."""
    sites = sorted(s.decode() if isinstance(s, bytes) else str(s) for s in server.smembers(SITES_KEY))
    info = server.info("server") | server.info("memory")
    workers = list_workers(server)
    return {
        "redis": {
            "version": info.get("redis_version"),
            "used_memory": info.get("used_memory"),
            "used_memory_human": info.get("used_memory_human"),
        },
        "items": waiting(server),
        "sites": [asdict(site_status(server, site)) for site in sites],
        "workers": [
            {"id": w.worker_id, "alive": w.alive, "last_seen": w.last_seen, **w.info} for w in workers
        ],
        "workers_alive": sum(1 for w in workers if w.alive),
    }
