"""Fault injection for the replay server: a saved site that misbehaves like a real one on a bad day.

A :class:`FaultInjector` installed on a :class:`~crawler.replay.ReplayServer` (a response hook) turns a
share of the answers (``rate``) into faults, chosen among ``kinds``:

===============  ===============================================================================
kind             what the client gets
===============  ===============================================================================
``500``          500 Internal Server Error
``503``          503 Service Unavailable with ``Retry-After``
``429``          429 Too Many Requests with ``Retry-After``
``slow``         the right answer, after ``delay`` seconds
``reset``        the connection closed (TCP reset) before any answer
``truncated``    the right status and ``Content-Length``, then half the body and a closed connection
``wrong_type``   the right body with ``Content-Type: image/jpeg``
``redirect_loop`` a 302 to the same page with a counter, again and again
``gzip_bomb``    ``Content-Encoding: gzip`` over ``bomb_size`` bytes of zeros
===============  ===============================================================================

Which request gets which fault is decided by ``seed``, the URL and how many times the URL was asked
for, so a run is repeatable and a retried request is decided anew. ``/robots.txt`` never gets a fault;
``disallow`` adds ``Disallow:`` lines for these paths to it instead (a robots.txt that forbids a
section).

A specification is written ``rate=0.2,seed=7,kinds=500+503+429,delay=0.5,retry_after=1,
disallow=/category/culture/`` (every key optional; ``kinds=all`` is the default).
"""

from __future__ import annotations

import gzip
import logging
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from crawler.replay.messages import (
    GZIP_LEVEL,
    ReplayResponse,
    error_response,
    etag,
    redirect_response,
    text_response,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.replay.messages import ReplayRequest
    from crawler.replay.server import ReplayServer
    from crawler.replay.transport import ReplayHandler

logger = logging.getLogger(__name__)

KINDS = ("500", "503", "429", "slow", "reset", "truncated", "wrong_type", "redirect_loop", "gzip_bomb")
LOOP_PARAM = "newsarchive_fault_loop"
EXEMPT = ("/robots.txt",)
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class FaultSpec:
    """What to inject (see the module docstring)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    seed: int = 0
    #: Seconds a ``slow`` answer waits.
    delay: float = 2.0
    #: Seconds ``Retry-After`` asks for (429 and 503).
    retry_after: int = 1
    #: Decompressed size of a ``gzip_bomb``.
    bomb_size: int = 64 * 1024**2
    #: Paths robots.txt disallows.
    disallow: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Read ``key=value,key=value``; ``ValueError`` naming the bad part otherwise."""
        values: dict[str, object] = {}
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                raise ValueError(f"bad fault setting {part!r}: expected KEY=VALUE")
            try:
                values.update(_setting(key, value))
            except ValueError as error:
                raise ValueError(f"bad fault setting {part!r}: {error}") from None
        spec = cls(**values)  # type: ignore[arg-type]
        if not 0 <= spec.rate <= 1:
            raise ValueError(f"fault rate must be between 0 and 1, got {spec.rate}")
        return spec

    def describe(self) -> str:
        parts = [f"rate={self.rate:g}", f"seed={self.seed}", "kinds=" + "+".join(self.kinds)]
        if "slow" in self.kinds:
            parts.append(f"delay={self.delay:g}")
        if self.disallow:
            parts.append("disallow=" + "+".join(self.disallow))
        return ",".join(parts)


def _setting(key: str, value: str) -> dict[str, object]:
    if key == "rate":
        return {"rate": float(value)}
    if key == "seed":
        return {"seed": int(value)}
    if key == "delay":
        return {"delay": float(value)}
    if key == "retry_after":
        return {"retry_after": int(value)}
    if key in ("bomb", "bomb_size"):
        number, unit = value.rstrip("kmgKMG"), value[len(value.rstrip("kmgKMG")) :].lower()
        return {"bomb_size": int(number) * SIZE_UNITS[unit]}
    if key == "kinds":
        kinds = KINDS if value == "all" else tuple(k.strip() for k in value.split("+") if k.strip())
        unknown = [k for k in kinds if k not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"unknown kind(s) {', '.join(unknown) or '(none)'} (known: {', '.join(KINDS)})")
        return {"kinds": kinds}
    if key == "disallow":
        paths = tuple(p.strip() for p in value.split("+") if p.strip())
        if not all(p.startswith("/") for p in paths):
            raise ValueError("disallowed paths start with /")
        return {"disallow": paths}
    raise ValueError("unknown key (known: rate, seed, kinds, delay, retry_after, bomb, disallow)")


@dataclass
class FaultResponse(ReplayResponse):
    """A response that delivers itself: late, or not at all, or cut short."""

    delay: float = 0.0
    #: ``""`` (deliver normally), ``"reset"`` or ``"truncate"``.
    action: str = ""
    fault: str = field(default="")

    def deliver(
        self,
        handler: ReplayHandler,
        request: ReplayRequest,
        send: Callable[[ReplayRequest, ReplayResponse], None],
    ) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.action == "reset":
            _reset(handler)
        elif self.action == "truncate":
            _truncate(handler, self)
        else:
            send(request, self)


def _reset(handler: ReplayHandler) -> None:
    """Close the connection with a TCP reset, sending nothing."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        logger.debug("Connection already gone")


def _truncate(handler: ReplayHandler, response: ReplayResponse) -> None:
    """Send the status, the headers with the full Content-Length, then half the body; close."""
    handler.close_connection = True
    handler.send_response(response.status)
    for name, value in response.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(response.body)))
    handler.end_headers()
    handler.wfile.write(response.body[: len(response.body) // 2])
    handler.wfile.flush()


class FaultInjector:
    """Turn a share of a replay server's answers into faults (see :class:`FaultSpec`)."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._bomb: bytes | None = None
        #: ``(url, kind)`` of every fault injected, in order.
        self.injected: list[tuple[str, str]] = []

    def install(self, server: ReplayServer) -> FaultInjector:
        """Pass every answer of ``server`` through :meth:`hook`."""
        server.add_response_hook(self.hook)
        logger.info("Injecting faults: %s", self.spec.describe())
        return self

    def decide(self, url: str) -> str | None:
        """The fault for this request of ``url`` (None: none), from the seed, the URL and its attempt."""
        with self._lock:
            attempt = self._attempts[url]
            self._attempts[url] += 1
        rng = random.Random(f"{self.spec.seed}\0{url}\0{attempt}")
        if rng.random() >= self.spec.rate:
            return None
        return rng.choice(self.spec.kinds)

    def hook(self, request: ReplayRequest, response: ReplayResponse) -> ReplayResponse | None:
        """The response hook: rewrite robots.txt, keep redirect loops going, inject faults."""
        if request.path in EXEMPT:
            return self._robots(response) if request.path == "/robots.txt" and self.spec.disallow else None
        loop = _loop_count(request.query)
        if loop is not None:
            return redirect_response(_loop_url(request, loop + 1), 302)
        kind = self.decide(request.url)
        if kind is None:
            return None
        with self._lock:
            self.injected.append((request.url, kind))
        logger.debug("Fault %s for %s", kind, request.url)
        return self._fault(kind, request, response)

    def _fault(self, kind: str, request: ReplayRequest, response: ReplayResponse) -> ReplayResponse:
        spec = self.spec
        if kind in ("500", "503"):
            fault = error_response(int(kind))
            if kind == "503":
                fault.headers["Retry-After"] = str(spec.retry_after)
            return fault
        if kind == "429":
            return text_response(429, "Too Many Requests\n", **{"Retry-After": str(spec.retry_after)})
        if kind == "slow":
            return _as_fault(response, delay=spec.delay, fault=kind)
        if kind == "reset":
            return FaultResponse(0, {}, b"", action="reset", fault=kind)
        if kind == "truncated":
            if not response.body:
                return FaultResponse(0, {}, b"", action="reset", fault=kind)
            return _as_fault(response, action="truncate", fault=kind)
        if kind == "wrong_type":
            return replace(response, headers={**response.headers, "Content-Type": "image/jpeg"})
        if kind == "redirect_loop":
            return redirect_response(_loop_url(request, 1), 302)
        headers = {"Content-Type": "text/html; charset=UTF-8", "Content-Encoding": "gzip"}
        return ReplayResponse(200, headers, self._gzip_bomb())

    def _gzip_bomb(self) -> bytes:
        with self._lock:
            if self._bomb is None:
                self._bomb = gzip.compress(b"\0" * self.spec.bomb_size, compresslevel=9, mtime=0)
            return self._bomb

    def _robots(self, response: ReplayResponse) -> ReplayResponse:
        if response.status != 200:
            return response
        gzipped = response.headers.get("Content-Encoding") == "gzip"
        text = (gzip.decompress(response.body) if gzipped else response.body).decode("utf-8")
        rules = "".join(f"Disallow: {path}\n" for path in self.spec.disallow)
        lines = text.splitlines(keepends=True)
        index = next(
            (i + 1 for i, line in enumerate(lines) if line.lower().startswith("user-agent: *")), None
        )
        text = (
            "".join(lines[:index] + [rules] + lines[index:]) if index else f"User-agent: *\n{rules}\n{text}"
        )
        body = text.encode("utf-8")
        headers = {**response.headers, "ETag": etag(body)}
        if gzipped:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        return replace(response, headers=headers, body=body)


def _as_fault(response: ReplayResponse, **changes: object) -> FaultResponse:
    return FaultResponse(response.status, dict(response.headers), response.body, **changes)  # type: ignore[arg-type]


def _loop_count(query: str) -> int | None:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == LOOP_PARAM and value.isdigit():
            return int(value)
    return None


def _loop_url(request: ReplayRequest, count: int) -> str:
    kept = [p for p in request.query.split("&") if p and not p.startswith(LOOP_PARAM + "=")]
    query = "&".join([*kept, f"{LOOP_PARAM}={count}"])
    return request.absolute(f"{request.path}?{query}")
