"""Date normalisation: raw date strings -> ISO 8601 in the site's timezone, with quality flags.

ISO 8601 and RFC 822 strings take a fast path (``datetime.fromisoformat``,
``email.utils.parsedate_tz``); anything else (printed dates, "2 hours ago", other languages) goes
to dateparser. Results carry the site's UTC offset at that instant (``zoneinfo``, so DST is right)
and seconds precision: ``2021-10-06T02:14:32+05:00``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parsedate_tz
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.data.languages_info import language_order
from dateparser.date import DateDataParser
from dateparser.timezone_parser import pop_tz_offset_from_string

if TYPE_CHECKING:
    from collections.abc import Sequence

    from crawler.items import Article

logger = logging.getLogger(__name__)

#: Longer strings are not dates (and would make dateparser slow).
_MAX_LENGTH = 120
#: A publication date later than the fetch time by more than this is flagged.
_FUTURE_TOLERANCE = timedelta(days=1)

_ISO_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$", re.I
)
_ISO_BASIC_OFFSET_RE = re.compile(r"([+-]\d{2})(\d{2})$")
_RFC822_RE = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_RFC822_ZONE_RE = re.compile(r"\s(?:[+-]\d{4}|UT|UTC|GMT|[ECMP][SD]T|[A-IK-Z])$", re.I)
_KNOWN_LANGUAGES = frozenset(language_order)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR_RE = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")

_ABSOLUTE_PARSERS = ["timestamp", "custom-formats", "absolute-time"]
_RELATIVE_PARSERS = ["relative-time"]


@dataclass
class ParsedDate:
    """The outcome of :func:`parse_date`."""

    #: ISO 8601 ``YYYY-MM-DDTHH:MM:SS+HH:MM`` in the site timezone, ``None`` when unparseable.
    value: str | None
    #: The raw string had no offset: the site timezone was assumed.
    tz_assumed: bool = False
    #: The raw string was relative ("2 hours ago", "yesterday").
    relative: bool = False


def parse_date(
    raw: str | None,
    *,
    timezone: str,
    relative_base: datetime | None = None,
    languages: Sequence[str] | None = None,
) -> ParsedDate:
    """Parse one raw date string; never raises.

    ``timezone`` (IANA name) is the site's timezone: the output offset, and the zone assumed for
    strings without one. ``relative_base`` (the fetch time; naive means UTC) resolves relative
    dates. ``languages`` (ISO 639-1 codes) narrows dateparser's language detection.
    """
    value = _parse_aware(raw, timezone=timezone, relative_base=relative_base, languages=languages)
    if value is None:
        return ParsedDate(None)
    when, tz_assumed, relative = value
    return ParsedDate(_format(when, _zone(timezone)), tz_assumed, relative)


def parse_dateline_date(raw: str | None, *, languages: Sequence[str] | None = None) -> str | None:
    """The date of a dateline as ``YYYY-MM-DD``: ``"6 October 2021"`` / ``"July 19, 2021"``.

    Only complete dates (day, month and year) are accepted; ``None`` otherwise.
    """
    value = _parse_aware(raw, timezone="UTC", relative_base=None, languages=languages, full_date=True)
    return value[0].date().isoformat() if value else None


def normalise_article_dates(article: Article, *, now: datetime | None = None) -> Article:
    """Fill ``published``, ``modified`` and ``dateline_date`` from the raw fields, and the date flags.

    Relative dates resolve against ``article.fetched_at`` (else ``now``, else the current time),
    which is also the reference for ``published_in_future``. An unparseable raw value keeps its raw
    field and gets a ``*_unparsed`` flag. The article is updated in place and returned.
    """
    tz = article.site_timezone or "UTC"
    reference = _reference_time(article.fetched_at, now)
    languages = _languages(article.language)
    published = _normalise_published(article, tz, reference, languages)
    modified = _normalise_modified(article, tz, reference, languages)
    if published is not None and published > reference + _FUTURE_TOLERANCE:
        _flag(article, "published_in_future")
    if published is not None and modified is not None and modified < published:
        _flag(article, "modified_before_published")
    if article.dateline_raw:
        article.dateline_date = parse_dateline_date(article.dateline_raw, languages=languages)
        if article.dateline_date is None:
            _flag(article, "dateline_unparsed")
    return article


# --- article fields -------------------------------------------------------------------------


def _normalise_published(
    article: Article, tz: str, reference: datetime, languages: list[str] | None
) -> datetime | None:
    candidates = [raw for raw in (article.published_raw, article.visible_date_raw) if raw and raw.strip()]
    if not candidates:
        if article.published is None:
            _flag(article, "published_missing")
        return _aware_iso(article.published)
    for raw in candidates:
        value = _parse_aware(raw, timezone=tz, relative_base=reference, languages=languages)
        if value is None:
            _flag(article, "published_unparsed")
            continue
        when, tz_assumed, relative = value
        article.published = _format(when, _zone(tz))
        if tz_assumed:
            _flag(article, "published_tz_assumed")
        if relative:
            _flag(article, "published_relative")
        return when
    return None


def _normalise_modified(
    article: Article, tz: str, reference: datetime, languages: list[str] | None
) -> datetime | None:
    raw = article.modified_raw
    if not raw or not raw.strip():
        return _aware_iso(article.modified)
    value = _parse_aware(raw, timezone=tz, relative_base=reference, languages=languages)
    if value is None:
        _flag(article, "modified_unparsed")
        return None
    when, tz_assumed, relative = value
    article.modified = _format(when, _zone(tz))
    if tz_assumed:
        _flag(article, "modified_tz_assumed")
    if relative:
        _flag(article, "modified_relative")
    return when


def _flag(article: Article, flag: str) -> None:
    if flag not in article.flags:
        article.flags.append(flag)


def _reference_time(fetched_at: str | None, now: datetime | None) -> datetime:
    fetched = _aware_iso(fetched_at)
    if fetched is not None:
        return fetched
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


def _aware_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string with an offset as an aware datetime (naive ones are taken as UTC)."""
    parsed = _iso(value.strip()) if value else None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _languages(language: str | None) -> list[str] | None:
    """``"en-US"`` -> ``["en"]``; other languages also try English (theme strings are English)."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-")[0].lower()
    if not primary.isalpha():
        return None
    return [primary] if primary == "en" else [primary, "en"]


# --- parsing --------------------------------------------------------------------------------


def _parse_aware(
    raw: str | None,
    *,
    timezone: str,
    relative_base: datetime | None,
    languages: Sequence[str] | None,
    full_date: bool = False,
) -> tuple[datetime, bool, bool] | None:
    """``(aware datetime, tz_assumed, relative)`` or ``None``.

    ``full_date``: only absolute dates with day, month and year are accepted (datelines).
    """
    text = " ".join((raw or "").split())
    if not text or len(text) > _MAX_LENGTH:
        return None
    zone = _zone(timezone)
    try:
        fast = _fast_path(text)
        if fast is not None:
            return (fast, False, False) if fast.tzinfo else (fast.replace(tzinfo=zone), True, False)
        return _dateparser(text, zone, relative_base, languages, full_date)
    except (ValueError, OverflowError, TypeError, LookupError, AttributeError) as exc:
        logger.debug("Unparseable date %r: %s", text, exc)
        return None


def _fast_path(text: str) -> datetime | None:
    """ISO 8601, RFC 822 or a plain English date; aware when the string has an offset."""
    if _ISO_RE.match(text):
        return _iso(text)
    if _RFC822_RE.match(text):
        return _rfc822(text)
    day = _english_date(text)
    return datetime.combine(day, time()) if day else None


def _iso(text: str) -> datetime | None:
    text = text.replace(",", ".")
    if text[-1:] in "Zz":
        text = text[:-1] + "+00:00"
    text = _ISO_BASIC_OFFSET_RE.sub(r"\1:\2", text) if "T" in text or " " in text else text
    try:
        return datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    parts = parsedate_tz(text)
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9]
    naive = datetime(year, month, day, hour, minute, second)
    if offset is None or not _RFC822_ZONE_RE.search(text):
        return naive
    return naive.replace(tzinfo=timezone(timedelta(seconds=offset)))


def _english_date(text: str) -> date | None:
    match = _DAY_MONTH_YEAR_RE.match(text)
    if match:
        day, month, year = match.group(1), match.group(2), match.group(3)
    else:
        match = _MONTH_DAY_YEAR_RE.match(text)
        if not match:
            return None
        month, day, year = match.group(1), match.group(2), match.group(3)
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    try:
        return date(int(year), number, int(day))
    except ValueError:
        return None


def _dateparser(
    text: str,
    zone: ZoneInfo,
    relative_base: datetime | None,
    languages: Sequence[str] | None,
    full_date: bool,
) -> tuple[datetime, bool, bool] | None:
    langs = tuple(lang for lang in languages or () if lang in _KNOWN_LANGUAGES) or None
    base = _local_naive(relative_base, zone)
    if not full_date:
        found = _get_date(_date_parser(langs, zone.key, base, "relative"), text)
        if found is not None:
            return found.astimezone(zone), False, True
    found = _get_date(_date_parser(langs, zone.key, base, "full" if full_date else "absolute"), text)
    if found is None:
        return None
    _, offset = pop_tz_offset_from_string(text, as_offset=False)
    return found.astimezone(zone), offset is None and not text.isdigit(), False


def _get_date(parser: DateDataParser | None, text: str) -> datetime | None:
    if parser is None:
        return None
    try:
        found = parser.get_date_data(text).date_obj
    except Exception as exc:  # dateparser raises assorted errors on odd input
        logger.debug("dateparser failed on %r: %s", text, exc)
        return None
    return found if isinstance(found, datetime) else None


@lru_cache(maxsize=64)
def _date_parser(
    languages: tuple[str, ...] | None, tz: str, base: datetime | None, mode: str
) -> DateDataParser | None:
    """A cached dateparser in the site timezone for one ``mode``.

    ``"relative"`` parses only relative dates, ``"absolute"`` only the others, ``"full"`` only
    absolute dates that give day, month and year.
    """
    settings: dict[str, Any] = {
        "TIMEZONE": tz,
        "TO_TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
        "PARSERS": _RELATIVE_PARSERS if mode == "relative" else _ABSOLUTE_PARSERS,
    }
    if mode == "full":
        settings["REQUIRE_PARTS"] = ["day", "month", "year"]
    if base is not None:
        settings["RELATIVE_BASE"] = base
    try:
        return DateDataParser(languages=list(languages) if languages else None, settings=settings)
    except ValueError as exc:
        if languages:
            logger.debug("dateparser rejected languages %s: %s", languages, exc)
            return _date_parser(None, tz, base, mode)
        logger.warning("dateparser rejected settings for %s: %s", tz, exc)
        return None


def _local_naive(when: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``when`` as naive wall-clock time in ``zone`` (dateparser's ``RELATIVE_BASE`` convention)."""
    if when is None:
        return None
    aware = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _format(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).isoformat(timespec="seconds")


@lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Unknown timezone %r: using UTC", name)
        return ZoneInfo("UTC")
