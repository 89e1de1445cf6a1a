"""Redis clients of the distributed mode: retrying through short outages, URLs shown without passwords."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

#: Retries of a command when Redis cannot be reached; with the backoff (50 ms doubling up to 1 s) a
#: command keeps trying for about a minute, long enough for Redis to be restarted.
RETRIES = 64
SOCKET_TIMEOUT = 30.0


def redis_client(url: str, *, retries: int = RETRIES) -> redis.Redis:
    """A client for ``url`` (``redis://HOST:PORT/DB``) that retries on connection errors and timeouts.

    Responses are bytes: the frontier holds pickled requests.
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=10.0,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=30,
    )


def check_connection(url: str) -> redis.Redis:
    """A client for ``url`` after a successful PING; :class:`redis.RedisError` when it cannot connect."""
    client = redis_client(url, retries=2)
    client.ping()
    return redis_client(url)


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
