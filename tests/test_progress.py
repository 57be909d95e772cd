"""`policywatch run`'s progress display is fed from each crawler's signals (crawler/progress.py):
a real crawl of a small loopback site reports pages done/total while it runs and a final count."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, parse_sources
from monitor.runner import run_once
from monitor.store.db import Database
from tests.fault_server import list_page, policy_page
from tests.fixture_server import Fixture, FixtureServer

pytestmark = pytest.mark.slow


def test_progress_counts_the_pages_of_each_source(db: Database) -> None:
    paths = [f"/zcwj/202501/t20250102_{n}.html" for n in range(1, 6)]
    pages = {path: Fixture(policy_page(n).encode()) for n, path in enumerate(paths, 1)}
    pages["/zcwj/index.html"] = Fixture(list_page(paths).encode())
    updates: list[tuple[str, int, int, bool]] = []
    with FixtureServer(pages) as server:
        sources = parse_sources(
            f'- name: own\n  start_urls: ["{server.base}/zcwj/index.html"]\n  allow_private: true\n'
        )
        result = run_once(
            db,
            sources,
            Settings(),
            report_dir=None,
            today=date(2026, 11, 28),
            scrapy_overrides=DEMO_SCRAPY,
            progress=lambda *update: updates.append(update),
        )
    assert result.source_stats["own"]["new"] == 5
    assert updates and updates[-1][0] == "own" and updates[-1][3] is True
    # robots.txt, the list page and five policy pages: all received, none left to do.
    assert updates[-1][1] == updates[-1][2] >= 7
    assert all(done <= total for _, done, total, _ in updates)
    assert [u for u in updates if not u[3]]  # reported while it ran, not only at the end
