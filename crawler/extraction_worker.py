"""A worker process of :class:`crawler.extraction_pool.ExtractionPool`.

``python -m crawler.extraction_worker FD LEVEL`` reads tasks from the socket ``FD`` (inherited from
the crawl process), runs them and writes back their results. Frames are a 4-byte big-endian length and
a pickle. The crawl process sends a task id and ``(function, args, kwargs)`` (two pickles in one
frame); the worker answers ``("result", task_id, value)`` or
``("error", task_id, exception, traceback_text)``, and sends its log records as
``("log", record_attributes)``. It ignores Ctrl-C (the crawl process stops it) and exits
when the crawl process closes the socket or dies.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import signal
import socket
import struct
import sys
import traceback
from typing import Any

HEADER = struct.Struct("!I")


def send_frame(sock: socket.socket, message: Any) -> None:
    """Write ``message`` as one frame."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(data)) + data)


def read_frame(stream: Any) -> bytes | None:
    """The next frame's bytes from the binary file ``stream``, or ``None`` at the end of the stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


class _SocketLogHandler(logging.Handler):
    """Send log records to the crawl process, their message already formatted."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock

    def emit(self, record: logging.LogRecord) -> None:
        try:
            attributes = dict(record.__dict__)
            attributes["msg"] = record.getMessage()
            attributes["args"] = None
            if record.exc_info:
                attributes["exc_text"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            attributes["exc_info"] = None
            send_frame(self.sock, ("log", attributes))
        except Exception:  # pragma: no cover - logging must never break extraction
            self.handleError(record)


def _error(task_id: int, exc: BaseException) -> tuple[str, int, BaseException, str]:
    text = "".join(traceback.format_exception(exc)).rstrip()
    try:
        pickle.dumps(exc)
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return ("error", task_id, exc, text)


def serve(sock: socket.socket) -> None:
    """Answer tasks until the crawl process closes its end."""
    stream = sock.makefile("rb")
    while True:
        frame = read_frame(stream)
        if frame is None:
            return
        unpickler = io.BytesIO(frame)
        task_id = pickle.load(unpickler)  # the id, then the task pickled once by the crawl process
        try:
            function, args, kwargs = pickle.load(unpickler)
            answer: tuple[Any, ...] = ("result", task_id, function(*args, **kwargs))
        except Exception as exc:
            answer = _error(task_id, exc)
        try:
            send_frame(sock, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            send_frame(sock, _error(task_id, exc))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m crawler.extraction_worker FD LEVEL", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=int(args[0]))
    root = logging.getLogger()
    root.handlers[:] = [_SocketLogHandler(sock)]
    root.setLevel(int(args[1]))
    import crawler.chain  # noqa: F401  (the page modules, loaded before the first page arrives)

    try:
        serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    logging.shutdown()
    os._exit(0)  # nothing to tear down: skip freeing every object at interpreter exit


if __name__ == "__main__":
    sys.exit(main())
