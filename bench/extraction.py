"""Extraction quality and speed on real third-party pages: newsarchive against trafilatura, same run.

``python -m bench.extraction [--dataset NAME ...] [--limit N] [--json FILE]``

Reads the evaluation pages of ``../shared/eval`` (beside the checkout; ``--eval-dir`` elsewhere):
Newspaper-theme pages, Fundus per-publisher fixtures and Mozilla Readability's test pages. Each
page goes through :func:`crawler.extract.extract_article` (the chain a crawl runs: site profile or
detected template, site selectors, structured data, generic extractor, cleaning, dates) and through
``trafilatura.bare_extraction`` (text and metadata in one call), alternately, in this process.
Scoring is the evaluation's own ``score.py``: body precision, recall and F1 of word 4-grams; exact
match of title, author and date. Pages per second are wall-clock, after a warm-up, and a page's
path is reported: the site module (Newspaper theme detected, body from its selectors) or generic.

Needs ``pip install -e '.[bench]'`` (trafilatura). Without the evaluation folder it says so and
exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.report import Table, machine

if TYPE_CHECKING:
    from types import ModuleType

DEFAULT_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DATASETS = ("newspaper-theme", "fundus-dev", "readability")
WARM_UP = 3


@dataclass
class Run:
    """One system's outputs and timings on one dataset."""

    system: str
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def pages_per_second(self, keys: list[str] | None = None) -> float | None:
        keys = list(self.seconds) if keys is None else keys
        total = sum(self.seconds[k] for k in keys)
        return len(keys) / total if keys and total else None


def load_scorer(eval_dir: Path) -> ModuleType:
    """``score.py`` of the evaluation folder, imported as a module."""
    spec = importlib.util.spec_from_file_location("eval_score", eval_dir / "score.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no score.py in {eval_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(html: str, url: str) -> tuple[str, dict[str, Any], str]:
    """newsarchive: body text, metadata and the path the page took (``site module`` or ``generic``)."""
    from crawler.extract import extract_article

    record = extract_article(html, url)
    meta = {"title": record["title"], "author": "; ".join(record["authors"]), "date": record["published"]}
    site = record["page_module"] == "newspaper" and record["field_layers"].get("body") == "site"
    return record["body_text"], meta, "site module" if site else "generic"


def trafilatura_page(html: str, url: str) -> tuple[str, dict[str, Any], str]:
    """trafilatura 2: ``bare_extraction`` with its metadata, comments left out."""
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False)
    if document is None:
        return "", {}, "generic"
    return (
        document.text or "",
        {"title": document.title, "author": document.author, "date": document.date},
        "generic",
    )


SYSTEMS = {"newsarchive": ours, "trafilatura": trafilatura_page}


def run_dataset(score: ModuleType, name: str, limit: int | None) -> tuple[dict[str, Any], dict[str, Run]]:
    folder, truth = score.load_dataset(name)
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    pages = {k: score.read_page(str(Path(folder) / truth[k]["file"])) for k in keys}
    runs = {system: Run(system) for system in SYSTEMS}
    for key in keys[:WARM_UP]:  # imports, caches and lazily built parsers are not timed
        for fn in SYSTEMS.values():
            fn(pages[key], truth[key].get("url") or "")
    for key in keys:
        for system, fn in SYSTEMS.items():
            run = runs[system]
            start = time.perf_counter()
            try:
                text, meta, path = fn(pages[key], truth[key].get("url") or "")
            except Exception as exc:  # a crash is an empty answer, as in score.py
                text, meta, path = "", {}, "error"
                run.errors[key] = f"{type(exc).__name__}: {exc}"[:200]
            run.seconds[key] = time.perf_counter() - start
            run.texts[key], run.meta[key], run.paths[key] = text, meta, path
    return {k: truth[k] for k in keys}, runs


def scores(score: ModuleType, truth: dict[str, Any], run: Run) -> dict[str, Any]:
    keys = sorted(truth)
    if all(truth[k].get("articleBody") for k in keys):
        body = score.score_bodies([truth[k]["articleBody"] for k in keys], [run.texts[k] for k in keys], 0, 0)
    else:
        body = score.score_snippets([truth[k] for k in keys], [run.texts[k] for k in keys])
    meta = score.score_meta([truth[k] for k in keys], [run.meta[k] for k in keys])

    def exact(name: str) -> float | None:
        value = meta.get(name, {}).get("exact_match_rate")
        return value if isinstance(value, float) else None

    site_keys = [k for k in keys if run.paths[k] == "site module"]
    generic_keys = [k for k in keys if run.paths[k] != "site module"]
    return {
        "pages": len(keys),
        "f1": body["f1"],
        "precision": body["precision"],
        "recall": body["recall"],
        "title": exact("title"),
        "author": exact("author"),
        "date": exact("date"),
        "pages_per_s": run.pages_per_second(),
        "site_module_pages": len(site_keys),
        "site_module_pages_per_s": run.pages_per_second(site_keys) if site_keys else None,
        "generic_pages_per_s": run.pages_per_second(generic_keys) if generic_keys else None,
        "errors": len(run.errors),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", action="append", help=f"repeatable; default: {', '.join(DATASETS)}")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="the evaluation folder")
    parser.add_argument("--limit", type=int, help="only the first N pages of each dataset")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not (args.eval_dir / "score.py").is_file():
        print(f"No evaluation pages at {args.eval_dir} (../shared/eval beside the checkout): nothing to do.")
        return 0
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        print("trafilatura is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    score = load_scorer(args.eval_dir)
    figures: dict[str, dict[str, Any]] = {}
    table = Table(
        "Extraction: newsarchive against trafilatura on the same pages, one run",
        ["dataset", "pages", "system", "body F1", "P", "R", "title", "author", "date", "pages/s", "path"],
    )
    for name in args.dataset or DATASETS:
        truth, runs = run_dataset(score, name, args.limit)
        for system, run in runs.items():
            figures.setdefault(name, {})[system] = result = scores(score, truth, run)
            path = (
                f"site module {result['site_module_pages']}/{result['pages']}"
                if system == "newsarchive" and result["site_module_pages"]
                else "generic"
            )
            table.add(
                name, result["pages"], system, result["f1"], result["precision"], result["recall"],
                result["title"], result["author"], result["date"], result["pages_per_s"], path,
            )  # fmt: skip
    table.notes.extend(_speed_notes(figures))
    table.notes.append(f"Measured on {machine()}.")
    print(table.render())
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _speed_notes(figures: dict[str, dict[str, Any]]) -> list[str]:
    notes = []
    for name, by_system in figures.items():
        mine, peer = by_system["newsarchive"], by_system["trafilatura"]
        if not peer["pages_per_s"]:
            continue
        for label, key in (
            ("site-module path", "site_module_pages_per_s"),
            ("generic path", "generic_pages_per_s"),
        ):
            if mine[key]:
                notes.append(f"{name}: {label} {mine[key] / peer['pages_per_s']:.1f}x trafilatura's pages/s.")
    return notes


if __name__ == "__main__":
    sys.exit(main())
