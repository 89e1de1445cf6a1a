"""A large generated Newspaper-theme site for the replay server: same markup as the saved TDI copy.

``python -m bench.largesite --articles 20000 --sections 50`` writes (or reuses) a site of synthetic
articles under a cache folder and prints where it is. The pages are rendered by the generator of the
saved TDI copy (``fixtures/build/tdi``) from synthetic content drawn from a seed, so the crawler sees
exactly the markup it sees on the TDI copy, at any size. Only the pages a crawl visits are written:
the home page, ``robots.txt``, every article, every listing page of every section, ``/about-us/``
and the 404 page. Every page but the 404 page also gets its gzip-compressed copy beside it
(``index.html.gz``, level 9), which the replay server sends as is to clients that accept gzip, as a
web server with nginx's ``gzip_static`` does.

Sections: one parent for every five sections, the others its sub-sections (50 sections: 10 parents
with 4 sub-sections each); articles are spread evenly over the leaf sections, and a parent's
archive lists its sub-sections' articles too, as WordPress does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import multiprocessing
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bench.report import Table, emit
from fixtures.build.tdi.archive import category_listing, pages, render_listing_page
from fixtures.build.tdi.article import render_article
from fixtures.build.tdi.build import file_name
from fixtures.build.tdi.feeds import robots_txt
from fixtures.build.tdi.markup import Render
from fixtures.build.tdi.menu import ABOUT_PATH
from fixtures.build.tdi.model import Author, Content, Dateline, Post, Section, SiteInfo, Tag
from fixtures.build.tdi.pages import render_about, render_home, render_not_found
from fixtures.build.tdi.text import local, site_date, slugify, texturize

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SITE_JSON = ROOT / "fixtures" / "content" / "tdi" / "site.json"
#: Bump when the generated pages change, so cached sites are rebuilt.
GENERATOR_VERSION = 2
#: Level of the precompressed copies (``NAME.gz``), as ``gzip -9`` makes them for ``gzip_static``.
GZIP_LEVEL = 9
MARKER = "bench-site.json"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newsarchive-bench"
#: Years of publication dates before the snapshot time.
YEARS = 12

_VOCABULARY = (
    "the of and to in a for on with as by at from that is was will its their this which has have said "
    "minister foreign ministry ambassador embassy delegation talks summit council bilateral relations "
    "cooperation trade investment energy security climate water border region regional corridor economic "
    "development agreement memorandum understanding visit meeting conference dialogue partnership "
    "government officials president prime parliament senate commission committee national international "
    "global strategic peace stability growth infrastructure connectivity railway port highway pipeline "
    "exports imports tariffs market markets finance bank fund loan debt budget inflation reform policy "
    "policies diplomats diplomacy leaders leader nations countries country people students university "
    "research culture cultural exhibition festival film music heritage tourism education health vaccine "
    "hospital relief humanitarian refugees migration labour workers industry agriculture wheat cotton "
    "rice textile technology digital cyber space satellite science innovation startups youth women "
    "rights justice court law elections democracy media press freedom journalists statement spokesperson "
    "joint communique framework roadmap initiative programme project projects phase second first new "
    "historic landmark key major important closer deeper broader stronger mutual shared common long-term "
    "sustainable inclusive friendly brotherly neighbouring Islamabad Beijing Kabul Tehran Ankara Riyadh "
    "Doha Moscow Brussels Geneva Washington London Tokyo Jakarta Nairobi Cairo Pakistan's China's Gulf "
    "Central Asian African European Arctic maritime naval defence counter-terrorism "
)
#: Words of the synthetic titles and paragraphs.
WORDS = tuple(_VOCABULARY.split())
PLACES = (
    "Islamabad", "Lahore", "Karachi", "Beijing", "Kabul", "Tehran", "Ankara", "Riyadh", "Doha", "Geneva",
    "New York", "Brussels", "Moscow", "Tokyo", "Jakarta", "Nairobi", "Cairo", "Baku", "Tashkent",
)  # fmt: skip
PARENT_NAMES = (
    "News", "Analysis", "Economy", "Regions", "Security", "Climate", "Technology", "Society", "Sports",
    "Science", "Health", "Education", "Travel", "Business", "Media",
)  # fmt: skip
CHILD_NAMES = (
    "Asia", "Europe", "Africa", "Americas", "Middle East", "Pacific", "Arctic", "Gulf", "Balkans", "Caucasus",
)  # fmt: skip
FIRST_NAMES = (
    "Amina", "Bilal", "Chen", "Daniela", "Emre", "Farah", "Hassan", "Ingrid", "Javed", "Kenji",
    "Leila", "Marco", "Nadia", "Omar", "Priya", "Rustam", "Sana", "Tomas", "Usman", "Yasmin",
)  # fmt: skip
LAST_NAMES = (
    "Ahmed", "Bauer", "Chaudhry", "Dimitrov", "Evans", "Farooq", "Gill", "Haider", "Iqbal",
    "Jensen", "Khan", "Lopez", "Malik", "Nakamura", "Okafor", "Qureshi", "Rashid", "Siddiqui",
)  # fmt: skip
AUTHORS = 24
TAGS = 400


@dataclass(frozen=True)
class SiteSpec:
    """What to generate: the number of articles and sections, listing page size and the seed."""

    articles: int = 20_000
    sections: int = 50
    per_page: int = 10
    seed: int = 1

    def __post_init__(self) -> None:
        if self.articles < 1 or self.sections < 1 or self.per_page < 1:
            raise ValueError("articles, sections and per_page must be at least 1")

    @property
    def name(self) -> str:
        return (
            f"site-{self.articles}a-{self.sections}s-{self.per_page}pp-seed{self.seed}-v{GENERATOR_VERSION}"
        )


@dataclass(frozen=True)
class LargeSite:
    """A generated site on disk: ``sites_dir`` is what the replay server serves."""

    sites_dir: Path
    spec: SiteSpec
    host: str
    #: Canonical URLs of every article.
    articles: int
    listing_pages: int
    files: int
    bytes: int
    #: Seconds the generation took (0 when a cached copy was reused).
    seconds: float = 0.0
    #: Bytes of the precompressed copies (``NAME.gz``), beside ``bytes``.
    gzip_bytes: int = 0

    @property
    def site_dir(self) -> Path:
        return self.sites_dir / self.host


class IndexedContent(Content):
    """A :class:`Content` whose lookups are indexed once, so rendering stays fast at any size."""

    @cached_property
    def newest_first(self) -> list[Post]:  # type: ignore[override]
        return sorted(self.posts, key=lambda p: (p.published, p.post_id), reverse=True)

    @cached_property
    def _by_section(self) -> dict[str, list[Post]]:
        index: dict[str, list[Post]] = {s.slug: [] for s in self.sections}
        for post in self.newest_first:
            covered = {s.slug for c in post.categories for s in c.lineage}
            for slug in covered:
                index[slug].append(post)
        return index

    @cached_property
    def _by_slug(self) -> dict[str, Post]:
        return {p.slug: p for p in self.posts}

    def section_posts(self, section: Section) -> list[Post]:
        return self._by_section[section.slug]

    def post(self, slug: str) -> Post:
        return self._by_slug[slug]

    @cached_property
    def popular(self) -> list[Post]:  # type: ignore[override]
        return self.newest_first[:5]


# --- synthetic content ----------------------------------------------------------------------------


def site_info(per_page: int) -> SiteInfo:
    """The TDI site settings (host, timezone, language, snapshot time) with ``per_page`` posts a page."""
    raw = json.loads(SITE_JSON.read_text(encoding="utf-8"))
    return SiteInfo(
        host=raw["host"],
        base_url=raw["base_url"].rstrip("/"),
        name=raw["name"],
        timezone=ZoneInfo(raw["timezone"]),
        language=raw["language"],
        snapshot=datetime.fromisoformat(raw["snapshot_time"]),
        posts_per_page=per_page,
    )


def make_sections(count: int) -> list[Section]:
    """``count`` sections: a parent for every five, the rest spread over the parents as children."""
    parents_count = max(1, round(count / 5))
    sections: list[Section] = []
    parents = []
    for index in range(parents_count):
        name = _nth_name(PARENT_NAMES, index)
        parent = Section(slugify(name), name, term_id=0)
        parents.append(parent)
    children_count = count - parents_count
    for index in range(children_count):
        parent = parents[index % parents_count]
        region = _nth_name(CHILD_NAMES, index // parents_count)
        name = f"{region} {parent.name}"
        child = Section(slugify(name), name, term_id=0, parent=parent)
        parent.children.append(child)
    for parent in parents:
        sections.append(parent)
        sections.extend(parent.children)
    for index, section in enumerate(sections):
        section.term_id = 40 + index
    return sections


def _nth_name(names: tuple[str, ...], index: int) -> str:
    return names[index] if index < len(names) else f"{names[index % len(names)]} {index // len(names) + 1}"


def make_authors() -> list[Author]:
    authors = []
    for index in range(AUTHORS):
        name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[(index * 7) % len(LAST_NAMES)]}"
        topics = f"{WORDS[40 + index]} and {WORDS[80 + index]}"
        bio = f"{name} writes for the site on {topics} from {PLACES[index % len(PLACES)]}."
        website = "https://thediplomaticinsight.com" if index % 3 else None
        authors.append(Author(slugify(name), name, website, bio, user_id=index + 2))
    return authors


def make_tags() -> list[Tag]:
    rng = random.Random("tags")
    tags: dict[str, Tag] = {}
    while len(tags) < TAGS:
        name = " ".join(w.capitalize() for w in rng.sample(WORDS[30:], rng.choice((1, 2, 2))))
        slug = slugify(name)
        if slug and slug not in tags:
            tags[slug] = Tag(name, slug, 300 + len(tags))
    return sorted(tags.values(), key=lambda t: t.slug)


def synthetic_content(spec: SiteSpec) -> IndexedContent:
    """The content of the site of ``spec``: the same spec always gives the same content."""
    site = site_info(spec.per_page)
    sections = make_sections(spec.sections)
    leaves = [s for s in sections if not s.children]
    authors = make_authors()
    tags = make_tags()
    posts = [_post(spec.seed, index, site, leaves, authors, tags) for index in range(spec.articles)]
    posts.sort(key=lambda p: (p.published, p.slug))
    for index, post in enumerate(posts):
        post.post_id = 1000 + 10 * index
    used = {t.slug for p in posts for t in p.tags}
    return IndexedContent(site, sections, authors, [t for t in tags if t.slug in used], posts)


def _post(
    seed: int, index: int, site: SiteInfo, leaves: list[Section], authors: list[Author], tags: list[Tag]
) -> Post:
    rng = random.Random(f"{seed}-{index}")
    title = _sentence(rng, rng.randint(5, 11), end="")
    published = (site.snapshot - timedelta(seconds=rng.randint(3600, YEARS * 365 * 86400))).astimezone(
        timezone.utc
    )
    modified = None
    if rng.random() < 0.3:
        modified = min(published + timedelta(seconds=rng.randint(3600, 30 * 86400)), site.snapshot)
        modified = modified if modified > published else None
    dateline = None
    if rng.random() < 0.5:
        dateline = Dateline(rng.choice(PLACES), ",", site_date(local(published, site.timezone)))
    image = {"caption": _sentence(rng, rng.randint(6, 12)), "alt": None} if rng.random() < 0.85 else None
    return Post(
        slug=f"{slugify(title)}-{index}",
        title=title,
        subtitle=_sentence(rng, rng.randint(10, 18)) if rng.random() < 0.2 else None,
        categories=[leaves[index % len(leaves)]],
        authors=rng.sample(authors, 2 if rng.random() < 0.15 else 1),
        published=published,
        modified=modified,
        visible_date=None,
        hide_date=False,
        dateline=dateline,
        tags=rng.sample(tags, rng.randint(0, 4)),
        image=image,
        blocks=_blocks(rng),
        variant=None,
        popular=None,
        source="synthetic",
    )


def _blocks(rng: random.Random) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [_paragraph(rng)]
    figures = 0
    for _ in range(rng.randint(4, 12)):
        roll = rng.random()
        if roll < 0.12:
            blocks.append({"h2": _sentence(rng, rng.randint(3, 8), end="")})
        elif roll < 0.2:
            blocks.append({"ul": [_sentence(rng, rng.randint(5, 12)) for _ in range(rng.randint(2, 5))]})
        elif roll < 0.24:
            blocks.append({"blockquote": [_sentence(rng, rng.randint(12, 25))]})
        elif roll < 0.3 and figures < 2:
            figures += 1
            blocks.append({"figure": {"caption": _sentence(rng, rng.randint(6, 12))}})
        else:
            blocks.append(_paragraph(rng))
    return blocks


def _paragraph(rng: random.Random) -> dict[str, Any]:
    text = " ".join(_sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(2, 6)))
    return {"p": text, "links": []}


def _sentence(rng: random.Random, words: int, end: str = ".") -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen[0] = chosen[0][:1].upper() + chosen[0][1:]
    return " ".join(chosen) + end


# --- rendering ------------------------------------------------------------------------------------

#: The content of the site being written, shared with forked workers.
_CONTENT: IndexedContent | None = None


def page_tasks(content: Content) -> Iterator[tuple[str, int, int]]:
    """Every page to render: ``("article", post index, 0)`` and ``("listing", section index, page)``."""
    for index in range(len(content.posts)):
        yield "article", index, 0
    shared = Render(content)
    for index, section in enumerate(content.sections):
        for _path, number in pages(shared, category_listing(shared, section)):
            yield "listing", index, number


def render_task(content: Content, task: tuple[str, int, int]) -> tuple[str, str]:
    """``(site-relative path, HTML)`` of one task of :func:`page_tasks`."""
    kind, index, number = task
    if kind == "article":
        post = content.posts[index]
        return post.path, render_article(Render(content), post)
    section = content.sections[index]
    render = Render(content)
    listing = category_listing(render, section)
    path = listing.base_path if number == 1 else f"{listing.base_path}page/{number}/"
    return path, render_listing_page(render, listing, number, section=section)


def _write_tasks(args: tuple[Path, list[tuple[str, int, int]]]) -> tuple[int, int]:
    site_dir, tasks = args
    assert _CONTENT is not None
    written = compressed = 0
    for task in tasks:
        path, html = render_task(_CONTENT, task)
        sizes = _write_page(site_dir / file_name(path), html)
        written, compressed = written + sizes[0], compressed + sizes[1]
        if task[0] == "article":
            texturize.cache_clear()  # memoised per text: unbounded over 20k articles
    return written, compressed


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _write_page(path: Path, text: str) -> tuple[int, int]:
    """Write a page and then its precompressed copy ``NAME.gz``; the bytes of each."""
    size = _write(path, text)
    data = gzip.compress(text.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)
    path.with_name(path.name + ".gz").write_bytes(data)
    return size, len(data)


def generate(spec: SiteSpec, sites_dir: Path, workers: int = 0) -> LargeSite:
    """Write the site of ``spec`` under ``sites_dir/<host>/`` (replacing it) with ``workers`` processes."""
    global _CONTENT
    started = time.perf_counter()
    content = synthetic_content(spec)
    host = content.site.host
    site_dir = sites_dir / host
    if site_dir.exists():
        shutil.rmtree(site_dir)
    site_dir.mkdir(parents=True)
    tasks = list(page_tasks(content))
    shared = Render(content)
    fixed = {
        "/": render_home(Render(content)),
        ABOUT_PATH: render_about(Render(content)),
        "/robots.txt": robots_txt(shared),
    }
    written = [_write_page(site_dir / file_name(path), html) for path, html in fixed.items()]
    size, gzip_size = sum(w[0] for w in written), sum(w[1] for w in written)
    size += _write(site_dir / "404.html", render_not_found(Render(content)))
    size += _write(site_dir / "_site.json", json.dumps({"last_modified": content.site.snapshot.isoformat()}))
    workers = workers or max(1, multiprocessing.cpu_count())
    chunks = [(site_dir, tasks[start::workers]) for start in range(workers)]
    _CONTENT = content
    try:
        if workers == 1 or sys.platform == "win32":
            written = list(map(_write_tasks, chunks))
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                written = pool.map(_write_tasks, chunks)
    finally:
        _CONTENT = None
    size += sum(w[0] for w in written)
    gzip_size += sum(w[1] for w in written)
    listing_pages = sum(1 for task in tasks if task[0] == "listing")
    site = LargeSite(
        sites_dir,
        spec,
        host,
        articles=len(content.posts),
        listing_pages=listing_pages,
        files=len(tasks) + len(fixed) + 2,
        bytes=size,
        seconds=time.perf_counter() - started,
        gzip_bytes=gzip_size,
    )
    _write(sites_dir / MARKER, json.dumps({**asdict(spec), **_counts(site)}, indent=2))
    return site


def _counts(site: LargeSite) -> dict[str, Any]:
    return {
        "host": site.host,
        "article_count": site.articles,
        "listing_pages": site.listing_pages,
        "files": site.files,
        "bytes": site.bytes,
        "gzip_bytes": site.gzip_bytes,
    }


def ensure_site(spec: SiteSpec, cache_dir: Path | None = None, workers: int = 0) -> LargeSite:
    """The site of ``spec`` in ``cache_dir`` (default ``$TMPDIR/newsarchive-bench``), generated if missing."""
    sites_dir = (cache_dir or DEFAULT_CACHE) / spec.name
    cached = load_site(sites_dir)
    if cached is not None and cached.spec == spec:
        return cached
    logger.info("Generating %s", sites_dir)
    return generate(spec, sites_dir, workers)


def load_site(sites_dir: Path) -> LargeSite | None:
    """The generated site of ``sites_dir``, or None when it is missing or incomplete."""
    try:
        data = json.loads((sites_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    spec = SiteSpec(data["articles"], data["sections"], data["per_page"], data["seed"])
    return LargeSite(
        sites_dir,
        spec,
        data["host"],
        articles=data["article_count"],
        listing_pages=data["listing_pages"],
        files=data["files"],
        bytes=data["bytes"],
        gzip_bytes=data.get("gzip_bytes", 0),
    )


def site_table(sites: list[LargeSite]) -> Table:
    table = Table(
        "Generated sites",
        ["articles", "sections", "listing pages", "files", "MB", ".gz MB", "generation s", "folder"],
    )
    for site in sites:
        table.add(
            site.articles,
            site.spec.sections,
            site.listing_pages,
            site.files,
            site.bytes / 1e6,
            site.gzip_bytes / 1e6,
            site.seconds or None,
            str(site.sites_dir),
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.largesite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20_000], help="articles (default 20000)")
    parser.add_argument("--sections", type=int, default=50, help="sections, parents included (default 50)")
    parser.add_argument("--per-page", type=int, default=10, help="articles per listing page (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    parser.add_argument("--workers", type=int, default=0, help="rendering processes (default: CPUs)")
    parser.add_argument("--force", action="store_true", help="regenerate even when a cached copy exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sites = []
    for articles in args.articles:
        spec = SiteSpec(articles, args.sections, args.per_page, args.seed)
        if args.force:
            sites.append(generate(spec, args.cache_dir / spec.name, args.workers))
        else:
            sites.append(ensure_site(spec, args.cache_dir, args.workers))
    emit(site_table(sites), header="Large site")
    return 0


if __name__ == "__main__":
    sys.exit(main())
