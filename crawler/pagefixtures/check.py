"""Replay saved pages offline and compare the extraction with the expected output, field by field."""

from __future__ import annotations

import difflib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.pagefixtures.store import FIXTURE_FIELDS, expected_of, load_fixtures

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.pagefixtures.store import PageFixture

logger = logging.getLogger(__name__)

#: Longer values are shown as a unified diff.
_INLINE = 120


@dataclass
class FieldDiff:
    """One field whose extraction differs from the expected value."""

    page: str
    field: str
    expected: Any
    actual: Any

    def describe(self) -> str:
        """Human-readable lines: the two values, or a unified diff of long texts."""
        exp, act = _show(self.expected), _show(self.actual)
        if "\n" not in exp + act and len(exp) <= _INLINE and len(act) <= _INLINE:
            return f"{self.page}: {self.field}\n  expected: {exp}\n  actual:   {act}"
        lines = difflib.unified_diff(
            exp.splitlines(), act.splitlines(), "expected", "actual", lineterm="", n=1
        )
        body = "\n".join("  " + line for line in list(lines)[:60])
        return f"{self.page}: {self.field}\n{body}"


@dataclass
class CheckReport:
    """The outcome of :func:`check_fixtures`."""

    pages: int = 0
    diffs: list[FieldDiff] = field(default_factory=list)
    #: Pages without an expected file yet.
    missing: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diffs and not self.missing


def replay(fixture: PageFixture) -> dict[str, Any]:
    """The extraction of a saved page now, "now" frozen to its fetch time."""
    from crawler.extract import extract_article

    record = extract_article(
        fixture.html(), fixture.url, fetched_at=fixture.meta["fetched_at"], encoding=fixture.encoding
    )
    return expected_of(record)


def diff_fields(page: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[FieldDiff]:
    """Every field of :data:`FIXTURE_FIELDS` whose values differ (a field missing on one side differs)."""
    diffs = []
    for name in FIXTURE_FIELDS:
        if name not in expected or expected[name] != actual.get(name):
            diffs.append(FieldDiff(page, name, expected.get(name, "<missing>"), actual.get(name)))
    return diffs


def check_fixtures(
    root: str | Path | None = None, *, site: str | None = None, update: bool = False
) -> CheckReport:
    """Re-extract every saved page and compare; with ``update`` rewrite the expected files instead."""
    report = CheckReport()
    for fixture in load_fixtures(root, site=site):
        report.pages += 1
        actual = replay(fixture)
        if update:
            if fixture.expected != actual:
                fixture.save_expected(actual)
                report.updated.append(fixture.id)
            continue
        if fixture.expected is None:
            report.missing.append(fixture.id)
            continue
        report.diffs.extend(diff_fields(fixture.id, fixture.expected, actual))
    return report


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1 if isinstance(value, (dict, list)) else None)
