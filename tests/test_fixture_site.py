"""The saved TDI site under fixtures/: generated, deterministic, self-consistent, and true to the seed."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from fixtures.build.tdi import ContentError, build, load_content
from fixtures.build.tdi.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CONTENT = FIXTURES / "content" / "tdi"
HOST = "thediplomaticinsight.com"
SITE = FIXTURES / "sites" / HOST
MANIFEST = FIXTURES / "sites" / f"{HOST}.manifest.json"
EXPECTED = FIXTURES / "expected" / "tdi"
SEED = ROOT.parent / "shared" / "seed" / "tdi-article-as-text.txt"
SEED_SLUG = "icaft-conference-of-oas-led-by-mexico"
SEED_FIRST = "Mexico City, 6 October 2021 (TDI): The Fifth Conference"
SEED_LAST = "Canada, the US, and Jamaica; to ratify it."
SEED_BREADCRUMB = "HomeNewsDiplomatic NewsICAFT Conference of OAS led by Mexico"
HREF = re.compile(r"<a\s[^>]*?href=([\"'])(.*?)\1", re.S)
LOC = re.compile(r"<loc>(.*?)</loc>")
VARIANTS = {
    "seed", "dateline-colon", "no-dateline", "modified", "two-authors", "author-no-website",
    "two-categories", "inline-images", "embeds", "rich-blocks", "relative-date", "house-author",
    "tracking-links", "offsite-links", "inline-boilerplate", "no-visible-date",
}  # fmt: skip
EXPECTED_KEYS = {
    "_html", "url", "post_id", "page_type", "title", "subtitle", "authors", "published_raw",
    "published_source", "published", "modified_raw", "modified", "section_path", "section", "categories",
    "tags", "featured_image", "images", "embeds", "body_text", "dateline_place", "dateline_raw",
    "dateline_date", "language", "fetched_at",
}  # fmt: skip


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _outputs(out: Path) -> dict[str, bytes]:
    """Everything the generator writes, keyed by path under the fixtures root."""
    tree = {f"sites/{HOST}/{name}": data for name, data in _tree(out / "sites" / HOST).items()}
    tree[f"sites/{HOST}.manifest.json"] = (out / "sites" / f"{HOST}.manifest.json").read_bytes()
    tree |= {f"expected/tdi/{name}": data for name, data in _tree(out / "expected" / "tdi").items()}
    return tree


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tdi-fresh")
    build(CONTENT, out)
    return out


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site_files() -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in _tree(SITE).items()}


def _file_for(path: str) -> Path | None:
    """The saved file answering the URL path, as the replay server maps it."""
    if path.endswith("/"):
        for index in ("index.html", "index.xml"):
            if (SITE / path.lstrip("/") / index).is_file():
                return SITE / path.lstrip("/") / index
        return None
    target = SITE / path.lstrip("/")
    return target if target.is_file() else None


def _visible_text(page: Path) -> str:
    doc = lxml.html.fromstring(page.read_bytes())
    for node in doc.xpath("//script | //style"):
        node.drop_tree()
    return re.sub(r"\s+", " ", doc.text_content())


def _seed_paragraphs() -> list[str]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(SEED_FIRST))
    last = next(i for i, line in enumerate(lines) if line.endswith(SEED_LAST))
    return [line.strip() for line in lines[first : last + 1] if line.strip()]


# --- generation ------------------------------------------------------------------------------------


def test_generation_is_deterministic_and_replaces_stale_files(fresh: Path, tmp_path: Path) -> None:
    stale = [
        tmp_path / "sites" / HOST / "stale-article" / "index.html",
        tmp_path / "expected" / "tdi" / "old.json",
    ]
    for path in stale:
        path.parent.mkdir(parents=True)
        path.write_text("old", encoding="utf-8")
    build(CONTENT, tmp_path)
    assert [path for path in stale if path.exists()] == []
    first, second = _outputs(fresh), _outputs(tmp_path)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_committed_fixtures_equal_a_fresh_generation(fresh: Path) -> None:
    """Nobody edits the saved HTML by hand: regenerate with ``python -m fixtures.build.tdi``."""
    generated = _outputs(fresh)
    committed = _outputs(FIXTURES)
    assert sorted(committed.keys() - generated.keys()) == [], "stale files: regenerate the fixtures"
    assert sorted(generated.keys() - committed.keys()) == [], "missing files: regenerate the fixtures"
    assert [name for name in generated if generated[name] != committed[name]][:5] == []


# --- content checks --------------------------------------------------------------------------------


def _content_dir(tmp_path: Path, records: list[dict]) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    shutil.copy(CONTENT / "site.json", folder / "site.json")
    (folder / "articles_test.json").write_text(json.dumps(records), encoding="utf-8")
    return folder


def _record(**overrides: object) -> dict:
    record = {
        "slug": "a-test-post",
        "title": "A test post",
        "categories": ["world"],
        "authors": ["tdi"],
        "published": "2022-01-01T10:00:00+00:00",
        "blocks": ["One paragraph."],
    }
    record.update(overrides)
    return record


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([_record(categories=["sports"])], "unknown section 'sports'"),
        ([_record(authors=["nobody"])], "unknown author 'nobody'"),
        ([_record(), _record()], "duplicate"),
        ([_record(published="2022-13-01T10:00:00+00:00")], "bad date"),
        ([_record(published="2022-01-01T10:00:00+05:00")], "must be UTC"),
        ([_record(published="2027-01-01T10:00:00+00:00")], "after the snapshot"),
        (
            [_record(blocks=[{"p": "Text", "links": [{"text": "absent", "href": "/x/"}]}])],
            "not in its paragraph",
        ),
        ([_record(blocks=[{"read_more": {"slug": "no-such-post"}}])], "no such post"),
    ],
)
def test_content_errors_name_the_file_and_the_slug(tmp_path: Path, records: list[dict], message: str) -> None:
    with pytest.raises(ContentError) as error:
        load_content(_content_dir(tmp_path, records))
    assert "articles_test.json" in str(error.value)
    assert "a-test-post" in str(error.value)
    assert message in str(error.value)


def test_cli_reports_content_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = _content_dir(tmp_path, [_record(authors=["nobody"])])
    assert main(["--content", str(content), "--out", str(tmp_path / "out")]) == 1
    assert "unknown author 'nobody'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_post_ids_follow_publication_order() -> None:
    posts = load_content(CONTENT).posts
    assert [p.post_id for p in posts] == sorted(p.post_id for p in posts)
    assert [p.published for p in posts] == sorted(p.published for p in posts)
    assert posts[0].post_id == 1000


# --- the saved site --------------------------------------------------------------------------------


def test_every_internal_link_resolves(site_files: dict[str, str], manifest: dict) -> None:
    """Links lead to a saved page, to a URL broken on purpose, or to an image (not saved)."""
    dead = set(manifest["broken"]["404"]) | set(manifest["broken"]["500"]) | set(manifest["other_404"])
    dead_paths = {urlsplit(url).path for url in dead}
    unresolved = set()
    for name, text in site_files.items():
        if not name.endswith((".html", ".xml")):
            continue
        links = [html.unescape(m.group(2)) for m in HREF.finditer(text)] + LOC.findall(text)
        for link in links:
            parts = urlsplit(link)
            if parts.hostname != HOST or parts.path.startswith("/wp-content/"):
                continue
            if _file_for(parts.path or "/") is None and parts.path not in dead_paths:
                unresolved.add((name, link))
    assert sorted(unresolved)[:10] == []


def test_dead_links_have_no_page(manifest: dict) -> None:
    statuses = json.loads((SITE / "_site.json").read_text(encoding="utf-8"))["status"]
    for url in manifest["broken"]["404"] + manifest["other_404"]:
        assert _file_for(urlsplit(url).path) is None, url
    for url in manifest["broken"]["500"]:
        assert statuses[urlsplit(url).path] == 500
    assert (SITE / "404.html").is_file()


def test_tracking_links_point_at_articles(manifest: dict) -> None:
    assert any("utm_source=" in url for url in manifest["tracking_links"])
    assert any(url.endswith("#comments") for url in manifest["tracking_links"])
    articles = set(manifest["articles"])
    for url in manifest["tracking_links"]:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" in articles


def test_sections_paginate_to_their_last_page(manifest: dict) -> None:
    for url, info in manifest["sections"].items():
        path = urlsplit(url).path
        assert _file_for(path) is not None
        for number in range(2, info["pages"] + 1):
            assert _file_for(f"{path}page/{number}/") is not None, (url, number)
        assert _file_for(f"{path}page/{info['pages'] + 1}/") is None
        last = _file_for(path if info["pages"] == 1 else f"{path}page/{info['pages']}/")
        assert last is not None
        assert (
            f"Page {info['pages']} of {info['pages']}" in last.read_text(encoding="utf-8")
            or info["pages"] == 1
        )


def test_leaf_sections_have_at_least_three_pages(manifest: dict) -> None:
    leaves = [
        url
        for url in manifest["sections"]
        if not any(o != url and o.startswith(url) for o in manifest["sections"])
    ]
    assert len(leaves) == 8
    assert {
        url: manifest["sections"][url]["pages"] for url in leaves if manifest["sections"][url]["pages"] < 3
    } == {}


def test_every_article_page_is_a_post(manifest: dict) -> None:
    for url in manifest["articles"]:
        page = _file_for(urlsplit(url).path)
        assert page is not None, url
        head = page.read_text(encoding="utf-8")[:60000]
        assert re.search(r'<body class="[^"]*\bsingle-post\b[^"]*\bpostid-\d+', head), url


# --- expected outputs ------------------------------------------------------------------------------


def test_expected_outputs_cover_every_variant() -> None:
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXPECTED.glob("*.json"))]
    assert len(records) >= 20
    variants = {p.variant for p in load_content(CONTENT).posts if p.variant}
    assert variants >= VARIANTS
    for record in records:
        assert set(record) >= EXPECTED_KEYS, record["url"]
        assert (SITE / record["_html"]).is_file(), record["_html"]
        assert record["url"] == f"http://{HOST}/{record['_html'].removesuffix('index.html')}"


def test_expected_bodies_hold_no_boilerplate(manifest: dict) -> None:
    for path in EXPECTED.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))["body_text"]
        assert body and "\n\n\n" not in body and body == body.strip()
        assert [phrase for phrase in manifest["boilerplate_phrases"] if phrase in body] == [], path.name


def test_expected_values_are_on_the_page() -> None:
    for path in EXPECTED.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        page = SITE / record["_html"]
        text = _visible_text(page)
        source = page.read_text(encoding="utf-8")
        assert record["title"] in text
        for block in record["body_text"].split("\n\n"):
            for line in block.split("\n"):
                assert re.sub(r"^(- |\d+\. )", "", line).replace(" | ", "") in text, line
        assert f'content="{record["published_raw"]}"' in source
        assert f"postid-{record['post_id']} " in source


# --- the seed --------------------------------------------------------------------------------------


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed text is not available")
def test_seed_page_shows_the_seed_text() -> None:
    page = SITE / SEED_SLUG / "index.html"
    text = _visible_text(page)
    paragraphs = _seed_paragraphs()
    assert len(paragraphs) == 7
    for paragraph in paragraphs:
        assert paragraph in text
    expected = json.loads((EXPECTED / f"{SEED_SLUG}.json").read_text(encoding="utf-8"))
    assert expected["body_text"] == "\n\n".join(paragraphs)
    assert SEED_BREADCRUMB in text
    assert "Carla Esparza Arteagahttps://thediplomaticinsight.com" in text
