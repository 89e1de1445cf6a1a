"""URL cleaning: one canonical form per article, so each is fetched and stored once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

#: Query parameters that only track where a reader came from.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|igshid|yclid|ref_src|share|amp)$", re.I
)


def clean_url(url: str) -> str:
    """Drop the fragment and tracking parameters, then canonicalise (w3lib).

    >>> clean_url("http://Example.com/a/?utm_source=x&b=2&a=1#comments")
    'http://example.com/a/?a=1&b=2'
    """
    parts = urlsplit(url)
    if parts.query:
        keep = [name for name in _query_names(parts.query) if not TRACKING_PARAMS.match(name)]
        url = url_query_cleaner(url, keep, keep_fragments=False) if keep else url.split("?", 1)[0]
    return canonicalize_url(url, keep_fragments=False)


def _query_names(query: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in query.split("&") if pair]


def host_of(url: str) -> str:
    """The lower-cased host name of ``url`` without a ``www.`` prefix."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
