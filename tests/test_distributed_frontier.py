"""The Redis side of distributed crawling, against a real redis-server: frontier, workers, politeness."""

# ruff: noqa: E402 (imports after the skip: they need the distributed extra)

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from crawler.distributed.localredis import skip_reason

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

from crawler.distributed.frontier import Frontier, SeedRequest
from crawler.distributed.keys import ITEMS_KEY, SiteKeys
from crawler.distributed.localredis import LocalRedis
from crawler.distributed.slots import DomainSlots
from crawler.distributed.status import snapshot
from crawler.distributed.workers import WorkerRegistry, forget_old_workers, list_workers

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def _messages(server: redis.Redis) -> list[dict]:
    return [json.loads(m) for m in reversed(server.lrange(ITEMS_KEY, 0, -1))]


def _alive(server: redis.Redis, worker: str, timeout: float = 30.0) -> WorkerRegistry:
    registry = WorkerRegistry(server, worker, timeout)
    registry.beat({"site": "tdi"})
    return registry


# --- queue and leases -----------------------------------------------------------------------------
def test_requests_come_out_by_priority_under_a_lease(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"article", 0)
    frontier.push(b"listing", -10)

    lease, data = frontier.pop()

    assert data == b"listing"
    assert lease == "w1#1"
    assert len(frontier) == 1
    assert frontier.in_flight() == 1
    assert server.hget(SiteKeys("tdi").inflight, lease) == b"listing"


def test_ack_finishes_a_lease(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"a", 0)
    lease, _ = frontier.pop()

    frontier.ack(lease)

    assert frontier.in_flight() == 0
    assert len(frontier) == 0
    assert frontier.pop() is None


def test_taking_again_with_the_same_lease_returns_the_same_request(server: redis.Redis) -> None:
    """A command retried after a lost connection must not take (and lose) a second request."""
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"a", 0)
    frontier.push(b"b", 1)
    keys = SiteKeys("tdi")
    args = {"keys": [keys.requests, keys.inflight, keys.inflight_scores], "args": ["w1#7"]}

    first = frontier._pop(**args)
    second = frontier._pop(**args)

    assert first == second == b"a"
    assert len(frontier) == 1
    assert frontier.in_flight() == 1


def test_a_request_seen_in_the_round_is_not_queued_again(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")

    assert frontier.push(b"a", 0, fingerprint="fp-a")
    assert not frontier.push(b"a-again", 0, fingerprint="fp-a")
    assert frontier.push(b"a-retry", 0)  # no fingerprint: queued whatever was seen

    assert server.zrange(SiteKeys("tdi").requests, 0, -1) == [b"a", b"a-retry"]
    assert frontier.seen() == 1


def test_a_redirect_to_a_seen_url_still_finishes_its_lease(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"a", 0, fingerprint="fp-a")
    lease, _ = frontier.pop()

    assert not frontier.push(b"redirected-to-a", 0, fingerprint="fp-a", ack=lease)

    assert frontier.in_flight() == 0


def test_queuing_again_with_a_lease_finishes_it_in_the_same_step(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"old", 0)
    lease, _ = frontier.pop()

    frontier.push(b"redirected", 0, ack=lease)

    assert frontier.in_flight() == 0
    assert server.zrange(SiteKeys("tdi").requests, 0, -1) == [b"redirected"]


def test_requeue_puts_requests_back_with_their_priority(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.push(b"listing", -10)
    frontier.push(b"article", 0)
    leases = [frontier.pop()[0], frontier.pop()[0]]

    assert frontier.requeue(leases) == 2

    assert frontier.in_flight() == 0
    assert server.zrange(SiteKeys("tdi").requests, 0, -1, withscores=True) == [
        (b"listing", -10.0),
        (b"article", 0.0),
    ]


def test_requests_of_a_dead_worker_are_taken_back(server: redis.Redis) -> None:
    _alive(server, "dead", timeout=0.2)
    _alive(server, "live")
    dead, live = Frontier(server, "tdi", "dead"), Frontier(server, "tdi", "live")
    for name in (b"a", b"b", b"c"):
        dead.push(name, 0)
    dead.pop()
    dead.pop()
    live.pop()
    assert live.reclaim() == 0  # the dead worker's heartbeat has not expired yet

    time.sleep(0.3)

    assert live.reclaim() == 2
    assert len(live) == 2
    assert live.in_flight() == 1
    assert [k.decode() for k in server.hkeys(SiteKeys("tdi").inflight)] == ["live#1"]


def test_requests_of_an_unknown_worker_count_as_abandoned(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "ghost")
    frontier.push(b"a", 0)
    frontier.pop()

    assert Frontier(server, "tdi").reclaim() == 1
    assert len(frontier) == 1


# --- rounds ---------------------------------------------------------------------------------------
SEEDS = [SeedRequest(-20, b"home", "fp-home"), SeedRequest(-15, b"sitemap", "fp-sitemap")]


def test_the_first_worker_starts_a_round_and_the_next_joins_it(server: redis.Redis) -> None:
    first = Frontier(server, "tdi", "w1")
    started, round_id = first.start_round("r1", SEEDS, spider="tdi", now="2026-01-05T10:00:00+00:00")
    joined, current = Frontier(server, "tdi", "w2").start_round("r2", SEEDS, spider="tdi", now="x")

    assert (started, round_id) == (True, "r1")
    assert (joined, current) == (False, "r1")
    assert len(first) == 2
    assert first.seen() == 2
    assert first.current_round()["state"] == "running"
    messages = _messages(server)
    assert [m["kind"] for m in messages] == ["crawl_started"]
    assert messages[0] == {
        "kind": "crawl_started",
        "site": "tdi",
        "spider": "tdi",
        "round": "r1",
        "started": "2026-01-05T10:00:00+00:00",
    }


def test_a_round_ends_once_nothing_is_queued_or_in_flight(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.start_round("r1", SEEDS[:1], spider="tdi", now="t0")
    lease, _ = frontier.pop()
    assert frontier.finish_round("t1") == 0  # in flight

    frontier.ack(lease)

    assert frontier.finish_round("t2") == 1
    assert frontier.finish_round("t3") == 2
    assert frontier.current_round()["state"] == "finished"
    finished = _messages(server)[-1]
    assert finished["kind"] == "crawl_finished"
    assert (finished["round"], finished["finished"], finished["worker"]) == ("r1", "t2", "w1")


def test_a_new_round_forgets_the_urls_of_the_last_one(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.start_round("r1", SEEDS[:1], spider="tdi", now="t0")
    server.sadd(SiteKeys("tdi").dupefilter, "fp-article")
    frontier.ack(frontier.pop()[0])
    frontier.finish_round("t1")

    started, round_id = frontier.start_round("r2", SEEDS[:1], spider="tdi", now="t2")

    assert (started, round_id) == (True, "r2")
    assert server.smembers(SiteKeys("tdi").dupefilter) == {b"fp-home"}


def test_starting_over_an_empty_running_round_closes_it_for_the_ingester(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    frontier.start_round("r1", SEEDS[:1], spider="tdi", now="t0")
    frontier.ack(frontier.pop()[0])  # done, but no worker was left to end the round

    frontier.start_round("r2", SEEDS[:1], spider="tdi", now="t5")

    kinds = [(m["kind"], m["round"]) for m in _messages(server)]
    assert kinds == [("crawl_started", "r1"), ("crawl_finished", "r1"), ("crawl_started", "r2")]


# --- workers and status ---------------------------------------------------------------------------
def test_workers_are_listed_alive_until_their_heartbeat_expires(server: redis.Redis) -> None:
    _alive(server, "w1", timeout=0.2).beat({"site": "tdi", "pages": 3})
    _alive(server, "w2")
    WorkerRegistry(server, "w3", 30).leave({"site": "tdi", "state": "finished"})

    time.sleep(0.3)
    workers = {w.worker_id: w for w in list_workers(server)}

    assert workers["w2"].alive
    assert not workers["w1"].alive
    assert workers["w1"].info["pages"] == 3
    assert workers["w1"].last_seen is not None and workers["w1"].last_seen >= 0.25
    assert not workers["w3"].alive and workers["w3"].last_seen is None
    assert [w.worker_id for w in list_workers(server)][0] == "w2"


def test_only_the_last_workers_that_left_are_kept(server: redis.Redis) -> None:
    for n in range(5):
        WorkerRegistry(server, f"w{n}", 30).leave({"started": f"2026-01-0{n + 1}T00:00:00+00:00"})
    _alive(server, "live")

    assert forget_old_workers(server, keep=2) == 3

    assert sorted(w.worker_id for w in list_workers(server)) == ["live", "w3", "w4"]


def test_worker_ids_must_be_safe_in_file_names(server: redis.Redis) -> None:
    with pytest.raises(ValueError, match="invalid worker id"):
        WorkerRegistry(server, "a/b#1", 30)


def test_status_snapshot(server: redis.Redis) -> None:
    frontier = Frontier(server, "tdi", "w1")
    _alive(server, "w1")
    frontier.start_round("r1", SEEDS, spider="tdi", now="t0")
    frontier.pop()

    data = snapshot(server)

    assert data["items"] == {"waiting": 1, "processing": 0, "failed": 0}
    (site,) = data["sites"]
    assert (site["site"], site["round"], site["state"], site["queued"], site["in_flight"]) == (
        "tdi",
        "r1",
        "running",
        1,
        1,
    )
    assert data["workers_alive"] == 1
    assert data["redis"]["used_memory"] > 0


# --- politeness -----------------------------------------------------------------------------------
def test_slots_cap_requests_in_flight_per_host_across_workers(server: redis.Redis) -> None:
    _alive(server, "w1")
    _alive(server, "w2")
    one, other = DomainSlots(server, concurrency=2, delay=0), DomainSlots(server, concurrency=2, delay=0)

    assert one.acquire("example.com", "w1#1").granted
    assert other.acquire("example.com", "w2#1").granted
    assert not one.acquire("example.com", "w1#2").granted
    assert other.acquire("example.org", "w2#2").granted  # another host

    other.release("example.com", "w2#1")

    assert one.acquire("example.com", "w1#2").granted
    assert one.in_use("example.com") == 2


def test_slots_space_request_starts_by_the_delay(server: redis.Redis) -> None:
    _alive(server, "w")
    slots = DomainSlots(server, concurrency=0, delay=0.5)

    waits = [slots.acquire("example.com", f"w#{n}").wait for n in range(3)]

    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(0.5, abs=0.05)
    assert waits[2] == pytest.approx(1.0, abs=0.05)


def test_a_slot_held_too_long_expires(server: redis.Redis) -> None:
    _alive(server, "w")
    slots = DomainSlots(server, concurrency=1, delay=0, ttl=0.2)
    assert slots.acquire("example.com", "w#1").granted
    assert not slots.acquire("example.com", "w#2").granted

    time.sleep(0.3)

    assert slots.acquire("example.com", "w#2").granted


def test_the_slots_of_a_dead_worker_are_freed(server: redis.Redis) -> None:
    _alive(server, "dead", timeout=0.2)
    _alive(server, "w")
    slots = DomainSlots(server, concurrency=1, delay=0)
    assert slots.acquire("example.com", "dead#1").granted
    assert not slots.acquire("example.com", "w#1").granted

    time.sleep(0.3)

    assert slots.acquire("example.com", "w#1").granted
