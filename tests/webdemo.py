"""The demo's two revisions loaded into a database, for the web app's tests (API and browser)."""

from __future__ import annotations

from pathlib import Path

from monitor.cli import DEMO_SCRAPY
from monitor.config import Settings, parse_sources
from monitor.demosite import DemoServer
from monitor.runner import run_once
from monitor.store.db import Database


def load_demo(db: Database, report_dir: Path | None = None) -> dict[str, str]:
    """Run the demo site's revision 1, then revision 2, into `db`; returns the demo's expected titles."""
    with DemoServer() as server:
        sources = parse_sources(server.site.sources_yaml(server.base_url))
        settings = Settings()
        for revision in (1, 2):
            server.site.revision = revision
            result = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
            assert result.status == "ok", result.source_stats
        return server.site.expected_titles()
