"""The documentation matches the tool: every command is documented with examples, every SQL example runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from archive import open_archive
from archive.store import finish_crawl, start_crawl, upsert_article
from crawler.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import click
    import sqlite_utils

BASE = "https://thediplomaticinsight.com"
DOCS = Path(__file__).resolve().parent.parent / "docs"
CLI_DOC = DOCS / "cli.md"
SCHEMA_DOC = DOCS / "schema.md"
COMMANDS = sorted(main.commands)


def _section(name: str) -> str:
    """The part of docs/cli.md about ``newsarchive NAME``, up to the next command heading."""
    text = CLI_DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## `newsarchive {re.escape(name)}`\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"docs/cli.md has no section for newsarchive {name}"
    return match.group(1)


def test_the_archivist_commands_are_listed() -> None:
    assert {"search", "show", "export", "stats", "serve"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])

    assert result.exit_code == 0, result.output
    assert "Example:" in result.stdout
    examples = result.stdout.split("Example:", 1)[1].split("Options:", 1)[0]
    assert re.search(rf"^\s+newsarchive {re.escape(name)}\b", examples, flags=re.M), examples


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_with_its_options(name: str) -> None:
    section = _section(name)
    command: click.Command = main.commands[name]

    assert f"newsarchive {name}" in section
    for param in command.params:
        if param.param_type_name != "option" or "--help" in param.opts:
            continue
        assert any(opt in section for opt in (*param.opts, *param.secondary_opts)), (name, param.opts)


def test_command_table_links_every_command() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")

    for name in COMMANDS:
        assert f"| [`{name}`](#newsarchive-{name}) |" in text


# --- SQL examples of docs/schema.md --------------------------------------------------------------


def _sql_examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", SCHEMA_DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def archive(db_path: Path, make_record: Callable[..., dict[str, Any]]) -> Iterator[sqlite_utils.Database]:
    db = open_archive(db_path)
    crawl_id = start_crawl(db, spider="tdi", site="tdi")
    body = "Ammunition trafficking and diplomacy in Pakistan."
    upsert_article(db, make_record(body_text=body, flags=["published_relative"]), crawl_id=crawl_id)
    upsert_article(db, make_record(url=f"{BASE}/b/", published=None), crawl_id=crawl_id)
    finish_crawl(db, crawl_id, status="finished", stats={})
    yield db
    db.close()


def test_schema_doc_has_sql_examples() -> None:
    examples = _sql_examples()

    assert len(examples) >= 10
    assert any("article_list" in sql for sql in examples)
    assert any("articles_by_month" in sql for sql in examples)


@pytest.mark.parametrize("number", range(len(_sql_examples())))
def test_sql_example_runs(archive: sqlite_utils.Database, number: int) -> None:
    sql = _sql_examples()[number]

    rows = archive.execute(sql).fetchall()

    assert isinstance(rows, list)


def test_sql_examples_return_the_archived_articles(archive: sqlite_utils.Database) -> None:
    results = {sql: archive.execute(sql).fetchall() for sql in _sql_examples()}

    found = [rows for sql, rows in results.items() if "MATCH 'ammunition trafficking'" in sql]
    assert found and found[0] and found[0][0][1] == "ICAFT Conference of OAS led by Mexico"
    by_author = [rows for sql, rows in results.items() if "LIKE '%; Carla Esparza Arteaga; %'" in sql]
    assert by_author and len(by_author[0]) == 2
    missing = [rows for sql, rows in results.items() if "published_missing" in sql]
    assert missing and [row[0] for row in missing[0]] == [1, 2]


def test_views_are_documented() -> None:
    text = SCHEMA_DOC.read_text(encoding="utf-8")

    assert "## Views" in text
    assert "### `article_list`" in text and "### `articles_by_month`" in text
