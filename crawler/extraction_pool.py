"""Parsing and extraction of pages in worker processes, beside the crawl process.

Turning a page into an article (parse, index, extract: :func:`crawler.chain.build_article`), reading a
listing page's links (:func:`crawler.chain.read_listing`) and cleaning an article's body
(:func:`crawler.cleaning.clean_article`, run by the boilerplate pipeline) are pure functions of the
page's bytes, the site profile or the raw article, and they are most of a crawl's CPU time.
:class:`ExtractionPool` runs them in ``NEWSARCHIVE_EXTRACT_PROCESSES`` worker processes
(:mod:`crawler.extraction_worker`), so that a crawl uses more than one core while the crawl process
downloads, captures and stores. With ``0`` processes (the default on a one-CPU machine), or outside an
asyncio event loop, the same functions run in the crawl process.

Each worker is a plain ``python -m crawler.extraction_worker`` child connected by a socket pair that
the crawl's event loop reads, so no thread of the crawl process is involved. Workers ignore Ctrl-C (the
crawl process stops them when its engine stops) and exit when the crawl process goes away, even by
``kill -9``. Their log records are handled by the crawl process's logging, like its own. A worker that
dies is replaced and the pages it held are extracted again once; a page that kills a worker twice is
reported as that page's error (:class:`WorkerLost`). When workers die before extracting anything, twice
in a row (they cannot start on this machine), the crawl goes on with extraction in its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from scrapy import signals

from crawler.extraction_worker import HEADER

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

T = TypeVar("T")
STATS = "newsarchive/extraction"
#: Socket buffer size: a few pages in flight without blocking either side.
SOCKET_BUFFER = 4 * 1024 * 1024
#: Seconds a worker gets to exit once told to stop, before it is killed.
STOP_TIMEOUT = 5.0
#: How a worker is started (followed by its socket's file descriptor and the log level).
WORKER_COMMAND = [sys.executable, "-m", "crawler.extraction_worker"]
_POOLS: WeakKeyDictionary[Any, ExtractionPool] = WeakKeyDictionary()
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class WorkerLost(RuntimeError):
    """An extraction process died while it held the page."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process (set as the exception's cause)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}\n"""'


def processes_setting(value: Any, cpus: int | None = None) -> int:
    """The number of worker processes ``NEWSARCHIVE_EXTRACT_PROCESSES`` asks for.

    ``"auto"`` (the default) is one per CPU beyond the first (none on a one-CPU machine); a whole
    number is taken as it is, ``0`` meaning no workers. Anything else raises ``ValueError``.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        if sys.platform == "win32":
            return 0  # workers inherit their socket by file descriptor: POSIX only
        return max(0, (cpus if cpus is not None else os.cpu_count() or 1) - 1)
    if isinstance(value, bool):
        number = -1
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        number = int(text) if text.isdigit() else -1
    if number < 0:
        raise ValueError(
            f"NEWSARCHIVE_EXTRACT_PROCESSES must be 'auto' or a whole number >= 0, not {value!r}"
        )
    return number


class ExtractionPool:
    """Run picklable module-level functions in worker processes (in this one with ``processes=0``)."""

    def __init__(self, processes: int, stats: Any = None) -> None:
        self.processes = processes
        self.stats = stats
        self._workers: list[_Worker] = []
        self._ids = itertools.count()
        self._starting: asyncio.Lock | None = None
        self._dead_on_arrival = 0
        self._closed = False

    @classmethod
    def of(cls, crawler: Crawler) -> ExtractionPool:
        """The pool of ``crawler`` (created on first use, closed when the engine stops)."""
        pool = _POOLS.get(crawler)
        if pool is None:
            processes = processes_setting(crawler.settings.get("NEWSARCHIVE_EXTRACT_PROCESSES", "auto"))
            pool = _POOLS[crawler] = cls(processes, _CrawlerStats(crawler))
            crawler.signals.connect(pool.close, signal=signals.engine_stopped)
        return pool

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)``, in a worker process when there are any."""
        if self.processes == 0 or self._closed or not _asyncio_running():
            return function(*args, **kwargs)
        task = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        for attempt in (1, 2):
            if self.processes == 0:  # workers could not be kept alive: see _on_lost
                break
            worker = await self._pick()
            if worker is None:  # the workers were given up while this page waited for one
                break
            try:
                return await worker.submit(next(self._ids), task)
            except WorkerLost:
                if attempt == 2 and self.processes:
                    raise
        return function(*args, **kwargs)

    async def _pick(self) -> _Worker | None:
        if len(self._workers) < self.processes or not all(w.alive for w in self._workers):
            if self._starting is None:
                self._starting = asyncio.Lock()
            async with self._starting:  # pages arriving while a worker starts wait for that one
                self._workers = [w for w in self._workers if w.alive]
                while len(self._workers) < self.processes:
                    self._workers.append(await _Worker.start(self))
        if not self._workers:
            return None
        return min(self._workers, key=lambda w: len(w.pending))

    def _on_lost(self, worker: _Worker) -> None:
        """A worker died: its pages go to a new one; workers that die before answering anything twice
        in a row (they cannot start here) leave extraction to this process."""
        if self.stats is not None:
            self.stats.inc_value(f"{STATS}/worker_lost")
        self._dead_on_arrival = 0 if worker.answered else self._dead_on_arrival + 1
        code = worker.process.poll()
        if self._dead_on_arrival >= 2 and self.processes:
            logger.error(
                "Extraction processes exit before extracting anything (last exit code %(code)s); "
                "extracting in the crawl process from now on",
                {"code": code},
            )
            self.processes = 0
            return
        logger.error(
            "Extraction process %(pid)d died (exit code %(code)s); its pages go to a new one",
            {"pid": worker.process.pid, "code": code},
        )

    def close(self) -> None:
        """Stop the workers; pages still in them are not extracted."""
        self._closed = True
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


class _CrawlerStats:
    """The crawler's stats, looked up when a count is made (they exist only once the crawl runs)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    def inc_value(self, key: str, count: int = 1) -> None:
        try:
            stats = self.crawler.stats
        except RuntimeError:
            return
        if stats is not None:
            stats.inc_value(key, count)


class _Worker:
    """One ``crawler.extraction_worker`` process and its end of the socket pair."""

    def __init__(
        self,
        pool: ExtractionPool,
        process: subprocess.Popen[bytes],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sock: socket.socket,
    ) -> None:
        self.pool = pool
        self.sock = sock
        self.process = process
        self.reader = reader
        self.writer = writer
        self.pending: dict[int, asyncio.Future[Any]] = {}
        #: Tasks answered so far.
        self.answered = 0
        self.alive = True
        self.stopping = False
        self.listener = asyncio.ensure_future(self._listen())

    @classmethod
    async def start(cls, pool: ExtractionPool) -> _Worker:
        ours, theirs = socket.socketpair()
        for sock in (ours, theirs):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        level = _forwarded_level()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
        }
        try:
            process = subprocess.Popen(
                [*WORKER_COMMAND, str(theirs.fileno()), str(level)],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours, limit=SOCKET_BUFFER)
        logger.debug("Started extraction process %d", process.pid)
        return cls(pool, process, reader, writer, ours)

    def submit(self, task_id: int, task: bytes) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if not self.alive:
            future.set_exception(WorkerLost("the extraction process is gone"))
            return future
        self.pending[task_id] = future
        frame = pickle.dumps(task_id, protocol=pickle.HIGHEST_PROTOCOL)
        # (task_id, function, args, kwargs) without pickling the page twice: the worker reads a
        # frame holding the id and the already pickled task.
        self.writer.write(HEADER.pack(len(frame) + len(task)) + frame + task)
        return future

    async def _listen(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(HEADER.size)
                (size,) = HEADER.unpack(header)
                self._handle(pickle.loads(await self.reader.readexactly(size)))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self._lost()

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "log":
            record = logging.makeLogRecord(message[1])
            target = logging.getLogger(record.name)
            if target.isEnabledFor(record.levelno):
                target.handle(record)
            return
        self.answered += 1
        future = self.pending.pop(message[1], None)
        if future is None or future.done():
            return
        if kind == "result":
            future.set_result(message[2])
        else:
            exc: BaseException = message[2]
            exc.__cause__ = RemoteTraceback(message[3])
            future.set_exception(exc)

    def _lost(self) -> None:
        self.alive = False
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)  # its socket is closed: it has exited or is exiting
        if not self.stopping:
            self.pool._on_lost(self)
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerLost("the extraction process died while it held the page"))

    def stop(self) -> None:
        self.alive = False
        self.stopping = True
        self.listener.cancel()
        with contextlib.suppress(Exception):
            self.writer.close()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the worker sees the end even if the loop is gone
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _forwarded_level() -> int:
    """The lowest level a record needs for this process to show it: what workers send back.

    Scrapy leaves the root logger at ``NOTSET`` and sets ``LOG_LEVEL`` on its handler; a worker that
    sent every debug record would spend its time logging.
    """
    root = logging.getLogger()
    floor = min((handler.level for handler in root.handlers), default=logging.WARNING)
    return max(root.getEffectiveLevel(), floor)


def _asyncio_running() -> bool:
    """Whether an asyncio loop runs (Scrapy's asyncio reactor); without one, work stays in-process."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
