"""The ``newsarchive`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.cli import archive_commands
from crawler import __version__
from crawler.cli_distributed import distributed_commands
from crawler.cli_recrawl import (
    ConfigError,
    archive_lock,
    check_faults,
    check_settings,
    recrawl_commands,
    serve_with_faults,
    summary_line,
)
from crawler.cli_sites import site_commands

DB_HELP = "Path of the SQLite archive."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsarchive")
def main() -> None:
    """Keep a faithful, queryable archive of news sites in one SQLite file."""


@main.command()
@click.argument("site")
@click.option(
    "--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False), help=DB_HELP
)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Crawl a saved copy of the site from this directory instead of the web.",
)
@click.option(
    "--replay-log",
    "replay_log",
    type=click.Path(dir_okay=False),
    help="With --replay: append every request the saved copy answered as a JSON line to this file.",
)
@click.option(
    "--replay-faults",
    "replay_faults",
    metavar="SPEC",
    help="With --replay: make the saved copy misbehave, e.g. rate=0.2,seed=7 (see docs/cli.md).",
)
@click.option("--sections", help="Comma-separated section URLs that replace the nav menu.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Listing pages per section at most.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Run as one worker of a distributed crawl sharing its frontier through this Redis "
    "(redis://HOST:PORT/DB); items go to `newsarchive ingest`, not to --db.",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a Scrapy or NEWSARCHIVE_ setting (repeatable).",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def crawl(
    site: str,
    db_path: str,
    replay_dir: str | None,
    replay_log: str | None,
    replay_faults: str | None,
    sections: str | None,
    max_pages: int | None,
    redis_url: str | None,
    settings: tuple[str, ...],
    log_level: str,
) -> None:
    """Crawl SITE into the archive: a site profile name (``tdi``), a site's URL or a profile .toml file.

    A URL without a site profile is crawled with the template its home page calls for (tagDiv
    Newspaper theme, other WordPress theme, any site); ``newsarchive detect URL`` shows which.

    \b
    Example:
        newsarchive crawl tdi --db tdi.db
        newsarchive crawl https://example.com/ --db example.db
        newsarchive crawl tdi --db demo.db --replay fixtures/sites
        newsarchive crawl tdi --redis redis://10.0.0.5:6379/0
    """
    from crawler.cli_sites import crawl_target

    spider, target_args, profile_settings = crawl_target(site, replay=replay_dir is not None)
    overrides: dict[str, object] = {**profile_settings, **_parse_settings(settings)}
    overrides["LOG_LEVEL"] = log_level.upper()
    check_settings(overrides)
    if replay_faults:
        check_faults(replay_faults, replay_dir)
    spider_args = {k: v for k, v in {"sections": sections, "max_pages": max_pages}.items() if v}
    spider_args.update(target_args)
    if redis_url:
        from crawler.cli_distributed import run_worker

        run_worker(
            spider, redis_url, db_path=db_path, replay_dir=replay_dir, spider_args=spider_args,
            overrides=overrides, replay_log=replay_log,
        )  # fmt: skip
        return
    _crawl_and_report(spider, db_path, replay_dir, spider_args, overrides, replay_log, replay_faults)


@main.command()
@click.option(
    "--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False), help=DB_HELP
)
@click.option(
    "--site-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Saved sites to replay (default: the bundled fixtures/sites).",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def demo(db_path: str, site_dir: str | None, log_level: str) -> None:
    """Crawl the bundled copy of The Diplomatic Insight, offline, into DB and summarise it.

    \b
    Example:
        newsarchive demo --db demo.db
    """
    from crawler.run import default_sites_dir

    sites = Path(site_dir) if site_dir else default_sites_dir()
    if not (sites / "thediplomaticinsight.com").is_dir():
        raise click.ClickException(
            f"no saved copy of thediplomaticinsight.com under {sites} (run from a source checkout, "
            "or pass --site-dir)"
        )
    click.echo(f"Replaying the saved copy of thediplomaticinsight.com from {sites} into {db_path} ...")
    _crawl_and_report("tdi", db_path, str(sites), {}, {"LOG_LEVEL": log_level.upper()}, strict=False)


@main.command("replay-server")
@click.argument("sites_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--log", "log_path", type=click.Path(dir_okay=False), help="Append every request as JSON here.")
@click.option("-v", "--verbose", is_flag=True, help="Print every request.")
@click.option("--faults", metavar="SPEC", help="Inject faults, e.g. rate=0.2,seed=7 (see docs/cli.md).")
def replay_server(sites_dir: str, port: int, log_path: str | None, verbose: bool, faults: str | None) -> None:
    """Serve saved sites on 127.0.0.1 as an HTTP proxy, so crawls replay them offline.

    SITES_DIR holds one folder per host (``thediplomaticinsight.com/``) or is one such folder.

    \b
    Example:
        newsarchive replay-server fixtures/sites --port 8080
        scrapy crawl tdi -s NEWSARCHIVE_REPLAY_PROXY=http://127.0.0.1:8080
    """
    from crawler.replay import ReplayError, serve_forever

    try:
        if faults:
            serve_with_faults(sites_dir, port, log_path, verbose, faults)
        else:
            serve_forever(sites_dir, port, log_path, verbose)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from exc


# --- helpers ----------------------------------------------------------------------------------------
def _parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        settings[name.strip()] = value
    return settings


def _crawl_and_report(
    site: str,
    db_path: str,
    replay_dir: str | None,
    spider_args: dict[str, object],
    overrides: dict[str, object],
    replay_log: str | None = None,
    replay_faults: str | None = None,
    *,
    strict: bool = True,
) -> None:
    """Crawl, print a summary and exit with the crawl's exit code (``strict=False``: 0 when partial)."""
    from archive import ArchiveError, open_archive
    from crawler import exitcodes
    from crawler.run import run_crawl

    with archive_lock(db_path):  # exit code 3 at once when another run holds the archive
        try:  # fail early, before Scrapy starts, on a file that is not an archive
            open_archive(db_path).close()
        except ArchiveError as exc:
            raise ConfigError(str(exc)) from exc
        result = run_crawl(
            site,
            db=db_path,
            replay_dir=replay_dir,
            spider_args=spider_args,
            settings=overrides,
            replay_log_path=replay_log,
            replay_faults=replay_faults,
        )
    code = result.exit_code
    if code != exitcodes.LOCKED:
        _print_summary(db_path, result.stats)
    if not result.ok:
        click.echo(f"Crawl ended early: {result.finish_reason}", err=True)
    click.echo(summary_line(site, result.stats, code))
    if code == exitcodes.PARTIAL and not strict:
        click.echo("(The saved copy has broken links on purpose: the demo exits with 0.)")
        code = exitcodes.OK
    if code:
        sys.exit(code)


def _print_summary(db_path: str, stats: dict[str, object]) -> None:
    from archive import open_archive
    from archive.queries import articles_per_section, count_articles, newest

    db = open_archive(db_path, readonly=True)
    try:
        new = stats.get("newsarchive/archive/new", 0)
        updated = stats.get("newsarchive/archive/updated", 0)
        unchanged = stats.get("newsarchive/archive/unchanged", 0)
        dropped = sum(
            v
            for k, v in stats.items()
            if k.startswith("newsarchive/validation/dropped/") and isinstance(v, int)
        )
        failed = sum(
            v for k, v in stats.items() if k.startswith("newsarchive/spider/failed/") and isinstance(v, int)
        )
        click.echo(
            f"\n{count_articles(db)} articles in {db_path} "
            f"(this crawl: {new} new, {updated} updated, {unchanged} unchanged, "
            f"{dropped} pages dropped, {failed} failed)"
        )
        click.echo("\nArticles per section:")
        for section, n in articles_per_section(db):
            click.echo(f"  {n:5d}  {section or '(none)'}")
        click.echo("\nNewest articles:")
        for row in newest(db, 5):
            click.echo(f"  {(row.get('published') or '')[:10]}  {row.get('title')}")
    finally:
        db.close()


for command in archive_commands:
    main.add_command(command)
for command in distributed_commands:
    main.add_command(command)
for command in site_commands:
    main.add_command(command)
for command in recrawl_commands:
    main.add_command(command)

if __name__ == "__main__":
    main()
