"""A worker's Scrapy components in this process, against a real redis-server: scheduler, leases, items.

The suite runs with ``filterwarnings = error``: these tests also show that the scrapy-redis scheduler,
as subclassed here, emits no deprecation warning on Scrapy 2.19.
"""

# ruff: noqa: E402 (imports after the skip: they need the distributed extra)

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

import pytest

from crawler.distributed.localredis import skip_reason

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.distributed import PIPELINE, worker_settings
from crawler.distributed.context import LEASE_META, WorkerContext
from crawler.distributed.keys import ITEMS_KEY, SiteKeys
from crawler.distributed.localredis import LocalRedis
from crawler.distributed.middlewares import LeaseSpiderMiddleware
from crawler.distributed.pipeline import RedisItemPipeline
from crawler.distributed.scheduler import LOCAL_META, DistributedScheduler
from crawler.items import Article
from crawler.run import project_settings
from crawler.spiders.tdi import TdiSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    import redis
    from scrapy.crawler import Crawler

HOME = "http://thediplomaticinsight.com/"


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


@pytest.fixture
def crawler(local_redis: LocalRedis, server: redis.Redis) -> Crawler:
    project = importlib.import_module("crawler.settings")
    settings = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    settings.update(worker_settings(local_redis.url), NEWSARCHIVE_WORKER_ID="w1")
    crawler = get_crawler(TdiSpider, settings)
    crawler.spider = TdiSpider.from_crawler(crawler)
    return crawler


@pytest.fixture
def scheduler(crawler: Crawler) -> DistributedScheduler:
    scheduler = DistributedScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def _response(request: Request) -> HtmlResponse:
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_worker_settings_replace_the_archive_writers() -> None:
    settings = project_settings(worker_settings("redis://127.0.0.1:1/0"))

    pipelines = settings.getdict("ITEM_PIPELINES")
    assert pipelines[PIPELINE] > max(v for k, v in pipelines.items() if k != PIPELINE and v is not None)
    assert pipelines["crawler.pipelines.ArchivePipeline"] is None
    assert pipelines["crawler.pipelines.ValidationPipeline"] is not None
    assert settings["SCHEDULER"] == "crawler.distributed.scheduler.DistributedScheduler"
    assert settings.getbool("NEWSARCHIVE_INCREMENTAL") is False
    assert settings.getfloat("DOWNLOAD_DELAY_JITTER") == 0
    assert "crawler.distributed.worker.DistributedWorker" in settings.getdict("EXTENSIONS")


def test_requests_are_shared_through_redis_and_leased(
    scheduler: DistributedScheduler, server: redis.Redis
) -> None:
    assert scheduler.enqueue_request(Request(HOME, priority=20))
    assert not scheduler.enqueue_request(Request(HOME))  # the shared duplicate filter
    assert server.zcard(SiteKeys("tdi").requests) == 1

    request = scheduler.next_request()

    assert request is not None and request.url == HOME
    assert request.meta[LEASE_META] == "w1#1"
    assert server.hkeys(SiteKeys("tdi").inflight) == [b"w1#1"]
    assert scheduler.context.leases == {"w1#1": 0}
    assert scheduler.stats.get_value("scheduler/dequeued/redis") == 1


def test_a_request_queued_again_finishes_its_lease(
    scheduler: DistributedScheduler, server: redis.Redis
) -> None:
    scheduler.enqueue_request(Request(HOME))
    request = scheduler.next_request()

    redirected = request.replace(url=HOME + "news/")
    assert scheduler.enqueue_request(redirected)

    assert server.hlen(SiteKeys("tdi").inflight) == 0
    assert not scheduler.context.leases
    queued = scheduler.next_request()
    assert queued.url == HOME + "news/"
    assert queued.meta[LEASE_META] == "w1#2"


def test_a_redirect_to_a_seen_url_finishes_its_lease(
    scheduler: DistributedScheduler, server: redis.Redis
) -> None:
    scheduler.enqueue_request(Request(HOME))
    scheduler.enqueue_request(Request(HOME + "news/"))
    request = scheduler.next_request()

    assert not scheduler.enqueue_request(request.replace(url=HOME + "news/"))

    assert server.hlen(SiteKeys("tdi").inflight) == 0


def test_requests_taken_for_the_engine_stay_local(
    scheduler: DistributedScheduler, server: redis.Redis
) -> None:
    scheduler.enqueue_request(Request(HOME))
    request = scheduler.take_local()
    assert request.meta[LOCAL_META]

    assert scheduler.enqueue_request(request)

    assert server.zcard(SiteKeys("tdi").requests) == 0
    assert scheduler.has_pending_requests()
    assert scheduler.next_request() is request
    assert not scheduler.has_pending_requests()


def test_a_lease_is_acked_once_its_items_are_stored_and_its_requests_queued(
    scheduler: DistributedScheduler, crawler: Crawler, server: redis.Redis
) -> None:
    scheduler.enqueue_request(Request(HOME))
    request = scheduler.next_request()
    response = _response(request)
    middleware = LeaseSpiderMiddleware.from_crawler(crawler)
    item = Article(url=HOME + "a/", url_raw=HOME + "a/", title="A")
    found = Request(HOME + "b/")

    output = list(middleware.process_spider_output(response, iter([item, found])))

    assert output == [item, found]
    inflight = SiteKeys("tdi").inflight
    assert server.hlen(inflight) == 1  # the item is in the pipelines, the request not queued yet
    middleware.item_done(item, response=response)
    assert server.hlen(inflight) == 1
    scheduler.enqueue_request(found)
    assert server.hlen(inflight) == 0
    assert server.zcard(SiteKeys("tdi").requests) == 1
    assert scheduler.next_request().url == HOME + "b/"


def test_the_idle_engine_acks_what_is_left(scheduler: DistributedScheduler, server: redis.Redis) -> None:
    scheduler.enqueue_request(Request(HOME))
    scheduler.enqueue_request(Request(HOME + "b/"))
    scheduler.next_request()
    scheduler.next_request()  # e.g. failed downloads: no callback output to wait for

    assert scheduler.context.ack_all() == 2

    assert server.hlen(SiteKeys("tdi").inflight) == 0


def test_articles_are_pushed_for_the_ingester(crawler: Crawler, server: redis.Redis) -> None:
    context = WorkerContext.of(crawler)
    context.bind(crawler.spider)
    context.round = "r1"
    item = Article(url=HOME + "a/", url_raw=HOME + "a/?utm_source=x", title="A", section_path=["News"])

    assert RedisItemPipeline.from_crawler(crawler).process_item(item) is item

    (raw,) = server.lrange(ITEMS_KEY, 0, -1)
    message: dict[str, Any] = json.loads(raw)
    assert {k: message[k] for k in ("kind", "site", "round", "worker", "id")} == {
        "kind": "article",
        "site": "tdi",
        "round": "r1",
        "worker": "w1",
        "id": "w1#1",
    }
    assert message["record"] == json.loads(json.dumps(item.to_record()))
