"""Distributed mode: a coordinator and two workers share one scrapy-redis frontier (real Redis) and one
PostgreSQL database, crawling the demo site on loopback; each page is fetched once per run, each change
is recorded once and each alert delivered once."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.site import DemoServer
from monitor.runner import RunResult, run_once
from monitor.store.db import Database
from monitor.store.models import Event

redis = pytest.importorskip("redis")
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    try:
        server = redis.Redis.from_url(REDIS_URL)
        server.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis must run at {REDIS_URL} (.ci/run starts it): {exc}")
    name = f"pwtest-{uuid.uuid4().hex[:8]}"
    yield name
    keys = list(server.scan_iter(match=f"{name}:*"))
    if keys:
        server.delete(*keys)


class CountingPages(dict[str, Any]):
    def __init__(self, pages: dict[str, Any], counts: Counter[str]) -> None:
        super().__init__(pages)
        self.counts = counts

    def get(self, path: str, default: Any = None) -> Any:
        self.counts[path] += 1
        return super().get(path, default)


# Every process fetches one page at a time from a slow site (1 s a page): while the coordinator waits the
# detail pages it found stay in the shared queue for the workers (polling every 0.5 s), and neither
# worker can take them all at once — all three fetch.
ONE_AT_A_TIME = {**DEMO_SCRAPY, "CONCURRENT_REQUESTS": 1}


def _distributed_run(db: Database, sources: Any, settings: Settings, prefix: str, tmp: Path) -> list[int]:
    """Two `policywatch worker` processes (each a crawl child) plus the coordinating run."""
    from crawler.distributed import run_worker

    codes: list[int] = []
    workers = [
        threading.Thread(target=lambda: codes.append(run_worker(REDIS_URL, prefix, db.url, 60.0, ONE_AT_A_TIME)))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    result = run_once(
        db,
        sources,
        settings,
        report_dir=tmp / "report",
        scrapy_overrides=ONE_AT_A_TIME,
        workers=REDIS_URL,
        redis_prefix=prefix,
    )
    for w in workers:
        w.join(timeout=120)
    assert codes == [0, 0]
    return [result]  # type: ignore[list-item]


def _check_shares(result: RunResult) -> None:
    """All three processes handed in their share, the shares add up to the pages fetched, and all
    three did fetch (each holds one slow page at a time: ONE_AT_A_TIME)."""
    fetched_by: Counter[str] = Counter()
    for stats in result.source_stats.values():
        assert len(stats["workers"]) == 3, stats["workers"]
        assert sum(stats["workers"].values()) == stats["fetched"], stats
        fetched_by.update(stats["workers"])
    assert len(fetched_by) == 3 and all(n > 0 for n in fetched_by.values()), fetched_by


def test_two_workers_fetch_once_record_once_alert_once(db_url: str, prefix: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("distributed mode stores into one PostgreSQL database")
    db = Database(db_url)
    db.upgrade()
    counts: Counter[str] = Counter()
    with DemoServer(delay=1.0) as server, WebhookReceiver() as hook:
        site = server.site
        original = site.pages
        site.pages = lambda revision=None: CountingPages(original(revision), counts)  # type: ignore[method-assign]
        sources = parse_sources(site.sources_yaml(server.base_url))
        settings = Settings(subscribers=(Subscriber("ops", (hook.url.replace("http", "json", 1) + "/a",)),))

        first: RunResult = _distributed_run(db, sources, settings, prefix, tmp_path)[0]  # type: ignore[assignment]
        assert first.status == "ok", first.source_stats
        assert sum(s["new"] for s in first.source_stats.values()) == 20
        pages = {path: n for path, n in counts.items() if path != "/robots.txt"}
        assert pages and max(pages.values()) == 1, pages  # every page fetched once across the processes
        _check_shares(first)

        counts.clear()
        site.revision = 2
        second: RunResult = _distributed_run(db, sources, settings, prefix, tmp_path)[0]  # type: ignore[assignment]
        assert second.status == "ok", second.source_stats
        pages = {path: n for path, n in counts.items() if path != "/robots.txt"}
        assert max(pages.values()) == 1, pages
        _check_shares(second)
        expected = site.expected_titles()
        with db.session() as s:
            events = [(e.type, e.policy.title) for e in s.scalars(select(Event).where(Event.run_id == second.run_id))]
        wanted = [(t, expected[t]) for t in ("text_changed", "new_policy", "repealed", "expiry_changed")]
        assert sorted(events) == sorted(wanted)  # each planted change recorded once
        assert second.delivery.sent == 4 and len(hook.received) == 4  # no alert duplicated
    db.dispose()
