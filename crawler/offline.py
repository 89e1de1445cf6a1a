"""Public Suffix List without network: every tldextract use reads the snapshot bundled with tldextract.

Scrapy's cookies middleware builds a ``tldextract.TLDExtract`` when it is imported; on first use
that extractor downloads the Public Suffix List (and, offline, logs tracebacks while it retries).
An extractor built with ``suffix_list_urls=()`` has no URL to fetch and falls back to the snapshot
shipped inside the tldextract package; ``cache_dir=None`` keeps it off the disk cache as well.
"""

from __future__ import annotations

import logging
import os

import tldextract.tldextract
from scrapy.downloadermiddlewares import cookies
from tldextract import TLDExtract

logger = logging.getLogger(__name__)

#: Read by tldextract when a ``TLDExtract`` is built without ``suffix_list_urls``; empty: no URL.
URLS_VARIABLE = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"


def use_bundled_suffix_list() -> None:
    """Make Scrapy's cookie domain check, ``tldextract.extract`` and new extractors use the snapshot.

    Idempotent: extractors that already use the snapshot are kept.
    """
    os.environ[URLS_VARIABLE] = ""
    if not is_offline(cookies._split_domain):
        cookies._split_domain = offline_extractor(include_psl_private_domains=True)
    default = tldextract.tldextract.TLD_EXTRACTOR
    if not is_offline(default):
        tldextract.tldextract.TLD_EXTRACTOR = offline_extractor(
            include_psl_private_domains=default.include_psl_private_domains
        )
    logger.debug("tldextract uses its bundled Public Suffix List snapshot")


def offline_extractor(include_psl_private_domains: bool = False) -> TLDExtract:
    """A ``TLDExtract`` that reads the bundled snapshot only (no download, no disk cache)."""
    return TLDExtract(
        cache_dir=None,
        suffix_list_urls=(),
        fallback_to_snapshot=True,
        include_psl_private_domains=include_psl_private_domains,
    )


def is_offline(extractor: TLDExtract) -> bool:
    """Whether ``extractor`` can never fetch the list (no URLs, falls back to the snapshot)."""
    return not extractor.suffix_list_urls and extractor.fallback_to_snapshot
