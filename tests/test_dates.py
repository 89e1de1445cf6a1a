"""Date normalisation: ISO 8601 in the site timezone, relative dates, flags on the article."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from crawler.dates import ParsedDate, normalise_article_dates, parse_date, parse_dateline_date
from crawler.items import Article

KARACHI = "Asia/Karachi"
BERLIN = "Europe/Berlin"
#: The fetch time used as the relative base: 2026-11-27 22:10 UTC = 2026-11-28 03:10 in Karachi.
FETCHED = "2026-11-27T22:10:00+00:00"
BASE = datetime(2026, 11, 27, 22, 10, tzinfo=timezone.utc)


def _article(**fields: Any) -> Article:
    defaults: dict[str, Any] = {"site_timezone": KARACHI, "fetched_at": FETCHED, "language": "en-US"}
    defaults.update(fields)
    return Article(
        url="https://thediplomaticinsight.com/a/", url_raw="https://thediplomaticinsight.com/a/", **defaults
    )


# --- parse_date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2021-10-05T21:14:32+00:00",
        "2021-10-05T21:14:32Z",
        "2021-10-05T21:14:32.431+00:00",
        "2021-10-05T21:14:32+0000",
        "2021-10-05 21:14:32 +00:00",
        "2021-10-06T02:14:32+05:00",
        "2021-10-05T16:14:32-05:00",
        "Tue, 05 Oct 2021 21:14:32 +0000",
        "Tue, 05 Oct 2021 21:14:32 GMT",
        "Oct 5, 2021 9:14:32 pm UTC",
    ],
)
def test_aware_strings_are_converted_to_the_site_timezone(raw: str) -> None:
    assert parse_date(raw, timezone=KARACHI) == ParsedDate("2021-10-06T02:14:32+05:00", False, False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-10-06 02:14:32", "2021-10-06T02:14:32+05:00"),
        ("2021-10-06T02:14:32", "2021-10-06T02:14:32+05:00"),
        ("2021-10-06", "2021-10-06T00:00:00+05:00"),
        ("Wed, 06 Oct 2021 02:14:32", "2021-10-06T02:14:32+05:00"),
        ("6 October 2021", "2021-10-06T00:00:00+05:00"),
        ("July 19, 2021", "2021-07-19T00:00:00+05:00"),
        ("3 May, 2022, 11:37 pm", "2022-05-03T23:37:00+05:00"),
    ],
)
def test_naive_strings_assume_the_site_timezone(raw: str, expected: str) -> None:
    assert parse_date(raw, timezone=KARACHI, languages=["en"]) == ParsedDate(expected, True, False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2 hours ago", "2026-11-28T01:10:00+05:00"),
        ("45 minutes ago", "2026-11-28T02:25:00+05:00"),
        ("yesterday", "2026-11-27T03:10:00+05:00"),
        ("3 days ago", "2026-11-25T03:10:00+05:00"),
    ],
)
def test_relative_dates_resolve_against_the_base(raw: str, expected: str) -> None:
    parsed = parse_date(raw, timezone=KARACHI, relative_base=BASE, languages=["en"])
    assert parsed == ParsedDate(expected, False, True)


def test_relative_base_may_be_naive_utc() -> None:
    parsed = parse_date("2 hours ago", timezone=KARACHI, relative_base=datetime(2026, 11, 27, 22, 10))
    assert parsed.value == "2026-11-28T01:10:00+05:00"


@pytest.mark.parametrize(
    ("raw", "languages", "expected"),
    [
        ("21 abril, 2022", ["es"], "2022-04-21T00:00:00+05:00"),
        ("21 abril, 2022", None, "2022-04-21T00:00:00+05:00"),
        ("31. Dezember 2019", ["de", "en"], "2019-12-31T00:00:00+05:00"),
        ("23 Març 2020", ["ca"], "2020-03-23T00:00:00+05:00"),
    ],
)
def test_other_languages(raw: str, languages: list[str] | None, expected: str) -> None:
    assert parse_date(raw, timezone=KARACHI, languages=languages) == ParsedDate(expected, True, False)


def test_other_language_relative_date() -> None:
    parsed = parse_date("hace 2 horas", timezone=KARACHI, relative_base=BASE, languages=["es", "en"])
    assert parsed == ParsedDate("2026-11-28T01:10:00+05:00", False, True)


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "not a date", "2021-13-45", "2021-02-30T10:00:00Z", "lorem ipsum " * 900, "\x00\ufeff"],
)
def test_garbage_gives_none_without_raising(raw: str | None) -> None:
    assert parse_date(raw, timezone=KARACHI, relative_base=BASE) == ParsedDate(None, False, False)


def test_unknown_language_code_is_ignored() -> None:
    parsed = parse_date("2 hours ago", timezone=KARACHI, relative_base=BASE, languages=["xx"])
    assert parsed.value == "2026-11-28T01:10:00+05:00"


def test_unknown_timezone_falls_back_to_utc() -> None:
    assert (
        parse_date("2021-10-05T21:14:32+00:00", timezone="Mars/Olympus").value == "2021-10-05T21:14:32+00:00"
    )


@pytest.mark.parametrize(
    ("raw", "expected", "assumed"),
    [
        ("2021-07-01T10:00:00+00:00", "2021-07-01T12:00:00+02:00", False),
        ("2021-01-15T10:00:00+00:00", "2021-01-15T11:00:00+01:00", False),
        ("2021-07-01 12:00:00", "2021-07-01T12:00:00+02:00", True),
        ("2021-01-15 12:00:00", "2021-01-15T12:00:00+01:00", True),
        ("2021-03-28T00:30:00+00:00", "2021-03-28T01:30:00+01:00", False),
        ("2021-03-28T01:30:00+00:00", "2021-03-28T03:30:00+02:00", False),
        ("2021-10-31T00:30:00+00:00", "2021-10-31T02:30:00+02:00", False),
        ("2021-10-31T01:30:00+00:00", "2021-10-31T02:30:00+01:00", False),
        ("Sun, 31 Oct 2021 01:30:00 +0000", "2021-10-31T02:30:00+01:00", False),
    ],
)
def test_dst_timezone_offsets(raw: str, expected: str, assumed: bool) -> None:
    assert parse_date(raw, timezone=BERLIN) == ParsedDate(expected, assumed, False)


def test_relative_date_across_dst_keeps_the_instant() -> None:
    # 02:30 UTC on the spring-forward day is 04:30 CEST; two hours earlier is 01:30 CET.
    base = datetime(2021, 3, 28, 2, 30, tzinfo=timezone.utc)
    parsed = parse_date("2 hours ago", timezone=BERLIN, relative_base=base, languages=["en"])
    assert parsed.value == "2021-03-28T01:30:00+01:00"


# --- parse_dateline_date -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6 October 2021", "2021-10-06"),
        ("July 19, 2021", "2021-07-19"),
        ("Sept. 3, 2020", "2020-09-03"),
        ("1st June 2022", "2022-06-01"),
        ("  6   October\n2021 ", "2021-10-06"),
        ("21 abril, 2022", "2022-04-21"),
        ("2021-10-06", "2021-10-06"),
        ("6 October", None),
        ("Tuesday", None),
        ("yesterday", None),
        ("31 February 2021", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_dateline_date(raw: str | None, expected: str | None) -> None:
    assert parse_dateline_date(raw) == expected


# --- normalise_article_dates -------------------------------------------------------------------


def test_seed_article_dates() -> None:
    article = _article(
        published_raw="2021-10-05T21:14:32+00:00",
        modified_raw="2021-10-07T05:00:00+00:00",
        visible_date_raw="6 October 2021",
        dateline_raw="6 October 2021",
    )
    assert normalise_article_dates(article) is article
    assert article.published == "2021-10-06T02:14:32+05:00"
    assert article.modified == "2021-10-07T10:00:00+05:00"
    assert article.dateline_date == "2021-10-06"
    assert article.flags == []


def test_naive_published_is_flagged_tz_assumed() -> None:
    article = normalise_article_dates(_article(published_raw="2021-10-06 02:14:32"))
    assert article.published == "2021-10-06T02:14:32+05:00"
    assert article.flags == ["published_tz_assumed"]


def test_visible_relative_date_when_no_machine_date() -> None:
    article = normalise_article_dates(_article(visible_date_raw="2 hours ago"))
    assert article.published == "2026-11-28T01:10:00+05:00"
    assert article.flags == ["published_relative"]


def test_visible_printed_date_when_no_machine_date() -> None:
    article = normalise_article_dates(_article(visible_date_raw="6 October 2021"))
    assert article.published == "2021-10-06T00:00:00+05:00"
    assert article.flags == ["published_tz_assumed"]


def test_now_is_the_base_when_fetched_at_is_missing() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    article = normalise_article_dates(_article(fetched_at="", visible_date_raw="yesterday"), now=now)
    assert article.published == "2025-12-31T17:00:00+05:00"
    assert article.flags == ["published_relative"]


def test_missing_published() -> None:
    article = normalise_article_dates(_article())
    assert article.published is None
    assert article.flags == ["published_missing"]


def test_unparseable_published_keeps_its_raw_value_and_is_flagged() -> None:
    article = normalise_article_dates(_article(published_raw="sometime last autumn-ish"))
    assert article.published is None
    assert article.published_raw == "sometime last autumn-ish"
    assert article.flags == ["published_unparsed"]


def test_unparseable_published_falls_back_to_the_visible_date() -> None:
    article = normalise_article_dates(_article(published_raw="n/a", visible_date_raw="July 19, 2021"))
    assert article.published == "2021-07-19T00:00:00+05:00"
    assert article.flags == ["published_unparsed", "published_tz_assumed"]


def test_future_publication_is_flagged() -> None:
    article = normalise_article_dates(_article(published_raw="2026-11-29T00:00:00+00:00"))
    assert article.published == "2026-11-29T05:00:00+05:00"
    assert article.flags == ["published_in_future"]


def test_publication_less_than_a_day_ahead_is_not_flagged() -> None:
    article = normalise_article_dates(_article(published_raw="2026-11-28T20:00:00+00:00"))
    assert article.flags == []


def test_modified_before_published_is_flagged() -> None:
    article = _article(published_raw="2021-10-05T21:14:32+00:00", modified_raw="2021-10-05T20:00:00+00:00")
    normalise_article_dates(article)
    assert article.modified == "2021-10-06T01:00:00+05:00"
    assert article.flags == ["modified_before_published"]


def test_modified_flags() -> None:
    article = normalise_article_dates(
        _article(published_raw="2021-10-05T21:14:32+00:00", modified_raw="2021-10-07 10:00:00")
    )
    assert article.modified == "2021-10-07T10:00:00+05:00"
    assert article.flags == ["modified_tz_assumed"]
    article = normalise_article_dates(_article(published_raw="2021-10-05T21:14:32+00:00", modified_raw="??"))
    assert article.modified is None
    assert article.modified_raw == "??"
    assert article.flags == ["modified_unparsed"]


def test_flags_are_not_duplicated() -> None:
    article = _article(published_raw="2021-10-06 02:14:32", flags=["published_tz_assumed", "other"])
    normalise_article_dates(article)
    normalise_article_dates(article)
    assert article.flags == ["published_tz_assumed", "other"]


def test_dateline_dates() -> None:
    article = normalise_article_dates(
        _article(published_raw="2021-07-19T10:00:00+00:00", dateline_raw="July 19, 2021")
    )
    assert article.dateline_date == "2021-07-19"
    article = normalise_article_dates(
        _article(published_raw="2021-07-19T10:00:00+00:00", dateline_raw="Monday")
    )
    assert article.dateline_date is None
    assert article.flags == ["dateline_unparsed"]


def test_site_timezone_with_dst() -> None:
    article = normalise_article_dates(
        _article(
            site_timezone=BERLIN,
            language="de-DE",
            published_raw="2021-07-01T10:00:00+00:00",
            modified_raw="2021-12-01T10:00:00+00:00",
        )
    )
    assert article.published == "2021-07-01T12:00:00+02:00"
    assert article.modified == "2021-12-01T11:00:00+01:00"
    assert article.flags == []
