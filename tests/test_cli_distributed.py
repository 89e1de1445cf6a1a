"""The commands of the distributed mode (seed, status, ingest) against a real redis-server."""

# ruff: noqa: E402 (imports after the skip: they need the distributed extra)

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from crawler.distributed.localredis import skip_reason

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

from click.testing import CliRunner

from archive.ingest import ITEMS_KEY
from crawler.cli import main
from crawler.distributed.keys import SiteKeys
from crawler.distributed.localredis import LocalRedis, free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from typing import Any

    import redis


@pytest.fixture(scope="module")
def local_redis() -> Iterator[LocalRedis]:
    with LocalRedis() as server:
        yield server


@pytest.fixture
def server(local_redis: LocalRedis) -> Iterator[redis.Redis]:
    client = local_redis.client()
    client.flushall()
    yield client
    client.close()


def test_seed_starts_a_round_once(local_redis: LocalRedis, server: redis.Redis) -> None:
    first = CliRunner().invoke(main, ["seed", "tdi", "--redis", local_redis.url])
    second = CliRunner().invoke(main, ["seed", "tdi", "--redis", local_redis.url])

    assert first.exit_code == 0, first.output
    assert "started" in first.output
    assert second.exit_code == 0
    assert "under way" in second.output and "nothing added" in second.output
    queued = server.zcard(SiteKeys("tdi").requests)
    assert queued >= 1
    assert server.scard(SiteKeys("tdi").dupefilter) == queued


def test_seed_checks_every_site_before_seeding(local_redis: LocalRedis, server: redis.Redis) -> None:
    result = CliRunner().invoke(main, ["seed", "tdi", "no-such-site", "--redis", local_redis.url])

    assert result.exit_code == 2
    assert "no-such-site" in result.output
    assert server.zcard(SiteKeys("tdi").requests) == 0


def test_status_as_json(local_redis: LocalRedis, server: redis.Redis) -> None:
    CliRunner().invoke(main, ["seed", "tdi", "--redis", local_redis.url])

    result = CliRunner().invoke(main, ["status", "--redis", local_redis.url, "--json"])
    text = CliRunner().invoke(main, ["status", "--redis", local_redis.url])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["items"]["waiting"] == 1  # the crawl_started message
    assert [(s["site"], s["state"]) for s in data["sites"]] == [("tdi", "running")]
    assert "Items waiting for ingest: 1" in text.output
    assert "tdi" in text.output


def test_unreachable_redis_is_a_one_line_error() -> None:
    result = CliRunner().invoke(main, ["status", "--redis", f"redis://127.0.0.1:{free_port()}/0"])

    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach Redis at redis://127.0.0.1:")
    assert "Traceback" not in result.output


def test_ingest_writes_the_archive(
    local_redis: LocalRedis, server: redis.Redis, tmp_path: Path, make_record: Callable[..., dict[str, Any]]
) -> None:
    started = {"kind": "crawl_started", "site": "tdi", "spider": "tdi", "round": "r1", "started": "t"}
    article = {"kind": "article", "site": "tdi", "round": "r1", "worker": "w1", "record": make_record()}
    server.lpush(ITEMS_KEY, json.dumps(started), json.dumps(article))
    db = tmp_path / "archive.db"

    result = CliRunner().invoke(main, ["ingest", "--redis", local_redis.url, "--db", str(db)])

    assert result.exit_code == 0, result.output
    assert "Ingested 2 item(s)" in result.output
    assert "1 new" in result.output
    assert result.output.strip().endswith(f"1 articles in {db}")


def test_ingest_refuses_an_archive_locked_by_a_crawl(local_redis: LocalRedis, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    code = (
        f"import time, crawler.lock as l; l.acquire({str(db)!r}); print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(main, ["ingest", "--redis", local_redis.url, "--db", str(db)])
    finally:
        holder.kill()
        holder.wait()

    assert result.exit_code == 3
    assert "locked" in result.output
