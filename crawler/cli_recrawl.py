"""Commands for recurring crawls: ``history``, ``coverage``, ``reextract`` and ``schedule``.

Also the pieces ``newsarchive crawl`` uses to behave well under a scheduler: settings checked before
anything starts (exit code 2), the archive's lock (exit code 3 when another run holds it) and the
one-line summary. :data:`recrawl_commands` lists the commands for the ``newsarchive`` group.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.cli import archive_db
from crawler import exitcodes

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from sqlite_utils import Database

DB_HELP = "Path of the SQLite archive."
db_option = click.option(
    "--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False), help=DB_HELP
)


class ConfigError(click.ClickException):
    """A configuration problem (bad setting, a file that is not an archive): exit code 2, one line."""

    exit_code = exitcodes.USAGE


def check_settings(settings: Mapping[str, object]) -> None:
    """Refuse, before anything starts, settings of the recrawl that cannot work (exit code 2)."""
    from archive.schedule import RecrawlSchedule, from_text

    schedule = settings.get("NEWSARCHIVE_RECRAWL_SCHEDULE")
    if schedule is not None:
        try:
            RecrawlSchedule.parse(str(schedule))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="NEWSARCHIVE_RECRAWL_SCHEDULE") from error
    now = settings.get("NEWSARCHIVE_NOW")
    if now and from_text(str(now)) is None:
        raise click.BadParameter(f"not an ISO 8601 time: {now!r}", param_hint="NEWSARCHIVE_NOW")


def check_faults(spec: str, replay_dir: str | None) -> None:
    """Refuse a fault specification that cannot be read, or faults without ``--replay`` (exit code 2)."""
    from crawler.replay.faults import FaultSpec

    if replay_dir is None:
        raise click.BadParameter(
            "faults are injected into a replayed site: add --replay DIR", param_hint="--replay-faults"
        )
    try:
        FaultSpec.parse(spec)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--replay-faults") from error


def serve_with_faults(sites_dir: str, port: int, log_path: str | None, verbose: bool, spec: str) -> None:
    """``newsarchive replay-server --faults SPEC``: replay in the foreground, injecting faults."""
    import logging

    from crawler.replay import ReplayServer
    from crawler.replay.faults import FaultInjector, FaultSpec

    try:
        faults = FaultSpec.parse(spec)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from error
    if verbose and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    server = ReplayServer(sites_dir, port=port, log_path=log_path, verbose=verbose)
    FaultInjector(faults).install(server)
    server.serve(announce=lambda line: click.echo(f"{line}; injecting faults: {faults.describe()}"))


@contextmanager
def archive_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the archive's lock for the block; exit at once with code 3 if another run holds it."""
    from crawler import lock

    try:
        lock.acquire(db_path)
    except lock.ArchiveLockedError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(exitcodes.LOCKED)
    try:
        yield
    finally:
        lock.release(db_path)


def summary_line(site: str, stats: Mapping[str, Any], code: int) -> str:
    """The last line ``newsarchive crawl`` prints."""
    return exitcodes.summary_line(site, stats, code)


@contextmanager
def _recrawl_data(db_path: str) -> Iterator[Database]:
    with archive_db(db_path) as db:
        try:
            yield db
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):
                raise
            raise click.ClickException(
                f"{db_path} has no crawl history yet: crawl it once with this version of newsarchive"
            ) from error


# --- history ----------------------------------------------------------------------------------------


@click.command()
@click.argument("article")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@click.option("--no-diff", is_flag=True, help="Leave the body diffs out.")
def history(article: str, db_path: str, as_json: bool, no_diff: bool) -> None:
    """Every version of ARTICLE (its URL or id): what changed, when, declared or silent, body diffs.

    \b
    Example:
        newsarchive history http://thediplomaticinsight.com/al-ula-summit-ends-gulf-rift/
        newsarchive history 12 --json --db tdi.db
    """
    from archive.versions import history as article_history

    with _recrawl_data(db_path) as db:
        found = article_history(db, article)
    if found is None:
        raise click.ClickException(f"no article {article!r} in {db_path}")
    if as_json:
        if no_diff:
            for version in found["versions"]:
                version.pop("body_diff", None)
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for line in _history_lines(found, diffs=not no_diff):
        click.echo(line)


def _history_lines(found: dict[str, Any], *, diffs: bool) -> Iterator[str]:
    yield f"{found['title']}"
    yield f"{found['url']}  (article {found['id']})"
    yield f"first seen {found['first_seen']}, last seen {found['last_seen']}"
    if found["removed"]:
        yield f"REMOVED from the site on {found['removed']} (HTTP {found['removed_status']})"
    versions = found["versions"]
    yield f"{len(versions)} version(s)" if versions else "no versions recorded yet"
    for version in versions:
        yield ""
        yield f"version {version['version']}  {version['recorded']}  {_describe(version)}"
        if version["changed_fields"]:
            yield f"  changed: {', '.join(version['changed_fields'])}"
        snapshot = version["snapshot"] or {}
        if snapshot.get("modified"):
            yield f"  modified (as the site says): {snapshot['modified']}"
        if diffs and version["body_diff"]:
            yield from ("  " + line for line in version["body_diff"].splitlines())


def _describe(version: dict[str, Any]) -> str:
    if version["cause"] == "first":
        return "first version"
    if version["cause"] == "reextract":
        return "re-extracted from the stored capture"
    return (
        "declared edit (the modified date moved)"
        if version["declared"]
        else "silent edit (no new modified date)"
    )


# --- coverage ---------------------------------------------------------------------------------------


@click.command()
@db_option
@click.option("--site", help="Only this site profile (e.g. tdi).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=0), help="Missing URLs listed."
)
def coverage(db_path: str, site: str | None, as_json: bool, limit: int) -> None:
    """What the sitemaps, feeds and listings know, and which sitemap articles the archive lacks (and why).

    \b
    Example:
        newsarchive coverage --db tdi.db
        newsarchive coverage --site tdi --json
    """
    from archive.coverage import coverage as coverage_report

    with _recrawl_data(db_path) as db:
        report = coverage_report(db, site)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{report.articles} articles in {db_path}")
    click.echo("\nArticle URLs by where they were found:")
    click.echo(f"  {'source':<10} {'urls':>6} {'archived':>9} {'found first':>12}")
    for source, counts in report.sources.items():
        click.echo(f"  {source:<10} {counts['urls']:>6} {counts['archived']:>9} {counts['first']:>12}")
    click.echo(f"\nIn the sitemaps but not in the archive: {len(report.missing)}")
    for row in report.missing[:limit]:
        why = row["state"] + (f" ({row['error']})" if row["error"] else "")
        click.echo(f"  {row['url']}  lastmod {row['lastmod'] or '-'}  {why}")
    if len(report.missing) > limit:
        click.echo(f"  ... and {len(report.missing) - limit} more (--limit)")
    click.echo(f"\nIn the archive but in no sitemap: {len(report.not_in_sitemaps)}")
    for url in report.not_in_sitemaps[:limit]:
        click.echo(f"  {url}")


# --- reextract --------------------------------------------------------------------------------------


@click.command()
@click.argument("articles", nargs=-1)
@db_option
@click.option(
    "--apply", is_flag=True, help="Write the new extraction (as new versions); default: report only."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def reextract(articles: tuple[str, ...], db_path: str, apply: bool, as_json: bool) -> None:
    """Re-run the current extraction over the stored captures (WARC), offline; report what would change.

    ARTICLES are ids or URLs (default: every article). Nothing is written without --apply.

    \b
    Example:
        newsarchive reextract --db tdi.db
        newsarchive reextract 12 http://thediplomaticinsight.com/al-ula-summit-ends-gulf-rift/ --apply
    """
    from archive import ArchiveError, open_archive
    from archive.records import utc_now
    from crawler.reextract import reextract as run_reextract

    with archive_lock(db_path):
        try:
            db = open_archive(db_path, create=False)
        except ArchiveError as error:
            raise ConfigError(str(error)) from error
        try:
            report = run_reextract(
                db, Path(db_path).parent, articles=articles or None, apply=apply, now=utc_now()
            )
        except LookupError as error:
            raise click.ClickException(str(error.args[0])) from error
        finally:
            db.close()
    if as_json:
        data = {
            "applied": apply,
            "fields": report.field_counts(),
            "results": [vars(result) for result in report.results],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for result in report.results:
        if result.status == "changed":
            click.echo(f"{result.url}: {', '.join(result.fields)}")
        elif result.status != "unchanged":
            click.echo(f"{result.url}: {result.status}{f' ({result.detail})' if result.detail else ''}")
    counts = ", ".join(f"{name} {n}" for name, n in report.field_counts().items()) or "none"
    verb = "changed" if apply else "would change"
    click.echo(
        f"\n{len(report.results)} articles re-extracted: {len(report.changed)} {verb}, "
        f"{report.count('unchanged')} unchanged, {report.count('no_capture')} without a capture, "
        f"{report.count('not_article')} no longer articles, {report.count('unreadable')} unreadable"
    )
    click.echo(f"Fields: {counts}")
    if report.changed and not apply:
        click.echo("Nothing was written; run again with --apply to store the new extraction.")


# --- schedule ---------------------------------------------------------------------------------------


@click.command()
@click.argument("site")
@db_option
@click.option(
    "--every", "interval", default="1h", show_default=True, help="Interval: 15m, 1h, 6h, 1d, 1w ..."
)
@click.option("--log", "log_path", type=click.Path(dir_okay=False), help="Log file of the cron line.")
@click.option("--command", "command", help="How to run newsarchive (default: this installation's).")
@click.option(
    "-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Setting passed to the crawl."
)
def schedule(
    site: str,
    db_path: str,
    interval: str,
    log_path: str | None,
    command: str | None,
    settings: tuple[str, ...],
) -> None:
    """Print a cron line and a systemd service+timer that crawl SITE into the archive every interval.

    \b
    Example:
        newsarchive schedule tdi --db /srv/news/tdi.db --every 1h
        newsarchive schedule tdi --db tdi.db --every 15m --log /var/log/tdi.log
    """
    import shlex

    from crawler.schedule import render
    from crawler.sites import PROFILES

    if site not in PROFILES:
        raise click.BadParameter(
            f"unknown site {site!r} (known: {', '.join(sorted(PROFILES))})", param_hint="SITE"
        )
    db = Path(db_path).resolve()
    extra: list[str] = []
    for pair in settings:
        if "=" not in pair:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        extra += ["-s", pair]
    try:
        text = render(
            site,
            db=db,
            interval=interval,
            command=shlex.split(command) if command else _command(),
            workdir=db.parent,
            log=Path(log_path).resolve() if log_path else db.with_suffix(".log"),
            extra=extra,
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--every") from error
    click.echo(text.cron)
    click.echo(text.service)
    click.echo(text.timer)


def _command() -> list[str]:
    script = shutil.which("newsarchive")
    if script:
        return [str(Path(script).resolve())]
    return [sys.executable, "-m", "crawler.cli"]


recrawl_commands = [history, coverage, reextract, schedule]
