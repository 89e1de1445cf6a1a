"""Recrawl figures: what a second crawl of an unchanged site costs, and what two runs under faults save.

``python -m bench.recrawl`` crawls the saved copy of The Diplomatic Insight (166 articles) with the
real command line (``python -m crawler.cli crawl tdi --replay``), each crawl in a child process, and
prints:

1. the requests of a first crawl into an empty archive and of a second crawl of the unchanged site
   right after it, with the second as a fraction of the first (goal: under 5%); the requests of the
   second crawl are broken down by answer (``304 Not Modified``, ``200``, and the retries of the one
   article URL of the saved copy that always answers 500);
2. for each seed in ``--seeds``, the articles archived after run 1 and after run 2 against the site
   with 20% injected faults (``--rate``) and a robots.txt that disallows a section (goal: all 166
   after run 2), with the requests and the failed URLs of each run.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
MANIFEST = SITES / "thediplomaticinsight.com.manifest.json"
BROKEN = set(json.loads(MANIFEST.read_text())["broken"]["500"])


def crawl(db: Path, log: Path, *extra: str) -> dict[str, Any]:
    """One crawl in a child process: its exit code, wall time, summary line and request log."""
    command = [sys.executable, "-m", "crawler.cli", "crawl", "tdi", "--db", str(db), "--replay", str(SITES)]
    command += ["--replay-log", str(log), "--log-level", "WARNING", *extra]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    requests = [json.loads(line) for line in log.read_text().splitlines() if line] if log.exists() else []
    return {
        "code": result.returncode,
        "seconds": time.monotonic() - started,
        "summary": (result.stdout.strip().splitlines() or [""])[-1],
        "requests": requests,
    }


def articles(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(DISTINCT url) FROM articles").fetchone()[0]


def failed(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT url, error FROM urls WHERE state = 'failed' ORDER BY url"
        ).fetchall()


def unchanged_recrawl(work: Path) -> None:
    db = work / "unchanged.db"
    first = crawl(db, work / "first.jsonl")
    second = crawl(db, work / "second.jsonl")
    n1, n2 = len(first["requests"]), len(second["requests"])
    statuses = Counter(r["status"] for r in second["requests"])
    retries = sum(1 for r in second["requests"] if r["url"] in BROKEN)
    print("1. Second crawl of the unchanged saved site (166 articles)\n")
    print(f"   first crawl:  {n1:4d} requests, {articles(db)} articles, {first['seconds']:.1f} s")
    print(f"   second crawl: {n2:4d} requests, {second['seconds']:.1f} s")
    print(f"   second / first: {n2 / n1:.1%}  (goal: under 5%)")
    print(f"   without the {retries} attempts at the URL that always answers 500: {(n2 - retries) / n1:.1%}")
    shown = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
    print(f"   answers of the second crawl: {shown}")
    for record in second["requests"]:
        print(f"     {record['status']}  {record['url']}")
    print(f"   {second['summary']}\n")


def faults(work: Path, seeds: list[int], rate: float) -> None:
    print(f"2. Two runs against the site with {rate:.0%} injected faults and a disallowed section\n")
    print("   seed  run 1: articles requests failed  |  run 2: articles requests failed")
    for seed in seeds:
        db = work / f"faults-{seed}.db"
        row = []
        for run, run_seed in enumerate((seed, seed + 1000), start=1):
            spec = f"rate={rate},seed={run_seed},delay=0.2,retry_after=1,disallow=/category/culture/"
            result = crawl(db, work / f"faults-{seed}-{run}.jsonl", "--replay-faults", spec)
            row.append((articles(db), len(result["requests"]), failed(db), result["seconds"]))
        (a1, r1, f1, s1), (a2, r2, f2, s2) = row
        print(f"   {seed:4d}  {a1:11d}/166 {r1:8d} {len(f1):6d}  |  {a2:11d}/166 {r2:8d} {len(f2):6d}")
        for url, error in f1:
            print(f"           run 1 failed: {url} ({error})")
    print("\n   (the saved copy has one article URL that always answers 500: it fails in every run)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recrawl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="14,15,16", help="fault seeds, comma-separated (default 14,15,16)")
    parser.add_argument("--rate", type=float, default=0.2, help="share of answers that are faults (0.2)")
    parser.add_argument("--keep", type=Path, help="keep the archives and request logs in this directory")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-recrawl-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        unchanged_recrawl(work)
        faults(work, seeds, args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
