"""Politeness settings as written, with AutoThrottle on (as in production): a source's own
download_delay below the global 1 s takes effect, and a Retry-After pause holds for the rest of the
crawl instead of being undone by AutoThrottle after a few quick answers."""

from __future__ import annotations

import itertools
import statistics
from datetime import date

from monitor.config import Settings, parse_sources
from monitor.runner import run_once
from monitor.store.db import Database
from tests.fault_server import Fault, FaultSite, list_page, policy_page

TODAY = date(2026, 11, 28)
PAGES = 10


def _site() -> tuple[FaultSite, list[str]]:
    site = FaultSite()
    paths = [f"/zcwj/202501/t20250102_{n}.html" for n in range(1, PAGES + 1)]
    site.publish("/zcwj/index.html", list_page(paths))
    for n, path in enumerate(paths, start=1):
        site.publish(path, policy_page(n))
    return site, paths


def _gaps(site: FaultSite, paths: list[str]) -> list[float]:
    times = sorted(t for p, t in site.requests if p in paths)
    return [b - a for a, b in itertools.pairwise(times)]


def _run(db: Database, base: str, delay: float) -> dict[str, int]:
    sources = parse_sources(
        f'- name: own\n  start_urls: ["{base}/zcwj/index.html"]\n  download_delay: {delay}\n  concurrency: 1\n'
    )
    # AutoThrottle stays on; only retries are fewer so a failing page does not hold the test.
    result = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides={"RETRY_TIMES": 1})
    assert result.source_stats["own"]["new"] + result.source_stats["own"]["unchanged"] >= PAGES - 1, result.source_stats
    return result.source_stats["own"]


def test_a_source_delay_below_the_global_floor_is_honoured(db: Database) -> None:
    site, paths = _site()
    with site:
        _run(db, site.base, 0.05)
    # The global DOWNLOAD_DELAY (1 s) used to be AutoThrottle's floor for every host.
    assert statistics.median(_gaps(site, paths)) < 0.5


def test_a_retry_after_pause_holds_with_autothrottle_on(db: Database) -> None:
    site, paths = _site()
    site.faults[paths[0]] = Fault("status", status=503, headers={"Retry-After": "2"}, times=1)
    with site:
        _run(db, site.base, 0.05)
    first_answer = min(t for p, t in site.requests if p == paths[0])
    later = [
        g
        for g, t in zip(_gaps(site, paths), sorted(t for p, t in site.requests if p in paths)[1:], strict=True)
        if t > first_answer
    ]
    # Every request after the 503 waited the pause the host asked for (less the slot's jitter).
    assert later and min(later) >= 1.9


def test_a_rerun_answered_by_304_is_not_held_at_the_start_delay(db: Database) -> None:
    from tests.fixture_server import Fixture, FixtureServer

    site, paths = _site()
    pages = {path: Fixture(page.body, page.content_type, etag=True) for path, page in site.pages.items()}
    with FixtureServer(pages) as server:
        _run(db, server.base, 0)
        first = len(server.requests)
        # The host is slow for a moment (AutoThrottle raises the delay), then fast again.
        server.slow_requests, server.slow_seconds = 3, 1.0
        _run(db, server.base, 0)
        rerun = [t for p, t in server.request_times[first:] if p in paths]
    assert all("If-None-Match" in h for p, h in server.requests[first:] if p in paths)
    # AutoThrottle never lowered a delay on a non-200 answer: once raised, every later 304 waited it.
    gaps = [b - a for a, b in itertools.pairwise(sorted(rerun))]
    assert len(rerun) == PAGES and statistics.median(gaps[3:]) < 0.5, gaps
