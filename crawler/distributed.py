"""Distributed crawling: several crawl processes (on one or several machines) share one frontier in
Redis through scrapy-redis, and store into one PostgreSQL database.

The coordinator (`policywatch run --workers redis://…`) holds the run lock, creates the Run row,
announces the run in Redis, seeds the list pages and does every end-of-run step once (removals,
source health, lifecycle, outbox, report). Workers (`policywatch worker redis://…`) pull requests
from the same per-run, per-source queue; scrapy-redis's RFPDupeFilter, keyed per run, lets each page
be fetched once across all of them. A process that finds the queue empty is idle; the crawl ends when
the queue is empty and no process is busy. Each worker hands its share of the source's bookkeeping
(pages read, gone, listed links) to the coordinator, which merges it before judging removals."""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis import Redis
from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

log = logging.getLogger("policywatch.distributed")

DEFAULT_PREFIX = "policywatch"
BUSY_TTL = 600  # seconds: a busy mark of a worker that died mid-request expires after this
SEEDER = "coordinator"  # the coordinator's name among the crawl processes of a run
POLL_INTERVAL = 0.5  # seconds between an idle process's looks at the shared queue
PART_WAIT = 120.0  # seconds the coordinator waits for the workers' bookkeeping after the frontier drained


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class RunKeys:
    """The Redis keys of one source in one run (all under `prefix:run_id:`, removed after the run)."""

    prefix: str
    run_id: int
    source: str

    def key(self, name: str) -> str:
        return f"{self.prefix}:{self.run_id}:{self.source}:{name}"

    @property
    def requests(self) -> str:
        return self.key("requests")

    @property
    def seen(self) -> str:
        return self.key("dupefilter")


def announce_key(prefix: str) -> str:
    return f"{prefix}:current"


def announce(redis_url: str, prefix: str, run_id: int, sources: list[Any], settings: Any, today: date) -> None:
    """Tell waiting workers what to crawl: the run id, the sources and the settings (Redis must be
    private to the deployment: the settings include the subscribers' addresses)."""
    server = Redis.from_url(redis_url)
    for source in sources:  # the coordinator counts as busy from now: no worker stops before it seeds
        server.set(RunKeys(prefix, run_id, source.name).key(f"busy:{SEEDER}"), 1, ex=BUSY_TTL)
    payload = pickle.dumps({"run_id": run_id, "sources": sources, "settings": settings, "today": today})
    server.set(announce_key(prefix), payload)


def retire(redis_url: str, prefix: str, run_id: int) -> None:
    """After the run: the announcement and every key of the run are deleted."""
    server = Redis.from_url(redis_url)
    server.delete(announce_key(prefix))
    keys = list(server.scan_iter(match=f"{prefix}:{run_id}:*"))
    if keys:
        server.delete(*keys)


def wait_for_run(redis_url: str, prefix: str, timeout: float, after: int = 0) -> dict[str, Any] | None:
    """The announced run (a run id above `after`), or None after `timeout` seconds."""
    server = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while True:
        raw = server.get(announce_key(prefix))
        if isinstance(raw, bytes):
            run = pickle.loads(raw)
            if run["run_id"] > after:
                return run
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


def fetch_once(request: Request) -> bool:
    """A first request for a page (not a retry nor a redirect hop): filtered by the per-run
    duplicate filter, so two workers that both find a link fetch it once."""
    meta = request.meta
    return bool(meta.get("fetch_once")) and "retry_times" not in meta and "redirect_times" not in meta


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with the queue and the duplicate filter keyed per run and source,
    and a busy mark per process so that no process stops while another may still add requests."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        s = crawler.settings
        instance = cls(
            Redis.from_url(s.get("POLICYWATCH_REDIS_URL")),
            persist=True,  # the first process to stop must not clear the shared queue
            idle_before_close=0,
        )
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.prefix = s.get("POLICYWATCH_REDIS_PREFIX") or DEFAULT_PREFIX
        instance.run_id = s.getint("POLICYWATCH_RUN_ID")
        return instance

    def open(self, spider: Any) -> None:
        self.keys = RunKeys(self.prefix, self.run_id, spider.source.name)
        self.queue_key = self.keys.requests
        self.df = RFPDupeFilter(self.server, key=self.keys.seen, debug=False)
        # The coordinator is busy (marked by `announce`) until its list pages and unlisted pages are queued.
        self.me = SEEDER if getattr(spider, "seeder", False) else worker_id()
        self.server.sadd(self.keys.key("workers"), self.me)
        # An idle engine asks its scheduler again only every 5 s (its heartbeat): poll the shared queue
        # more often so that a waiting worker takes requests while the others are still busy.
        self._poll = task.LoopingCall(self._wake)
        self._poll.start(POLL_INTERVAL, now=False)
        spider.frontier = self
        super().open(spider)

    def close(self, reason: str) -> None:
        if self._poll.running:
            self._poll.stop()
        super().close(reason)

    def _wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy's engine has no public "poll now"
        if slot is not None and len(self.queue):
            slot.nextcall.schedule()

    def enqueue_request(self, request: Request) -> bool:
        if fetch_once(request) and self.df.request_seen(request):
            if self.stats:
                self.stats.inc_value("dupefilter/filtered")
            return False
        return super().enqueue_request(request)

    def next_request(self) -> Request | None:
        if not len(self.queue):
            return None
        self.mark_busy()  # before the pop: whoever sees the queue empty afterwards sees this mark
        return super().next_request()

    # --- busy marks and the end of the crawl -------------------------------------------------------

    def mark_busy(self) -> None:
        self.server.set(self.keys.key(f"busy:{self.me}"), 1, ex=BUSY_TTL)

    def mark_idle(self) -> None:
        self.server.delete(self.keys.key(f"busy:{self.me}"))

    def drained(self) -> bool:
        """The queue is empty and no other process is busy (this one is idle: Scrapy said so)."""
        if len(self.queue):
            return False
        mine = self.keys.key(f"busy:{self.me}").encode()
        return not any(key != mine for key in self.server.scan_iter(match=self.keys.key("busy:*")))

    def add_listed(self, urls: Iterable[str]) -> None:
        urls = list(urls)
        if urls:
            self.server.sadd(self.keys.key("listed"), *urls)

    def listed(self) -> set[str]:
        return {url.decode() for url in self.server.smembers(self.keys.key("listed"))}

    # --- the workers' share of the bookkeeping ---------------------------------------------------

    def hand_in(self, part: Mapping[str, Any]) -> None:
        self.server.hset(self.keys.key("parts"), self.me, json.dumps(part, ensure_ascii=False))

    def collect(self, timeout: float = PART_WAIT) -> list[dict[str, Any]]:
        """The other processes' shares, waiting until every registered worker has handed its in."""
        deadline = time.monotonic() + timeout
        while True:
            workers = {w.decode() for w in self.server.smembers(self.keys.key("workers"))} - {self.me}
            parts = {k.decode(): json.loads(v) for k, v in self.server.hgetall(self.keys.key("parts")).items()}
            missing = workers - set(parts)
            if not missing or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if missing:
            log.error("no bookkeeping from worker(s) %s: their pages count as not fetched", sorted(missing))
        return [part for worker, part in parts.items() if worker != self.me]


def distributed_overrides(redis_url: str, prefix: str, *, seeder: bool) -> dict[str, Any]:
    """Scrapy settings that put a crawl process on the shared frontier."""
    return {
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "POLICYWATCH_REDIS_URL": redis_url,
        "POLICYWATCH_REDIS_PREFIX": prefix,
        "POLICYWATCH_SEEDER": seeder,
    }


def run_worker(
    redis_url: str, prefix: str, db_url: str, wait: float, scrapy_overrides: Mapping[str, Any] | None = None
) -> int:
    """One worker's part of the next announced run: 0 crawled, 1 the crawl process failed, 2 no live
    run was announced within `wait` seconds."""
    return run_workers(redis_url, prefix, db_url, wait, scrapy_overrides, forever=False)


def run_workers(
    redis_url: str,
    prefix: str,
    db_url: str,
    wait: float,
    scrapy_overrides: Mapping[str, Any] | None = None,
    *,
    forever: bool,
) -> int:
    """Join announced runs: one (the exit code of `run_worker`), or, `forever`, each in turn until
    the process is stopped (waiting `wait` seconds at a time)."""
    from crawler.process import CrawlOrder, CrawlProcess

    after, code = 0, 2
    while True:
        run = live_run(redis_url, prefix, db_url, wait, after)
        if run is None and not forever:
            log.error("no live run announced in Redis (key prefix %r) within %.0f s", prefix, wait)
            return 2
        if run is None:
            continue
        after = run["run_id"]
        log.info("worker %s joins run %d (%d sources)", worker_id(), after, len(run["sources"]))
        overrides = {
            "LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
            **(scrapy_overrides or {}),
            **distributed_overrides(redis_url, prefix, seeder=False),
        }
        code = CrawlProcess().crawl(CrawlOrder(db_url, after, run["sources"], run["settings"], run["today"], overrides))
        if not forever:
            return 0 if code == 0 else 1
        if code != 0:
            log.error("worker %s: the crawl process of run %d exited with %s", worker_id(), after, code)


def live_run(redis_url: str, prefix: str, db_url: str, wait: float, after: int = 0) -> dict[str, Any] | None:
    """The announced run above `after` whose row is still `running`. An announcement left behind by a
    coordinator that was killed (its run since marked interrupted, or never started) is stale: it is
    skipped, and removed, so that no worker crawls for a run nobody will finish."""
    from monitor.store.db import Database
    from monitor.store.models import Run

    deadline = time.monotonic() + wait
    db = Database(db_url)
    try:
        while True:
            run = wait_for_run(redis_url, prefix, max(deadline - time.monotonic(), 0), after)
            if run is None:
                return None
            with db.session() as session:
                row = session.get(Run, run["run_id"])
                status = row.status if row is not None else "missing"
            if status == "running":
                return run
            log.warning(
                "run %d announced in Redis is %s, not running: stale announcement removed", run["run_id"], status
            )
            retire(redis_url, prefix, run["run_id"])
            after = run["run_id"]
    finally:
        db.dispose()
