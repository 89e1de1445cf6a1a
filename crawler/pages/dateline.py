"""The dateline that opens an article body: ``Mexico City, 6 October 2021 (TDI): …``.

Two forms are recognised: ``<place>, <D Month YYYY> (<AGENCY>):`` and
``<place>: <Month D, YYYY> (<AGENCY>):`` where the place may itself contain commas
(``Islamabad, Kabul: July 19, 2021 (TDI):``).
"""

from __future__ import annotations

import functools
import logging
import re

from crawler.pages.dom import collapse

logger = logging.getLogger(__name__)

#: Any short all-caps agency tag: ``TDI``, ``APP``, ``AFP``, ``PR``.
ANY_AGENCY = r"[A-Z][A-Z0-9&./\- ]{0,15}"
_MONTH = r"[A-Z][a-z]{2,9}\.?"
_DATE = (
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s*,?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
)
_TEMPLATE = r"^\s*(?P<place>[^:()\n]{{2,80}}?)[,:]\s*(?P<date>{date})\s*\(\s*(?:{agency})\s*\)\s*[:\-–—]"


@functools.lru_cache(maxsize=16)
def dateline_pattern(agency: str | None = None) -> re.Pattern[str]:
    """The compiled dateline pattern for the agency tag ``agency`` (any short all-caps tag if ``None``)."""
    tag = re.escape(agency) if agency else ANY_AGENCY
    return re.compile(_TEMPLATE.format(date=_DATE, agency=tag))


def parse_dateline(text: str | None, agency: str | None = None) -> tuple[str, str] | None:
    """``(place, date)`` of the dateline opening ``text``, or ``None`` when it has none.

    >>> parse_dateline("Islamabad, Kabul: July 19, 2021 (TDI): Talks were held")
    ('Islamabad, Kabul', 'July 19, 2021')
    """
    if not text:
        return None
    match = dateline_pattern(agency).match(text)
    if not match:
        return None
    place = collapse(match.group("place")).rstrip(",")
    date = collapse(match.group("date"))
    return (place, date) if place and date else None
