"""The request log of the replay server: every request, in memory and optionally as JSON lines."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered."""

    method: str
    #: Absolute URL: scheme, host, path and query (for CONNECT: ``https://host:port``).
    url: str
    host: str
    #: URL path as requested (percent-encoded), without the query string.
    path: str
    query: str
    status: int
    #: Request headers.
    headers: dict[str, str] = field(default_factory=dict)
    #: When the request was answered (seconds since the epoch).
    time: float = 0.0

    def to_json(self) -> str:
        """The record as one line of JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


class RequestLog:
    """A thread-safe list of :class:`RequestRecord`, also appended to ``log_path`` if given."""

    def __init__(self, log_path: str | Path | None = None) -> None:
        self.log_path = Path(log_path) if log_path is not None else None
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        """Record ``record`` (and append it to the log file)."""
        with self._lock:
            self._records.append(record)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log_file:
                    log_file.write(record.to_json() + "\n")

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the records so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget the records kept in memory (the log file is kept)."""
        with self._lock:
            self._records.clear()
