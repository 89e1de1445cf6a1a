"""Errors raised by the archive package.

Every error is an :class:`ArchiveError` whose message is one line, suitable for printing as is.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """A problem with the archive file or with a request made to it."""


class ArchiveNotFoundError(ArchiveError):
    """The archive file does not exist and may not be created."""


class NotAnArchiveError(ArchiveError):
    """The file is not SQLite, or is a SQLite database that is not a newsarchive archive."""


class SchemaTooNewError(ArchiveError):
    """The archive was written by a newer version with migrations this code does not know."""


class SearchQueryError(ArchiveError):
    """A full-text query that SQLite FTS5 cannot parse."""
