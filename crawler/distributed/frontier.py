"""The shared frontier of one site in Redis: a priority queue with leases, and crawl rounds.

Requests are opaque bytes here (the scheduler pickles them). Taking a request moves it, atomically, from
the queue to the in-flight hash under a *lease* ``<worker id>#<n>``; the worker acks the lease once the
request is fully handled (its new requests queued, its items pushed). Leases of a worker that stopped
sending heartbeats (killed, machine lost) are put back in the queue by :meth:`Frontier.reclaim`, which
every live worker runs regularly, so nothing a dead worker held is lost.

A *round* is one crawl of the site: :meth:`Frontier.start_round` begins one (clearing the duplicate
filter of the previous round) only when nothing is queued or in flight, otherwise the caller joins the
running round; :meth:`Frontier.finish_round` ends it once nothing is queued or in flight any more.
Both push a message for the ingester, so the archive gets one ``crawls`` row per round.

No Scrapy here: only ``redis`` and Lua scripts run atomically by the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.ingest import CRAWL_FINISHED, CRAWL_STARTED
from crawler.distributed.keys import ITEMS_KEY, SITES_KEY, WORKERS_KEY, SiteKeys

if TYPE_CHECKING:
    from collections.abc import Iterable

    import redis

logger = logging.getLogger(__name__)

#: KEYS: queue, inflight, scores. ARGV: lease. Idempotent per lease: a retried call returns the same request.
POP = """
local have = redis.call('HGET', KEYS[2], ARGV[1])
if have then return have end
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], ARGV[1], top[1])
redis.call('HSET', KEYS[3], ARGV[1], top[2])
return top[1]
"""

#: KEYS: queue, dupefilter, inflight, scores. ARGV: request, score, fingerprint ('' = no filter), lease to
#: finish ('' = none). Atomic, so a worker killed half-way never leaves a URL seen but not queued.
PUSH = """
if ARGV[4] ~= '' then
  redis.call('HDEL', KEYS[3], ARGV[4])
  redis.call('HDEL', KEYS[4], ARGV[4])
end
if ARGV[3] ~= '' and redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""

#: KEYS: queue, inflight, scores, workers. Puts back the leases of workers no longer alive.
RECLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local dead = {}
local n = 0
for _, lease in ipairs(redis.call('HKEYS', KEYS[2])) do
  local owner = string.match(lease, '^(.+)#%d+$') or lease
  local gone = dead[owner]
  if gone == nil then
    local alive_until = redis.call('ZSCORE', KEYS[4], owner)
    gone = (not alive_until) or tonumber(alive_until) < now
    dead[owner] = gone
  end
  if gone then
    local data = redis.call('HGET', KEYS[2], lease)
    local score = redis.call('HGET', KEYS[3], lease) or '0'
    redis.call('ZADD', KEYS[1], score, data)
    redis.call('HDEL', KEYS[2], lease)
    redis.call('HDEL', KEYS[3], lease)
    n = n + 1
  end
end
return n
"""

#: KEYS: queue, dupefilter, inflight, crawl, items, sites.
#: ARGV: site, spider, round, now, n, then n times (score, request, fingerprint).
START = f"""
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('HLEN', KEYS[3]) > 0 then
  return {{0, redis.call('HGET', KEYS[4], 'round') or ''}}
end
local old = redis.call('HGET', KEYS[4], 'round')
if old and redis.call('HGET', KEYS[4], 'state') == 'running' then
  redis.call('LPUSH', KEYS[5], cjson.encode({{kind='{CRAWL_FINISHED}', site=ARGV[1], round=old,
    finished=ARGV[4], status='finished'}}))
end
redis.call('DEL', KEYS[2], KEYS[4])
local n = tonumber(ARGV[5])
for i = 0, n - 1 do
  redis.call('ZADD', KEYS[1], ARGV[6 + 3 * i], ARGV[7 + 3 * i])
  redis.call('SADD', KEYS[2], ARGV[8 + 3 * i])
end
redis.call('HSET', KEYS[4], 'round', ARGV[3], 'state', 'running', 'started', ARGV[4], 'spider', ARGV[2],
  'finished', '')
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('LPUSH', KEYS[5], cjson.encode({{kind='{CRAWL_STARTED}', site=ARGV[1], spider=ARGV[2],
  round=ARGV[3], started=ARGV[4]}}))
return {{1, ARGV[3]}}
"""

#: KEYS: queue, inflight, crawl, items. ARGV: site, now, worker. 0: not done, 1: finished now, 2: already.
FINISH = f"""
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('HLEN', KEYS[2]) > 0 then return 0 end
if redis.call('HGET', KEYS[3], 'state') ~= 'running' then return 2 end
redis.call('HSET', KEYS[3], 'state', 'finished', 'finished', ARGV[2])
redis.call('LPUSH', KEYS[4], cjson.encode({{kind='{CRAWL_FINISHED}', site=ARGV[1],
  round=redis.call('HGET', KEYS[3], 'round'), finished=ARGV[2], status='finished', worker=ARGV[3]}}))
return 1
"""


@dataclass(frozen=True)
class SeedRequest:
    """A start request for :meth:`Frontier.start_round`: its score, encoded request and fingerprint."""

    score: float
    data: bytes
    fingerprint: str


class Frontier:
    """The queue, in-flight leases and rounds of ``site`` in Redis, as seen by worker ``worker``."""

    def __init__(self, server: redis.Redis, site: str, worker: str = "") -> None:
        self.server = server
        self.site = site
        self.worker = worker
        self.keys = SiteKeys(site)
        self._push = server.register_script(PUSH)
        self._pop = server.register_script(POP)
        self._reclaim = server.register_script(RECLAIM)
        self._start = server.register_script(START)
        self._finish = server.register_script(FINISH)
        self._serial = 0

    # --- requests -------------------------------------------------------------------------------
    def push(self, data: bytes, score: float, *, fingerprint: str = "", ack: str | None = None) -> bool:
        """Queue ``data``, unless ``fingerprint`` was seen in this round; return whether it was queued.

        With ``ack``, that lease is finished in the same step (a request queued again: redirect, retry).
        Without ``fingerprint``, the request is queued whatever was seen.
        """
        keys = [self.keys.requests, self.keys.dupefilter, self.keys.inflight, self.keys.inflight_scores]
        return bool(self._push(keys=keys, args=[data, score, fingerprint, ack or ""]))

    def pop(self) -> tuple[str, bytes] | None:
        """Take the most urgent request under a new lease: ``(lease, data)``, or None when empty."""
        if not self.worker:
            raise ValueError("a frontier without a worker id cannot take requests")
        self._serial += 1
        lease = f"{self.worker}#{self._serial}"
        data = self._pop(
            keys=[self.keys.requests, self.keys.inflight, self.keys.inflight_scores], args=[lease]
        )
        if data is None:
            return None
        return lease, bytes(data)

    def ack(self, *leases: str) -> None:
        """The requests of ``leases`` are done."""
        if leases:
            pipe = self.server.pipeline(transaction=True)
            pipe.hdel(self.keys.inflight, *leases)
            pipe.hdel(self.keys.inflight_scores, *leases)
            pipe.execute()

    def requeue(self, leases: Iterable[str]) -> int:
        """Put the requests of ``leases`` back in the queue (a worker leaving with unfinished requests)."""
        count = 0
        for lease in leases:
            data = self.server.hget(self.keys.inflight, lease)
            if data is None:
                continue
            score = float(self.server.hget(self.keys.inflight_scores, lease) or 0)
            self.push(bytes(data), score, ack=lease)
            count += 1
        return count

    def reclaim(self) -> int:
        """Put back the leases of workers that are no longer alive; return how many."""
        keys = [self.keys.requests, self.keys.inflight, self.keys.inflight_scores, WORKERS_KEY]
        count = int(self._reclaim(keys=keys))
        if count:
            logger.info("Took back %d request(s) of stopped workers of %s", count, self.site)
        return count

    # --- rounds ---------------------------------------------------------------------------------
    def start_round(
        self, round_id: str, seeds: Iterable[SeedRequest], *, spider: str, now: str
    ) -> tuple[bool, str]:
        """Begin round ``round_id`` with ``seeds``, unless a round is under way: ``(started, round)``."""
        seeds = list(seeds)
        args: list[object] = [self.site, spider, round_id, now, len(seeds)]
        for seed in seeds:
            args += [seed.score, seed.data, seed.fingerprint]
        keys = [
            self.keys.requests,
            self.keys.dupefilter,
            self.keys.inflight,
            self.keys.crawl,
            ITEMS_KEY,
            SITES_KEY,
        ]
        started, current = self._start(keys=keys, args=args)
        return bool(started), _text(current)

    def finish_round(self, now: str) -> int:
        """End the round when nothing is queued or in flight: 0 not done, 1 ended now, 2 already ended."""
        keys = [self.keys.requests, self.keys.inflight, self.keys.crawl, ITEMS_KEY]
        return int(self._finish(keys=keys, args=[self.site, now, self.worker]))

    def current_round(self) -> dict[str, str]:
        """The hash of the current round (empty before the first one)."""
        return {_text(k): _text(v) for k, v in self.server.hgetall(self.keys.crawl).items()}

    # --- sizes ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.server.zcard(self.keys.requests))

    def in_flight(self) -> int:
        return int(self.server.hlen(self.keys.inflight))

    def seen(self) -> int:
        return int(self.server.scard(self.keys.dupefilter))


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)
