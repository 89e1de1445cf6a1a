"""Bad input to ``newsarchive crawl`` / ``demo`` / ``replay-server``: clear errors, nothing touched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from click.testing import CliRunner

from crawler.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def test_unknown_site_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "nosuchsite", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "unknown site 'nosuchsite'" in result.output
    assert "tdi" in result.output
    assert not (tmp_path / "a.db").exists()


def test_bad_setting_syntax_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "tdi", "--db", str(tmp_path / "a.db"), "-s", "NOEQUALS"])
    assert result.exit_code == 2
    assert "expected NAME=VALUE" in result.output


def test_corrupt_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.db"
    payload = b"this is not a database" * 100
    db.write_bytes(payload)
    result = CliRunner().invoke(main, ["crawl", "tdi", "--db", str(db)])
    assert result.exit_code == 2  # a configuration error: the --db file is not an archive
    assert result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert db.read_bytes() == payload


def test_replay_dir_must_exist(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["crawl", "tdi", "--db", str(tmp_path / "a.db"), "--replay", str(tmp_path / "missing")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_demo_without_saved_site_explains(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "a.db"), "--site-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no saved copy of thediplomaticinsight.com" in result.output


def test_replay_server_rejects_a_dir_without_sites(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["replay-server", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
