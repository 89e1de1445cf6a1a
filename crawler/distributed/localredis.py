"""A private ``redis-server`` on 127.0.0.1 for tests, benchmarks and trying the distributed mode.

:class:`LocalRedis` starts Debian's (or any) ``redis-server`` binary on a free loopback port, without
persistence by default (``--save "" --appendonly no``) or with an append-only file synced on every
write (``persistent=True``), and stops it on exit. It can be killed and started again on the same port
and data directory, to simulate a Redis restart.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    import redis

SERVER = "redis-server"


class RedisNotInstalledError(RuntimeError):
    """No ``redis-server`` binary on the PATH."""


def redis_server_path() -> str | None:
    """Path of the ``redis-server`` binary, or None when it is not installed."""
    return shutil.which(SERVER)


def skip_reason() -> str | None:
    """Why distributed crawling cannot be tried here (for skipping tests), or None when it can."""
    missing = [name for name in ("redis", "scrapy_redis") if importlib.util.find_spec(name) is None]
    if missing:
        return f"{', '.join(missing)} not installed (pip install -e '.[distributed]')"
    if redis_server_path() is None:
        return "redis-server is not installed (Debian: apt-get install redis-server)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRedis:
    """``redis-server`` on ``127.0.0.1:port`` in a data directory of its own; use it as a context manager."""

    def __init__(self, *, persistent: bool = False, directory: str | Path | None = None) -> None:
        binary = redis_server_path()
        if binary is None:
            raise RedisNotInstalledError(
                "redis-server is not installed (Debian: apt-get install redis-server)"
            )
        self.binary = binary
        self.persistent = persistent
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="newsarchive-redis-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)

    def start(self, timeout: float = 10.0) -> LocalRedis:
        args = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory)]
        args += ["--save", "", "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"]
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL): what was not written to disk is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 seconds)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def used_memory(self) -> int:
        """Bytes of memory the server uses for data (``INFO memory`` ``used_memory``)."""
        return int(self.client().info("memory")["used_memory"])

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
