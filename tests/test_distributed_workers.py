"""Distributed workers and the runs they join (Redis at 127.0.0.1:6379, started by .ci/run): an
announcement left behind by a killed coordinator is never crawled for, and is removed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.distributed import announce, announce_key, live_run, run_workers
from monitor.config import Settings
from monitor.store.db import Database
from monitor.store.models import Run
from tests.test_distributed import REDIS_URL, prefix, redis

__all__ = ["prefix"]  # the Redis fixture, shared with the distributed crawl test

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _run(db: Database, status: str) -> int:
    with db.session() as s:
        run = Run(started_at=NOW, status=status, stats={})
        s.add(run)
        s.flush()
        return run.id


def test_a_stale_announcement_is_skipped_removed_and_never_crawled(db: Database, prefix: str) -> None:
    server = redis.Redis.from_url(REDIS_URL)
    killed = _run(db, "interrupted")  # its coordinator was killed; the next run marked it so
    announce(REDIS_URL, prefix, killed, [], Settings(), date(2026, 11, 28))
    assert run_workers(REDIS_URL, prefix, db.url, 1.0, forever=False) == 2  # nothing to join: no crawl
    assert server.get(announce_key(prefix)) is None
    live = _run(db, "running")
    announce(REDIS_URL, prefix, live, [], Settings(), date(2026, 11, 28))
    found = live_run(REDIS_URL, prefix, db.url, 5.0)
    assert found is not None and found["run_id"] == live


@pytest.mark.parametrize("status", ["ok", "partial"])
def test_a_finished_run_is_not_joined(db: Database, prefix: str, status: str) -> None:
    finished = _run(db, status)
    announce(REDIS_URL, prefix, finished, [], Settings(), date(2026, 11, 28))
    assert live_run(REDIS_URL, prefix, db.url, 0.5) is None
