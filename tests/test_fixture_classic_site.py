"""The saved Meridian Courier site (classic Newspaper templates): generated, deterministic, consistent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fixtures.build.classic import ContentError, build, load_content
from fixtures.build.classic.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CONTENT = FIXTURES / "content" / "classic"
HOST = "meridiancourier.example"
SITE = FIXTURES / "sites" / HOST
MANIFEST = FIXTURES / "sites" / f"{HOST}.manifest.json"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("classic-fresh")
    build(CONTENT, out)
    return out


def test_committed_copy_is_what_the_generator_writes(fresh: Path) -> None:
    assert _tree(fresh / "sites" / HOST) == _tree(SITE)
    assert (fresh / "sites" / f"{HOST}.manifest.json").read_bytes() == MANIFEST.read_bytes()


def test_the_generator_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert _tree(tmp_path / "sites" / HOST) == _tree(fresh / "sites" / HOST)


def test_every_article_and_listing_page_is_a_file() -> None:
    manifest = json.loads(MANIFEST.read_text())
    for url in manifest["articles"]:
        path = url.removeprefix(f"http://{HOST}/")
        assert (SITE / path / "index.html").is_file(), url
    for url, section in manifest["sections"].items():
        path = url.removeprefix(f"http://{HOST}/")
        assert (SITE / path / "index.html").is_file()
        for page in range(2, section["pages"] + 1):
            assert (SITE / path / "page" / str(page) / "index.html").is_file()
        assert not (SITE / path / "page" / str(section["pages"] + 1)).exists()
    assert len(manifest["articles"]) == 34
    assert max(s["pages"] for s in manifest["sections"].values()) == 3


def test_the_site_uses_the_classic_templates_and_its_own_section_layout() -> None:
    article = (SITE / "2024/06/03/fishing-fleet-protests-against-new-quotas/index.html").read_text()
    listing = (SITE / "news/page/2/index.html").read_text()
    home = (SITE / "index.html").read_text()

    assert "single_template_2" in article and "td-post-content" in article and "tdb_" not in article
    assert 'class="sf-menu"' in home and "block-mega-child-cats" in home and "tdb-menu" not in home
    assert "/category/" not in home  # the category base is stripped: /news/city/
    assert 'href="http://meridiancourier.example/business/harbour/"' in home
    assert "td-ss-main-content" in listing and 'aria-label="next-page"' not in listing
    assert '<span class="current">2</span>' in listing


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"section": "weather"}, "unknown section 'weather'"),
        ({"authors": ["nobody"]}, "unknown author"),
        ({"published": "2024-06-03T06:55:00+01:00"}, "dates must be given in UTC"),
        ({"slug": "council-approves-new-tram-line-to-the-harbour"}, "duplicate slug"),
    ],
)
def test_content_errors_stop_the_generator(tmp_path: Path, change: dict, message: str) -> None:
    content = _copy(tmp_path)
    articles = json.loads((content / "articles.json").read_text())
    articles[-1].update(change)
    (content / "articles.json").write_text(json.dumps(articles))

    with pytest.raises(ContentError, match=message):
        load_content(content)
