"""The archivist commands of ``newsarchive``: search, show, export, stats and serve."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive import open_archive, queries, web
from archive.export import CSV_COLUMNS
from archive.migrations import migrations
from archive.store import finish_crawl, start_crawl, upsert_article
from crawler.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

BASE = "https://thediplomaticinsight.com"
SEED_URL = f"{BASE}/icaft-conference-of-oas-led-by-mexico/"
CARLA_URL = f"{BASE}/author/carla-esparza-arteaga/"
SEED_BODY = (
    "Mexico City, 6 October 2021 (TDI): The Fifth Conference of Member States part of the Inter-American "
    "Convention against Arms Fabrication and Trafficking (ICAFT); ammunition, explosives, and other "
    "materials; the meeting was virtual from the headquarters of the Organization of American States, "
    "on 5 October.\n\n"
    "According to the Media Note; Mexico was chair for the ICAT; then they highlighted the priority for "
    "the foreign policy of actions to strengthen cooperation against trafficking; and diversion of the "
    "arms and ammunition trade."
)
TRICKY_BODY = (
    'First line, with "quotes", commas; and semicolons\nsecond line\r\n\nThird\u2028paragraph, tab\there.'
)
NOW = "2026-01-05T10:00:00Z"
COMMANDS = ("search", "show", "export", "stats", "serve")


def build_archive(path: Path, records: list[dict[str, Any]]) -> Path:
    db = open_archive(path)
    try:
        crawl_id = start_crawl(db, spider="tdi", site="tdi", args={"max_pages": 2})
        for record in records:
            upsert_article(db, record, crawl_id=crawl_id, now=NOW)
        finish_crawl(db, crawl_id, status="finished", stats={"item_scraped_count": len(records)}, now=NOW)
    finally:
        db.close()
    return path


def sample_records(make_record: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Four articles: the seed, an opinion piece by two authors, an undated one, a tricky-text one."""
    return [
        make_record(body_text=SEED_BODY),
        make_record(
            url=f"{BASE}/pakistan-indo-pacific/",
            url_raw=f"{BASE}/pakistan-indo-pacific/",
            title="Pakistan and the Indo-Pacific",
            section="Opinion",
            section_path=["Opinion"],
            published="2022-01-02T10:00:00+05:00",
            modified=None,
            body_text="Indo-Pacific diplomacy seen from Pakistan's capital. Ammunition is not discussed.",
            flags=["published_tz_assumed"],
            authors=[
                {"name": "Ali Khan"},
                {"name": "Carla Esparza Arteaga", "url": f"{BASE}/author/carla-esparza-arteaga/"},
            ],
            tags=[{"name": "Pakistan", "url": f"{BASE}/tag/pakistan/"}],
            categories=[{"name": "Opinion", "url": f"{BASE}/category/opinion/"}],
        ),
        make_record(
            url=f"{BASE}/undated-note/",
            url_raw=f"{BASE}/undated-note/",
            title="An undated note",
            published=None,
            published_raw=None,
            published_source=None,
            modified=None,
            flags=["published_missing"],
            body_text="A note without a date.",
            authors=[],
        ),
        make_record(
            url=f"{BASE}/tricky/",
            url_raw=f"{BASE}/tricky/",
            title='Commas, "quotes" and\nbreaks',
            published="2021-12-24T09:00:00+05:00",
            modified=None,
            body_text=TRICKY_BODY,
            authors=[{"name": "Zoë Ümlaut"}],
            tags=[{"name": "A, B", "url": None}],
        ),
    ]


@pytest.fixture
def archive_path(db_path: Path, make_record: Callable[..., dict[str, Any]]) -> Path:
    return build_archive(db_path, sample_records(make_record))


def run(*args: str) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def assert_one_line_error(result: Any, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, (sqlite3.Error, KeyError, TypeError, AttributeError))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ")
    return lines[-1]


def test_archive_commands_are_registered() -> None:
    assert set(COMMANDS) <= set(main.commands)


# --- search -----------------------------------------------------------------------------------


def test_search_prints_ranked_results_with_highlighted_snippets(archive_path: Path) -> None:
    result = run("search", "ammunition trafficking", "--db", archive_path)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "1. ICAFT Conference of OAS led by Mexico"
    assert lines[1] == "   2021-10-06 | Diplomatic News | Carla Esparza Arteaga"
    assert lines[2] == f"   {SEED_URL}"
    assert lines[3].startswith("   ") and "[ammunition]" in lines[3].lower()
    assert "[trafficking]" in lines[3].lower()
    assert lines[4] == ""
    assert len(lines) == 5  # the opinion piece has "ammunition" but not "trafficking"


def test_search_json_lists_every_result(archive_path: Path) -> None:
    result = run("search", "ammunition", "--json", "--db", archive_path)

    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["query"] == "ammunition"
    assert (found["matches"], found["ranked"], found["bounded"]) == (2, 2, False)
    results = found["results"]
    assert sorted(row["url"] for row in results) == sorted([SEED_URL, f"{BASE}/pakistan-indo-pacific/"])
    by_url = {row["url"]: row for row in results}
    assert by_url[f"{BASE}/pakistan-indo-pacific/"]["authors"] == ["Ali Khan", "Carla Esparza Arteaga"]
    assert all("[ammunition]" in row["snippet"].lower() for row in results)
    assert {"id", "title", "section", "published", "rank"} <= set(results[0])


def test_search_without_match(archive_path: Path) -> None:
    text = run("search", "zeppelin", "--db", archive_path)
    as_json = run("search", "zeppelin", "--json", "--db", archive_path)

    assert text.exit_code == 0 and text.stdout == "No articles match 'zeppelin'.\n"
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {
        "query": "zeppelin",
        "matches": 0,
        "ranked": 0,
        "bounded": False,
        "results": [],
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--section", "opinion"], ["Pakistan and the Indo-Pacific"]),
        (["--section", "News"], ["ICAFT Conference of OAS led by Mexico"]),
        (["--author", "ali kh"], ["Pakistan and the Indo-Pacific"]),
        (["--author", "ESPARZA"], ["ICAFT Conference of OAS led by Mexico", "Pakistan and the Indo-Pacific"]),
        (["--since", "2022-01-01"], ["Pakistan and the Indo-Pacific"]),
        (["--until", "2021-10-06"], ["ICAFT Conference of OAS led by Mexico"]),
        (["--since", "2021-10-07", "--until", "2021-12-31"], []),
        (["--author", "%"], []),
    ],
)
def test_search_filters(archive_path: Path, options: list[str], expected: list[str]) -> None:
    result = run("search", "ammunition", "--json", *options, "--db", archive_path)

    assert result.exit_code == 0, result.output
    assert sorted(row["title"] for row in json.loads(result.stdout)["results"]) == expected


def test_search_limit(archive_path: Path) -> None:
    one = run("search", "ammunition", "--limit", "1", "--json", "--db", archive_path)
    zero = run("search", "ammunition", "--limit", "0", "--db", archive_path)

    assert len(json.loads(one.stdout)["results"]) == 1
    assert zero.exit_code == 2


#: Matches the seed article (the better match, archived first) and the opinion piece (archived next).
EITHER = "ammunition OR trafficking"


def test_search_ranks_the_most_recently_archived_matches_and_says_so(
    archive_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "RANK_WINDOW", 1)
    text = run("search", EITHER, "--limit", "1", "--db", archive_path)
    as_json = run("search", EITHER, "--limit", "1", "--json", "--db", archive_path)

    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "1. Pakistan and the Indo-Pacific"
    assert lines[-1] == "Ranked the 1 most recently archived of 2 matches; --exhaustive ranks them all."
    found = json.loads(as_json.stdout)
    assert (found["matches"], found["ranked"], found["bounded"]) == (2, 1, True)
    assert [row["title"] for row in found["results"]] == ["Pakistan and the Indo-Pacific"]


def test_search_exhaustive_ranks_every_match(archive_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "RANK_WINDOW", 1)
    text = run("search", EITHER, "--limit", "1", "--exhaustive", "--db", archive_path)
    as_json = run("search", EITHER, "--limit", "1", "--exhaustive", "--json", "--db", archive_path)

    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0] == "1. ICAFT Conference of OAS led by Mexico"
    assert "Ranked the" not in text.stdout
    found = json.loads(as_json.stdout)
    assert (found["matches"], found["ranked"], found["bounded"]) == (2, 2, False)
    assert [row["title"] for row in found["results"]] == ["ICAFT Conference of OAS led by Mexico"]


@pytest.mark.parametrize(
    ("options", "expected", "counts"),
    [
        (["--until", "2021-12-31"], "ICAFT Conference of OAS led by Mexico", (1, 1, False)),
        (["--section", "news"], "ICAFT Conference of OAS led by Mexico", (1, 1, False)),
        (["--author", "esparza"], "Pakistan and the Indo-Pacific", (2, 1, True)),
    ],
)
def test_search_filters_apply_before_the_bound(
    archive_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    expected: str,
    counts: tuple[int, int, bool],
) -> None:
    monkeypatch.setattr(queries, "RANK_WINDOW", 1)
    result = run("search", EITHER, "--limit", "1", "--json", *options, "--db", archive_path)

    found = json.loads(result.stdout)
    assert [row["title"] for row in found["results"]] == [expected]
    assert (found["matches"], found["ranked"], found["bounded"]) == counts


@pytest.mark.parametrize("query", ["Indo-Pacific", "Pakistan's", "AND", "NOT", "C++", "10:30", "diplomacy."])
def test_search_plain_words_always_work(archive_path: Path, query: str) -> None:
    result = run("search", query, "--db", archive_path)

    assert result.exit_code == 0, result.output
    assert "Error" not in result.output


def test_search_plain_words_with_hyphen_find_the_article(archive_path: Path) -> None:
    result = run("search", "Indo-Pacific", "--json", "--db", archive_path)

    assert [row["title"] for row in json.loads(result.stdout)["results"]] == ["Pakistan and the Indo-Pacific"]


@pytest.mark.parametrize("query", ['"unbalanced quote', "NEAR(", "ammunition AND (trafficking", '"'])
def test_search_bad_fts_syntax_is_a_one_line_error(archive_path: Path, query: str) -> None:
    result = run("search", query, "--db", archive_path)

    line = assert_one_line_error(result)
    assert line.startswith("Error: invalid full-text query")


@pytest.mark.parametrize("day", ["2021-13-01", "yesterday", "2021/10/01", "01-10-2021", ""])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_dates_are_usage_errors(archive_path: Path, option: str, day: str) -> None:
    search = run("search", "ammunition", option, day, "--db", archive_path)
    export = run("export", option, day, "--db", archive_path)

    for result in (search, export):
        assert result.exit_code == 2
        assert f"Invalid value for '{option}'" in result.stderr


# --- show -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    ["1", SEED_URL, SEED_URL.rstrip("/"), f"{BASE}/icaft-conference-of-oas-led-by-mexico/?utm_source=feed"],
)
def test_show_finds_an_article_by_id_or_url(archive_path: Path, ref: str) -> None:
    result = run("show", ref, "--db", archive_path)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ICAFT Conference of OAS led by Mexico\n=====")


def test_show_text_has_every_field(archive_path: Path) -> None:
    out = run("show", "1", "--db", archive_path).stdout

    expected = [
        f"url:          {SEED_URL}",
        "section:      News > Diplomatic News",
        'published:    2021-10-06T02:14:32+05:00 (UTC 2021-10-05T21:14:32Z; raw "2021-10-06T02:14:32+05:00"'
        " from meta:article:published_time)",
        "modified:     2021-10-07T10:00:00+05:00 (UTC 2021-10-07T05:00:00Z;",
        "dateline:     Mexico City, 6 October 2021 (2021-10-06)",
        "flags:        none",
        f"first seen:   {NOW}",
        f"last seen:    {NOW}",
        "  Carla Esparza Arteaga <https://thediplomaticinsight.com/author/carla-esparza-arteaga/>",
        "    website: https://thediplomaticinsight.com",
        "    bio: International Relations student at the Universidad de Navarra in Spain.",
        "  Diplomatic News <https://thediplomaticinsight.com/category/news/diplomatic-news/>",
        "  OAS <https://thediplomaticinsight.com/tag/oas/>",
        "  featured 1200x800: https://thediplomaticinsight.com/wp-content/uploads/2021/10/icaft.jpg",
        "    caption: Delegates at the conference",
        "  twitter: https://twitter.com/OAS_official/status/1445",
        "  ad: 2",
    ]
    for line in expected:
        assert line in out, line
    assert out.rstrip().endswith("diversion of the arms and ammunition trade.")


def test_show_flags_of_an_article(archive_path: Path) -> None:
    out = run("show", f"{BASE}/pakistan-indo-pacific/", "--db", archive_path).stdout

    assert "flags:        published_tz_assumed" in out
    assert (
        "  Ali Khan\n  Carla Esparza Arteaga <https://thediplomaticinsight.com/author/carla-esparza-arteaga/>"
        in out
    )


def test_show_json_has_all_columns_and_children(archive_path: Path) -> None:
    result = run("show", "1", "--format", "json", "--db", archive_path)

    article = json.loads(result.stdout)
    assert article["published_raw"] == "2021-10-06T02:14:32+05:00"
    assert article["published_source"] == "meta:article:published_time"
    assert article["section_path"] == ["News", "Diplomatic News"]
    assert article["authors"][0]["bio"].startswith("International Relations student")
    assert [tag["name"] for tag in article["tags"]] == ["OAS", "Mexico"]
    assert [image["role"] for image in article["images"]] == ["featured", "inline"]
    assert article["body_text"] == SEED_BODY
    assert article["first_seen"] == NOW and article["last_seen"] == NOW


def test_show_markdown_and_html(archive_path: Path) -> None:
    markdown = run("show", "4", "--format", "markdown", "--db", archive_path).stdout
    page = run("show", "4", "--format", "html", "--db", archive_path).stdout

    assert markdown.startswith("---\nid: 4\n")
    assert '\ntitle: "Commas, \\"quotes\\" and\\nbreaks"\n' in markdown
    assert '# Commas, "quotes" and breaks' in markdown
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Commas, &quot;quotes&quot; and breaks</h1>" in page


@pytest.mark.parametrize("ref", ["99", f"{BASE}/no-such-article/"])
def test_show_unknown_article(archive_path: Path, ref: str) -> None:
    line = assert_one_line_error(run("show", ref, "--db", archive_path))

    assert ref in line


def test_show_unknown_format(archive_path: Path) -> None:
    assert run("show", "1", "--format", "pdf", "--db", archive_path).exit_code == 2


# --- export -----------------------------------------------------------------------------------


def test_export_jsonl_to_stdout_loads_back(archive_path: Path) -> None:
    result = run("export", "--db", archive_path)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # splitlines also splits on U+2028: it must be escaped
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == [1, 2, 3, 4]
    assert rows[3]["body_text"] == TRICKY_BODY
    assert rows[3]["title"] == 'Commas, "quotes" and\nbreaks'
    assert rows[1]["authors"][0]["name"] == "Ali Khan"
    assert rows[0]["images"][0]["caption"] == "Delegates at the conference"
    assert result.stderr == ""


def test_export_csv_file_loads_back(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = run("export", "--format", "csv", "-o", out, "--db", archive_path)

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Exported 4 articles to {out}\n"
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert len(rows) == 4
    assert rows[3]["body_text"] == TRICKY_BODY
    assert rows[3]["tags"] == "A, B"
    assert rows[1]["authors"] == "Ali Khan; Carla Esparza Arteaga"
    assert rows[0]["section_path"] == "News; Diplomatic News"
    assert rows[0]["categories"] == "Diplomatic News; News"
    assert rows[1]["flags"] == "published_tz_assumed"
    assert rows[2]["published"] == ""


def test_export_csv_to_stdout(archive_path: Path) -> None:
    result = run("export", "--format", "csv", "--author", "zoë", "--db", archive_path)

    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))
    assert [row["authors"] for row in rows] == ["Zoë Ümlaut"]
    assert rows[0]["body_text"] == TRICKY_BODY


def test_export_markdown_writes_one_file_per_article(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "md" / "nested"
    result = run(
        "export", "--format", "markdown", "--section", "Diplomatic News", "-o", out, "--db", archive_path
    )

    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    assert names == ["1-icaft-conference-of-oas-led-by-mexico.md", "3-undated-note.md", "4-tricky.md"]
    text = (out / "1-icaft-conference-of-oas-led-by-mexico.md").read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    assert json.loads(fields["url"]) == SEED_URL
    assert json.loads(fields["authors"]) == ["Carla Esparza Arteaga"]
    assert json.loads(fields["published_source"]) == "meta:article:published_time"
    assert "# ICAFT Conference of OAS led by Mexico" in body
    assert body.rstrip().endswith("diversion of the arms and ammunition trade.")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--section", "opinion"], [2]),
        (["--author", "carla"], [1, 2]),
        (["--since", "2021-12-01"], [2, 4]),
        (["--until", "2021-12-24"], [1, 4]),
        (["--since", "2021-12-01", "--author", "ali"], [2]),
    ],
)
def test_export_filters(archive_path: Path, options: list[str], expected: list[int]) -> None:
    result = run("export", *options, "--db", archive_path)

    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == expected


def test_export_usage_errors(archive_path: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")

    no_dir = run("export", "--format", "markdown", "--db", archive_path)
    file_as_dir = run("export", "--format", "markdown", "-o", a_file, "--db", archive_path)
    dir_as_file = run("export", "--format", "csv", "-o", tmp_path, "--db", archive_path)
    unknown = run("export", "--format", "xml", "--db", archive_path)

    for result in (no_dir, file_as_dir, dir_as_file, unknown):
        assert result.exit_code == 2, result.output
    assert "-o DIRECTORY" in no_dir.stderr
    assert "'xml' is not one of" in unknown.stderr
    assert a_file.read_text() == "x"


def test_export_to_an_unwritable_place(archive_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")

    jsonl = run("export", "-o", tmp_path / "missing" / "out.jsonl", "--db", archive_path)
    markdown = run("export", "--format", "markdown", "-o", blocker / "sub", "--db", archive_path)

    assert "cannot write" in assert_one_line_error(jsonl)
    assert "cannot write" in assert_one_line_error(markdown)


# --- stats ------------------------------------------------------------------------------------


def test_stats_text(archive_path: Path) -> None:
    result = run("stats", "--db", archive_path)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"{archive_path}: 4 articles, published 2021-10-06 to 2022-01-02, 3 authors\n")
    assert "\nArticles per section:\n       3  Diplomatic News\n       1  Opinion\n" in out
    assert "\nArticles per month:\n       1  2021-10\n       1  2021-12\n       1  2022-01\n" in out
    authors = "       2  Carla Esparza Arteaga\n       1  Ali Khan\n       1  Zoë Ümlaut\n"
    assert f"\nArticles per author (3 of 3):\n{authors}" in out
    problems = ["no publication date", "published_missing", "published_tz_assumed"]
    assert "".join(f"       1  {problem}\n" for problem in problems) in out
    assert re.search(rf"\n  #1  tdi  \S+Z -> {NOW}  finished: 4 new, 0 updated, 0 unchanged$", out)


def test_stats_json(archive_path: Path) -> None:
    result = run("stats", "--json", "--top", "1", "--db", archive_path)

    stats = json.loads(result.stdout)
    assert stats["articles"] == 4 and stats["authors"] == 3
    assert stats["sections"] == [
        {"section": "Diplomatic News", "articles": 3},
        {"section": "Opinion", "articles": 1},
    ]
    assert stats["top_authors"] == [{"author": "Carla Esparza Arteaga", "articles": 2}]
    assert {"problem": "published_tz_assumed", "articles": 1} in stats["date_problems"]
    assert stats["last_crawls"][0]["status"] == "finished"
    assert stats["last_crawls"][0]["articles_new"] == 4


def test_stats_of_an_empty_archive(db_path: Path) -> None:
    open_archive(db_path).close()

    result = run("stats", "--db", db_path)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{db_path}: 0 articles, 0 authors\n")
    assert "Last crawls:\n  none" in result.stdout


# --- bad databases ----------------------------------------------------------------------------


def _random_bytes(path: Path) -> None:
    path.write_bytes(hashlib.sha256(b"seed").digest() * 200)


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()


def _truncated(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 3000)


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


BAD_FILES: dict[str, Callable[[Path], None] | None] = {
    "missing": None,
    "random bytes": _random_bytes,
    "foreign sqlite": _foreign_sqlite,
    "truncated": _truncated,
    "empty file": _empty_file,
}
COMMAND_ARGS = {
    "search": ["search", "ammunition"],
    "show": ["show", "1"],
    "export": ["export"],
    "stats": ["stats"],
    "serve": ["serve", "--port", "0"],
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_database_is_a_one_line_error(tmp_path: Path, command: str, kind: str) -> None:
    path = tmp_path / "bad.db"
    maker = BAD_FILES[kind]
    if maker is not None:
        maker(path)
    before = path.read_bytes() if path.exists() else None

    result = run(*COMMAND_ARGS[command], "--db", path)

    assert_one_line_error(result)
    assert (path.read_bytes() if path.exists() else None) == before


def test_database_that_is_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    for command in COMMANDS:
        assert run(*COMMAND_ARGS[command], "--db", tmp_path).exit_code == 2


def test_commands_never_modify_the_archive(db_path: Path, make_record: Callable[..., dict[str, Any]]) -> None:
    """An archive from before the views migration is read as it is, not upgraded."""
    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m009_article_views")
    upsert_article(old, make_record(body_text=SEED_BODY), now=NOW)
    old.close()
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()

    results = [
        run("search", "ammunition trafficking", "--db", db_path),
        run("show", "1", "--db", db_path),
        run("export", "--format", "csv", "--db", db_path),
        run("stats", "--db", db_path),
    ]

    assert [result.exit_code for result in results] == [0, 0, 0, 0]
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    check = sqlite_utils.Database(db_path)
    assert "article_list" not in check.view_names()
    assert [m.name for m in migrations.applied(check)][-1] == "m008_articles_indexes"
    check.close()


# --- serve ------------------------------------------------------------------------------------


class FakeProcess:
    """Stands in for the Datasette process; records the command line and the metadata it was given."""

    calls: list[dict[str, Any]] = []

    def __init__(self, argv: list[str]) -> None:
        metadata = argv[argv.index("--metadata") + 1]
        with open(metadata, encoding="utf-8") as handle:
            FakeProcess.calls.append({"argv": argv, "metadata": json.load(handle)})
        self.returncode = FakeProcess.returncode

    returncode = 0

    def wait(self) -> int:
        return self.returncode


@pytest.fixture
def fake_datasette(monkeypatch: pytest.MonkeyPatch) -> type[FakeProcess]:
    FakeProcess.calls = []
    FakeProcess.returncode = 0
    monkeypatch.setattr(web, "datasette_installed", lambda: True)
    monkeypatch.setattr(web.subprocess, "Popen", FakeProcess)
    return FakeProcess


def test_serve_runs_datasette_immutable_with_shipped_metadata(
    archive_path: Path, fake_datasette: type[FakeProcess]
) -> None:
    result = run("serve", "--db", archive_path, "--port", "8123")

    assert result.exit_code == 0, result.output
    [call] = fake_datasette.calls
    argv = call["argv"]
    assert argv[1:4] == ["-m", "datasette", "serve"]
    assert argv[argv.index("--immutable") + 1] == str(archive_path)
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8123"
    assert argv[argv.index("--template-dir") + 1] == str(web.TEMPLATES_DIR)
    database = call["metadata"]["databases"][archive_path.stem]
    assert database["tables"]["articles"]["fts_table"] == "articles_fts"
    assert set(database["queries"]) >= {"latest_articles", "articles_by_author", "missing_dates"}
    assert f"Serving {archive_path} read-only at http://127.0.0.1:8123/" in result.stderr


def test_serve_reports_datasette_failure(archive_path: Path, fake_datasette: type[FakeProcess]) -> None:
    fake_datasette.returncode = 3

    line = assert_one_line_error(run("serve", "--db", archive_path))

    assert "exit code 3" in line


def test_serve_without_datasette(archive_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web.importlib.util, "find_spec", lambda name: None)

    line = assert_one_line_error(run("serve", "--db", archive_path))

    assert "pip install 'newsarchive[web]'" in line


def test_serve_warns_about_an_unmerged_write_ahead_log(
    archive_path: Path, fake_datasette: type[FakeProcess]
) -> None:
    writer = open_archive(archive_path)  # keeps the WAL until closed
    writer.execute("UPDATE articles SET title = title || '!' WHERE id = 1")
    writer.conn.commit()
    try:
        result = run("serve", "--db", archive_path)
    finally:
        writer.close()

    assert result.exit_code == 0, result.output
    assert "write-ahead log" in result.stderr
