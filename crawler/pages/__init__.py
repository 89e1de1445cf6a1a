"""Page modules: pure functions turning a fetched page into raw item fields or links to follow.

``crawler.pages.newspaper`` handles WordPress sites on the tagDiv Newspaper theme. Page modules
import no Scrapy code; they work on HTML text or bytes with lxml.
"""

from __future__ import annotations
