"""Politeness settings as written, with AutoThrottle on (as in production): a source's own
download_delay below the global 1 s takes effect, its `concurrency` is how many requests are in
flight, and a Retry-After pause holds for the rest of the crawl instead of being undone by
AutoThrottle after a few quick answers. Timings are measured at the loopback server."""

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


def _run(db: Database, base: str, delay: float, concurrency: int = 1) -> dict[str, int]:
    sources = parse_sources(
        f'- name: own\n  start_urls: ["{base}/zcwj/index.html"]\n  allow_private: true\n  download_delay: {delay}\n'
        f"  concurrency: {concurrency}\n"
    )
    # AutoThrottle stays on; only retries are fewer so a failing page does not hold the test.
    result = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides={"RETRY_TIMES": 1})
    assert result.source_stats["own"]["new"] + result.source_stats["own"]["unchanged"] >= PAGES - 1, result.source_stats
    return result.source_stats["own"]


def test_a_source_delay_below_the_global_floor_is_honoured(db: Database) -> None:
    site, paths = _site()
    with site:
        _run(db, site.base, 0.1)
    # download_delay 0.1 is ~10 requests a second (±50% jitter per request); the global
    # DOWNLOAD_DELAY (1 s) used to be AutoThrottle's floor for every host.
    assert 0.04 < statistics.median(_gaps(site, paths)) < 0.3, _gaps(site, paths)


def test_a_source_concurrency_is_how_many_requests_are_in_flight(db: Database) -> None:
    site, paths = _site()
    for path in paths:
        site.faults[path] = Fault("delay", delay=0.6)  # a slow host: every page takes 0.6 s
    with site:
        _run(db, site.base, 0, concurrency=4)
    starts = sorted(t for p, t in site.requests if p in paths)
    # Four at a time: 10 pages in ~3 waves. AutoThrottle used to aim at one request in flight
    # (delay = latency), fetching them one after another (≥ 5.4 s).
    assert starts[-1] - starts[0] < 3.0, [round(t - starts[0], 2) for t in starts]
    busiest = max(sum(1 for t in starts if s <= t < s + 0.5) for s in starts)
    assert busiest >= 3


def test_a_retry_after_pause_holds_with_autothrottle_on(db: Database) -> None:
    site, paths = _site()
    # The list page (the first request) asks for a 1 s pause; all ten policy pages come after it.
    site.faults["/zcwj/index.html"] = Fault("status", status=503, headers={"Retry-After": "1"}, times=1)
    with site:
        _run(db, site.base, 0)
    assert [p for p, _ in site.requests if p == "/zcwj/index.html"] == ["/zcwj/index.html"] * 2
    later = [t for p, t in site.requests if p in paths or p == "/zcwj/index.html"][1:]
    gaps = [b - a for a, b in itertools.pairwise(later)]
    # Every request after the 503 waited the pause the host asked for. Scrapy's AutoThrottle halved
    # the delay on each quick answer down to its 1 s floor, ±50% jitter: gaps of 0.5 s within a few.
    assert len(gaps) == PAGES and min(gaps) >= 0.95, [round(g, 2) for g in gaps]


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
