"""Extraction quality on real third-party pages of ``../shared/eval`` (skipped when it is absent).

The figures against trafilatura come from ``python -m bench.extraction``; these tests hold the line on
our own scores, on a share of each dataset to stay quick.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.extract import extract_article

if TYPE_CHECKING:
    from types import ModuleType

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"

pytestmark = pytest.mark.skipif(not (EVAL / "score.py").is_file(), reason=f"no evaluation pages at {EVAL}")


@cache
def _score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _run(dataset: str, limit: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    score = _score()
    folder, truth = score.load_dataset(dataset)
    keys = sorted(truth)[:limit]
    records = {}
    for key in keys:
        html = score.read_page(str(Path(folder) / truth[key]["file"]))
        records[key] = extract_article(html, truth[key].get("url") or "")
    return {k: truth[k] for k in keys}, records


def _body(dataset: str, limit: int) -> dict[str, float]:
    truth, records = _run(dataset, limit)
    keys = sorted(truth)
    return _score().score_bodies(
        [truth[k]["articleBody"] for k in keys], [records[k]["body_text"] for k in keys], 0, 0
    )


def _meta(dataset: str, limit: int) -> dict[str, Any]:
    truth, records = _run(dataset, limit)
    keys = sorted(truth)
    preds = [
        {
            "title": records[k]["title"],
            "author": "; ".join(records[k]["authors"]),
            "date": records[k]["published"],
        }
        for k in keys
    ]
    return _score().score_meta([truth[k] for k in keys], preds)


def test_newspaper_theme_pages_go_through_the_site_module() -> None:
    _, records = _run("newspaper-theme", 20)

    assert all(r["page_module"] == "newspaper" for r in records.values())
    assert all(r["field_layers"].get("body") == "site" for r in records.values())
    assert _body("newspaper-theme", 20)["f1"] >= 0.98
    meta = _meta("newspaper-theme", 20)
    assert meta["title"]["exact_match_rate"] >= 0.95
    assert meta["author"]["exact_match_rate"] >= 0.9


def test_newspaper_theme_bodies_leave_out_what_is_around_the_article() -> None:
    truth, records = _run("newspaper-theme", 20)

    checked, leaked = 0, []
    for key, item in truth.items():
        texts = item.get("must_not_contain") or []
        for text in ast.literal_eval(texts) if isinstance(texts, str) else texts:
            checked += 1
            if text in records[key]["body_text"]:
                leaked.append((key, text))
    assert checked >= 50
    # Known leaks: photo credit lines and promotional headings written as body paragraphs.
    assert len(leaked) <= 0.05 * checked, leaked


def test_fundus_pages_with_the_generic_extractor() -> None:
    assert _body("fundus-dev", 40)["f1"] >= 0.93
    meta = _meta("fundus-dev", 40)
    assert meta["date"]["exact_match_rate"] >= 0.95
    assert meta["title"]["exact_match_rate"] >= 0.7
    assert meta["author"]["exact_match_rate"] >= 0.75


def test_readability_pages_with_the_generic_extractor() -> None:
    assert _body("readability", 40)["f1"] >= 0.93
