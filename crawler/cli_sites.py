"""Commands for sites beyond the built-in ones: ``detect``, ``extract``, ``fixture record|check``.

Registered on the ``newsarchive`` group by :mod:`crawler.cli`; :func:`crawl_target` is how
``newsarchive crawl`` turns its SITE argument (a profile name, a URL or a profile file) into a spider.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from crawler.sites import SiteProfile

logger = logging.getLogger(__name__)

REPLAY_HELP = "Fetch from the saved sites in this directory (replay server on 127.0.0.1), not the web."


# --- newsarchive crawl SITE -----------------------------------------------------------------------


def crawl_target(site: str, *, replay: bool = False) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(spider name, spider arguments, settings)`` for ``newsarchive crawl SITE``.

    SITE is a site profile name (``tdi``), a URL (``https://example.com/``: its profile, else the
    template its home page calls for) or a profile file (``mysite.toml``). The settings are the
    profile's politeness overrides (none when replaying a saved copy). ``click.BadParameter`` otherwise.
    """
    from crawler.profiles import ProfileError, load_profile_file
    from crawler.profiles.schema import politeness_settings
    from crawler.sites import PROFILES

    if site in PROFILES:
        profile = PROFILES[site]
        spider, args = (site, {}) if site in _spider_names() else ("newspaper", {"site": site})
    elif site.startswith(("http://", "https://")):
        from crawler.detect import profile_for

        profile = profile_for(site)
        spider, args = "site", {"url": site}
    elif site.endswith(".toml"):
        try:
            profile = load_profile_file(site)
        except ProfileError as exc:
            raise click.BadParameter(str(exc), param_hint="SITE") from exc
        spider, args = "site", {"profile_file": site}
    else:
        known = ", ".join(sorted(PROFILES))
        raise click.BadParameter(
            f"unknown site {site!r} (known: {known}; or give the site's URL, or a profile .toml file)",
            param_hint="SITE",
        )
    return spider, args, {} if replay else politeness_settings(profile)


def _spider_names() -> list[str]:
    from scrapy.spiderloader import SpiderLoader

    from crawler.run import project_settings

    return list(SpiderLoader.from_settings(project_settings()).list())


# --- newsarchive detect URL -------------------------------------------------------------------------


@click.command()
@click.argument("url")
@click.option("--replay", "replay_dir", type=click.Path(exists=True, file_okay=False), help=REPLAY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def detect(url: str, replay_dir: str | None, as_json: bool) -> None:
    """Fetch URL and print what a crawl of its site would use: profile, theme, page module, sections.

    A site without a profile is crawled with the template its pages call for: ``newspaper`` (tagDiv
    Newspaper theme, classic or Composer templates), ``wordpress`` or ``generic``.

    \b
    Example:
        newsarchive detect https://example.com/
        newsarchive detect http://dailymeridian.example/ --replay fixtures/sites
    """
    from crawler.fetch import FetchError, fetcher

    try:
        with fetcher(replay_dir) as fetch:
            page = fetch(url)
    except FetchError as exc:
        raise click.ClickException(str(exc)) from exc
    if page.status != 200:
        raise click.ClickException(f"{url}: HTTP {page.status}")
    report = detection_report(page.body, page.final_url, encoding=page.encoding, fetched_at=page.fetched_at)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_detection(report))


def detection_report(
    html: bytes | str, url: str, *, encoding: str | None = None, fetched_at: str | None = None
) -> dict[str, Any]:
    """What :func:`detect` prints, as data."""
    from crawler.chain import parse_page
    from crawler.detect import detect as run_detect
    from crawler.detect import known_profile, profile_from_template
    from crawler.extract import extract as extract_page
    from crawler.pages.modules import get_module
    from crawler.profiles import data_of

    page = parse_page(html, url, encoding)
    found = run_detect(html, url, page)
    known = known_profile(url)
    profile = known or profile_from_template(found.template_name, url)
    module = get_module(profile.page_module)
    sections = list(profile.sections) or module.nav_section_urls(page, url)
    report: dict[str, Any] = {
        "url": url,
        "detection": found.as_dict(),
        "profile": profile.name,
        "profile_kind": "site profile" if known else f"{found.template_name} template",
        "page_module": profile.page_module,
        "sections_from": "profile" if profile.sections else "nav menu",
        "sections": sections,
        "profile_data": data_of(profile),
    }
    article, _ = extract_page(html, url, fetched_at=fetched_at, profile=profile, encoding=encoding)
    if article.page_type == "article":
        from crawler.layering import field_layers

        report["article"] = {
            "title": article.title,
            "authors": [a.name for a in article.authors],
            "published": article.published,
            "field_sources": article.field_sources,
            "field_layers": field_layers(article),
        }
    return report


def format_detection(report: dict[str, Any]) -> str:
    """The text :func:`detect` prints."""
    found: dict[str, Any] = report["detection"]
    theme = "tagDiv Newspaper" if found["theme"] == "newspaper" else "none recognised"
    if found["theme"] == "newspaper":
        details = [f"version {found['theme_version']}" if found["theme_version"] else ""]
        details += [f"{found['header']} header" if found["header"] else ""]
        details += [f"{found['template']} single template" if found["template"] else ""]
        theme += " (" + ", ".join(d for d in details if d) + ")" if any(details) else ""
    lines = [
        f"URL:          {report['url']}",
        f"WordPress:    {'yes' if found['wordpress'] else 'no'}",
        f"Theme:        {theme}",
        f"Profile:      {report['profile']} ({report['profile_kind']})",
        f"Page module:  {report['page_module']}",
        f"Sections:     {len(report['sections'])} from the {report['sections_from']}",
    ]
    lines += [f"              {url}" for url in report["sections"][:12]]
    if len(report["sections"]) > 12:
        lines.append(f"              ... and {len(report['sections']) - 12} more")
    lines.append("Evidence:")
    lines += [f"  - {signal}" for signal in found["signals"]] or ["  (none)"]
    article = report.get("article")
    if article:
        lines.append(f"Article:      {article['title']}")
        for name, source in sorted(article["field_sources"].items()):
            lines.append(f"  {name:15s} {source}")
    return "\n".join(lines)


# --- newsarchive extract FILE --url URL ----------------------------------------------------------------


@click.command()
@click.argument("source", metavar="FILE|-")
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--fetched-at", help="When it was fetched (ISO 8601; default now): base of relative dates.")
@click.option("--profile", "profile_name", help="A site profile name or .toml file (default: as a crawl).")
@click.option("--encoding", help="The page's charset, when it does not declare one.")
def extract(
    source: str, url: str, fetched_at: str | None, profile_name: str | None, encoding: str | None
) -> None:
    """Extract the article of a saved page (FILE, or - for standard input) and print it as JSON.

    The profile and the extraction layers are chosen as a crawl would (site profile of the URL's
    host, else the template the page calls for); ``field_layers`` says which layer gave each field.

    \b
    Example:
        newsarchive extract page.html --url https://example.com/2024/05/01/story/
        curl -s https://example.com/story/ | newsarchive extract - --url https://example.com/story/
    """
    from crawler.extract import extract_article

    html = sys.stdin.buffer.read() if source == "-" else _read(source)
    profile = _profile_option(profile_name) if profile_name else None
    record = extract_article(html, url, fetched_at=fetched_at, profile=profile, encoding=encoding)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror or exc}", param_hint="FILE") from exc


def _profile_option(name: str) -> SiteProfile:
    from crawler.profiles import ProfileError, load_profile_file
    from crawler.sites import PROFILES

    if name in PROFILES:
        return PROFILES[name]
    if name.endswith(".toml"):
        try:
            return load_profile_file(name)
        except ProfileError as exc:
            raise click.BadParameter(str(exc), param_hint="--profile") from exc
    known = ", ".join(sorted(PROFILES))
    raise click.BadParameter(f"unknown profile {name!r} (known: {known})", param_hint="--profile")


# --- newsarchive fixture record|check -------------------------------------------------------------------


@click.group()
def fixture() -> None:
    """Saved pages with their expected extraction (fixtures/pages/<site>/): record, check, update.

    ``record`` saves pages with their URL and fetch time and writes their expected output from the
    current extraction, for review; ``check`` replays every saved page offline and diffs the output
    field by field (exit code 1 on a difference); ``check --update`` rewrites the expected outputs.

    \b
    Example:
        newsarchive fixture record http://meridiancourier.example/news/ --replay fixtures/sites
        newsarchive fixture check
        newsarchive fixture check --update
    """


DIR_OPTION = click.option(
    "--dir",
    "root",
    default="fixtures/pages",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where saved pages live.",
)


@fixture.command("record")
@click.argument("urls", nargs=-1, required=True)
@DIR_OPTION
@click.option("--replay", "replay_dir", type=click.Path(exists=True, file_okay=False), help=REPLAY_HELP)
@click.option(
    "--from-archive",
    "db_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Take the pages from this archive's stored captures (WARC) instead of fetching them.",
)
@click.option("--overwrite", is_flag=True, help="Replace pages saved before.")
def record(
    urls: tuple[str, ...], root: str, replay_dir: str | None, db_path: str | None, overwrite: bool
) -> None:
    """Save each URL's page under DIR/<site>/ with its URL and fetch time, and its expected output.

    The expected output is the current extraction: review it (git diff), correct the code or the
    expected file, then keep it. Live fetches obey robots.txt.

    \b
    Example:
        newsarchive fixture record https://example.com/2024/05/01/story/
        newsarchive fixture record http://dailymeridian.example/politics/budget/ --replay fixtures/sites
        newsarchive fixture record https://example.com/story/ --from-archive archive.db
    """
    from crawler.fetch import FetchError, fetcher
    from crawler.pagefixtures.record import RecordError, record_from_archive, record_urls

    if replay_dir and db_path:
        raise click.BadParameter("use --replay or --from-archive, not both", param_hint="--from-archive")
    try:
        if db_path:
            saved = record_from_archive(list(urls), db_path, root=root, overwrite=overwrite)
        else:
            with fetcher(replay_dir) as fetch:
                source = "replay" if replay_dir else "live"
                saved = record_urls(list(urls), fetch, root=root, source=source, overwrite=overwrite)
    except (RecordError, FetchError) as exc:
        raise click.ClickException(str(exc)) from exc
    for page in saved:
        expected = page.expected or {}
        click.echo(f"{page.html_path}  ({page.meta['fetched_at']})")
        authors = ", ".join(expected.get("authors") or []) or "?"
        click.echo(
            f"  {expected.get('page_type')}: {expected.get('title')!r} by {authors}, "
            f"{expected.get('published') or 'no date'}, {len(expected.get('body_text') or '')} characters"
        )
        click.echo(f"  layers: {json.dumps(expected.get('field_layers'), sort_keys=True)}")
    click.echo(f"{len(saved)} page(s) saved: review {root}/<site>/*.expected.json before committing them.")


@fixture.command("check")
@DIR_OPTION
@click.option("--site", help="Only this site's pages.")
@click.option("--update", is_flag=True, help="Rewrite the expected outputs from the current extraction.")
def check(root: str, site: str | None, update: bool) -> None:
    """Re-extract every saved page offline ("now" = its fetch time) and diff it field by field.

    Exit code 1 when a field differs or a page has no expected output yet.

    \b
    Example:
        newsarchive fixture check
        newsarchive fixture check --site dailymeridian.example --update
    """
    from crawler.pagefixtures import check_fixtures

    report = check_fixtures(root, site=site, update=update)
    if update:
        click.echo(f"{report.pages} page(s) checked, {len(report.updated)} expected output(s) rewritten")
        for page in report.updated:
            click.echo(f"  updated {page}")
        return
    for diff in report.diffs:
        click.echo(diff.describe())
    for page in report.missing:
        click.echo(f"{page}: no expected output (run with --update, then review it)")
    pages = len({d.page for d in report.diffs} | set(report.missing))
    click.echo(f"{report.pages} page(s) checked: {len(report.diffs)} field(s) differ on {pages} page(s)")
    if not report.ok:
        sys.exit(1)


site_commands = [detect, extract, fixture]
