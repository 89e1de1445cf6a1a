"""Politeness across workers: per-domain request slots and delays kept in Redis.

Scrapy's own ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` hold per process: with N workers
a site would see N times the requests. :class:`DomainSlots` applies the same two limits to all workers
together: at most ``concurrency`` requests to a host in flight across every worker, and start times at
least ``delay`` seconds apart. A request first *acquires* a slot: the answer is either "not now" (all
slots taken: ask again shortly) or a granted slot with a reserved start time (wait until then); the
slot is released when the response (or the error) arrives, and freed as soon as its worker is no
longer alive (or after ``ttl`` seconds). Holders are ``<worker id>#<n>``. Times come from the Redis
server's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.distributed.keys import WORKERS_KEY, slot_keys

if TYPE_CHECKING:
    import redis

#: KEYS: holders, next, workers. ARGV: holder, delay, concurrency, ttl. Returns {granted, seconds to wait}.
#: Slots of holders past their ttl, or of workers no longer alive, are freed first.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, holder in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local alive_until = redis.call('ZSCORE', KEYS[3], string.match(holder, '^(.+)#%d+$') or holder)
  if (not alive_until) or tonumber(alive_until) < now then redis.call('ZREM', KEYS[1], holder) end
end
local concurrency = tonumber(ARGV[3])
if concurrency > 0 and redis.call('ZCARD', KEYS[1]) >= concurrency then
  return {0, '0'}
end
local delay = tonumber(ARGV[2])
local start = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
local ttl = tonumber(ARGV[4])
if delay > 0 then
  redis.call('SET', KEYS[2], tostring(start + delay), 'PX', math.floor((start + delay - now + ttl) * 1000))
end
redis.call('ZADD', KEYS[1], start + ttl, ARGV[1])
return {1, tostring(start - now)}
"""


@dataclass(frozen=True)
class Grant:
    """The answer to :meth:`DomainSlots.acquire`."""

    granted: bool
    #: Seconds to wait before starting the request (granted), 0 otherwise.
    wait: float


class DomainSlots:
    """Per-host slots shared by all workers: ``concurrency`` at once (0: no limit), ``delay`` apart."""

    def __init__(self, server: redis.Redis, *, concurrency: int, delay: float, ttl: float = 240.0) -> None:
        self.server = server
        self.concurrency = max(0, int(concurrency))
        self.delay = max(0.0, float(delay))
        self.ttl = ttl
        self._acquire = server.register_script(ACQUIRE)

    def acquire(self, host: str, holder: str) -> Grant:
        """Ask for a slot of ``host`` for ``holder`` (``<worker id>#<n>``, unique per request)."""
        granted, wait = self._acquire(
            keys=[*slot_keys(host), WORKERS_KEY], args=[holder, self.delay, self.concurrency, self.ttl]
        )
        return Grant(bool(granted), max(0.0, float(wait)))

    def release(self, host: str, holder: str) -> None:
        self.server.zrem(slot_keys(host)[0], holder)

    def in_use(self, host: str) -> int:
        return int(self.server.zcard(slot_keys(host)[0]))
