"""Which workers are alive: heartbeats in a Redis sorted set scored by "alive until" (server time).

A worker that stops sending heartbeats (killed, machine lost, network cut) is considered stopped once
its ``timeout`` has passed, and the requests it held go back to the queue
(:meth:`crawler.distributed.frontier.Frontier.reclaim`). Times come from the Redis server's clock, so the
machines' clocks need not agree.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.ingest import server_time
from crawler.distributed.keys import WORKERS_INFO_KEY, WORKERS_KEY

if TYPE_CHECKING:
    import redis

#: KEYS: workers, info. ARGV: worker id, timeout, info JSON. Returns the server time as a string.
HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return tostring(now)
"""


#: Workers that are gone still listed by ``newsarchive status`` (the most recently started ones).
KEEP_GONE = 100


def default_worker_id() -> str:
    """``<host>-<pid>``, reduced to letters, digits, ``.``, ``_`` and ``-`` (it names WARC files too)."""
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname()).strip("-") or "worker"
    return f"{host}-{os.getpid()}"


def check_worker_id(worker_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", worker_id):
        raise ValueError(f"invalid worker id {worker_id!r}: use letters, digits, '.', '_' and '-'")
    return worker_id


class WorkerRegistry:
    """Heartbeats of one worker, and the list of all workers seen."""

    def __init__(self, server: redis.Redis, worker_id: str, timeout: float) -> None:
        self.server = server
        self.worker_id = check_worker_id(worker_id)
        self.timeout = timeout
        self._heartbeat = server.register_script(HEARTBEAT)

    def beat(self, info: dict[str, Any]) -> float:
        """Mark the worker alive for ``timeout`` seconds; ``info`` describes it. Returns the server time."""
        data = json.dumps({**info, "timeout": self.timeout}, default=str)
        now = self._heartbeat(keys=[WORKERS_KEY, WORKERS_INFO_KEY], args=[self.worker_id, self.timeout, data])
        return float(now)

    def leave(self, info: dict[str, Any]) -> None:
        """The worker stops: no longer alive, its description kept with its final state."""
        pipe = self.server.pipeline(transaction=True)
        pipe.zrem(WORKERS_KEY, self.worker_id)
        pipe.hset(
            WORKERS_INFO_KEY, self.worker_id, json.dumps({**info, "timeout": self.timeout}, default=str)
        )
        pipe.execute()
        forget_old_workers(self.server)


def forget_old_workers(server: redis.Redis, keep: int = KEEP_GONE) -> int:
    """Drop the descriptions of all but the ``keep`` most recently started workers that are gone."""
    gone = [w for w in list_workers(server) if not w.alive]
    if len(gone) <= keep:
        return 0
    gone.sort(key=lambda w: str(w.info.get("started", "")), reverse=True)
    old = [w.worker_id for w in gone[keep:]]
    server.hdel(WORKERS_INFO_KEY, *old)
    return len(old)


@dataclass
class WorkerInfo:
    """A worker as :func:`list_workers` reports it."""

    worker_id: str
    alive: bool
    #: Seconds since its last heartbeat (None for a worker that left).
    last_seen: float | None
    info: dict[str, Any]


def list_workers(server: redis.Redis) -> list[WorkerInfo]:
    """Every worker seen, alive ones first, then by id."""
    now = server_time(server)
    alive_until = {_text(k): float(v) for k, v in server.zrange(WORKERS_KEY, 0, -1, withscores=True)}
    workers = []
    for key, value in server.hgetall(WORKERS_INFO_KEY).items():
        worker_id = _text(key)
        try:
            info = json.loads(value)
        except ValueError:
            info = {}
        until = alive_until.get(worker_id)
        timeout = float(info.get("timeout") or 0)
        last_seen = None if until is None else max(0.0, now - (until - timeout))
        workers.append(WorkerInfo(worker_id, until is not None and until > now, last_seen, info))
    return sorted(workers, key=lambda w: (not w.alive, w.worker_id))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
