"""Storage and queries for the newsarchive SQLite file.

The archive is one SQLite database whose schema is created and upgraded by the migrations in
:mod:`archive.migrations`. :func:`open_archive` opens (and creates or upgrades) it;
:mod:`archive.store` writes crawls and articles; :mod:`archive.queries` reads them back.

This package depends only on ``sqlite-utils`` (it never imports Scrapy).
"""

from __future__ import annotations

from archive.db import open_archive
from archive.errors import ArchiveError

__all__ = ["ArchiveError", "open_archive"]
