"""Saved pages with their expected extraction: record them, replay them offline, review the differences.

Layout (one folder per site, three files per page)::

    fixtures/pages/<site>/<name>.html           the page exactly as fetched
    fixtures/pages/<site>/<name>.meta.json      its URL, final URL, fetch time, status, content type, source
    fixtures/pages/<site>/<name>.expected.json  the expected extraction, reviewed by a person

``newsarchive fixture record URL...`` writes them (the expected output is the current extraction, to
be reviewed); ``newsarchive fixture check`` re-extracts every saved page offline with "now" frozen
to its fetch time and reports every field that differs; ``--update`` rewrites the expected files.
"""

from __future__ import annotations

from crawler.pagefixtures.check import CheckReport, FieldDiff, check_fixtures, diff_fields
from crawler.pagefixtures.record import record_from_archive, record_urls
from crawler.pagefixtures.store import FIXTURE_FIELDS, PageFixture, default_root, load_fixtures

__all__ = [
    "FIXTURE_FIELDS",
    "CheckReport",
    "FieldDiff",
    "PageFixture",
    "check_fixtures",
    "default_root",
    "diff_fields",
    "load_fixtures",
    "record_from_archive",
    "record_urls",
]
