"""Article revisions: every distinct version kept, changed fields, body diffs, declared or silent edits,
removed articles marked and never deleted; ``newsarchive history``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner

from archive import versions
from archive.store import upsert_article
from crawler.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import sqlite_utils

NOW1, NOW2, NOW3 = "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z", "2026-11-22T10:00:00Z"


def _store(db: sqlite_utils.Database, record: dict[str, Any], now: str) -> dict[str, Any] | None:
    upsert_article(db, record, now=now)
    article_id = versions.find_article_id(db, record["url"])
    assert article_id is not None
    return versions.record_version(db, article_id, now=now, crawl_id=None)


def test_first_version_then_only_real_changes(
    fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    first = _store(fresh_db, record, NOW1)
    assert first is not None
    assert (first["version"], first["cause"], first["changed_fields"], first["declared"]) == (
        1,
        "first",
        None,
        None,
    )
    assert _store(fresh_db, make_record(stripped={"ad": 9}, fetched_at="later"), NOW2) is None

    rows = versions.versions(fresh_db, 1)
    assert len(rows) == 1
    assert rows[0]["snapshot"]["title"] == record["title"]
    assert rows[0]["snapshot"]["authors"] == [
        {"name": "Carla Esparza Arteaga", "url": record["authors"][0]["url"]}
    ]


def test_silent_and_declared_edits(
    fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    _store(fresh_db, record, NOW1)
    silent_body = record["body_text"] + "\n\nA sentence added without notice."
    silent = _store(fresh_db, make_record(body_text=silent_body), NOW2)
    declared = _store(
        fresh_db,
        make_record(body_text=silent_body, title="A new title", modified="2021-10-09T10:00:00+05:00"),
        NOW3,
    )

    assert silent is not None and declared is not None
    assert (silent["version"], silent["changed_fields"], silent["declared"]) == (2, ["body_text"], False)
    assert "+A sentence added without notice." in silent["body_diff"]
    assert silent["body_diff"].startswith(f"--- {record['url']} (version 1)\n+++ {record['url']} (version 2)")
    assert (declared["version"], declared["declared"]) == (3, True)
    assert declared["changed_fields"] == ["title", "modified"]
    assert declared["body_diff"] is None
    stored = versions.versions(fresh_db, 1)
    assert [v["snapshot"]["title"] for v in stored] == [record["title"], record["title"], "A new title"]


def test_articles_stored_before_versions_get_their_first_version_when_they_change(
    fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    upsert_article(fresh_db, record, now=NOW1)
    versions.seed_first_version(fresh_db, 1)
    assert versions.seed_first_version(fresh_db, 1) is None
    changed = _store(fresh_db, make_record(title="Edited"), NOW2)

    assert changed is not None and changed["version"] == 2
    first = versions.versions(fresh_db, 1)[0]
    assert (first["recorded"], first["snapshot"]["title"]) == (NOW1, record["title"])


def test_removed_articles_are_marked_never_deleted(
    fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    _store(fresh_db, record, NOW1)

    assert versions.mark_removed(fresh_db, record["url_raw"], status=410, now=NOW2) == 1
    assert versions.mark_removed(fresh_db, record["url"], status=404, now=NOW3) is None
    assert versions.mark_removed(fresh_db, "https://elsewhere.example/x/", status=404, now=NOW3) is None
    row = next(fresh_db.query("SELECT removed, removed_status, title FROM articles"))
    assert row == {"removed": NOW2, "removed_status": 410, "title": record["title"]}
    assert versions.clear_removed(fresh_db, 1) is True
    assert versions.clear_removed(fresh_db, 1) is False


def test_history_command(
    db_path: Path, fresh_db: sqlite_utils.Database, make_record: Callable[..., dict[str, Any]]
) -> None:
    record = make_record()
    _store(fresh_db, record, NOW1)
    _store(fresh_db, make_record(body_text=record["body_text"] + "\n\nAdded."), NOW2)
    versions.mark_removed(fresh_db, record["url"], status=404, now=NOW3)
    fresh_db.conn.commit()

    text = CliRunner().invoke(main, ["history", record["url"], "--db", str(db_path)])
    data = CliRunner().invoke(main, ["history", "1", "--json", "--no-diff", "--db", str(db_path)])
    missing = CliRunner().invoke(main, ["history", "https://nowhere.example/", "--db", str(db_path)])

    assert text.exit_code == 0, text.output
    assert "2 version(s)" in text.output
    assert "silent edit (no new modified date)" in text.output
    assert "  changed: body_text" in text.output
    assert "  +Added." in text.output
    assert f"REMOVED from the site on {NOW3} (HTTP 404)" in text.output
    history = json.loads(data.output)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert "body_diff" not in history["versions"][1]
    assert history["removed_status"] == 404
    assert missing.exit_code == 1 and "no article" in missing.output
