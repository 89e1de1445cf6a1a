"""Replay saved sites over HTTP on 127.0.0.1, so crawls run against them with no network.

See :class:`ReplayServer` (background thread, for tests and crawls) and :func:`serve_forever`
(foreground, for ``python -m crawler.replay DIR``).
"""

from __future__ import annotations

from crawler.replay.messages import ReplayRequest, ReplayResponse
from crawler.replay.requestlog import RequestRecord
from crawler.replay.server import ReplayServer, serve_forever
from crawler.replay.sites import ReplayError

__all__ = [
    "ReplayError",
    "ReplayRequest",
    "ReplayResponse",
    "ReplayServer",
    "RequestRecord",
    "serve_forever",
]
