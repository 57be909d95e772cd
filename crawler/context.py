"""What a crawl knows besides its source: the database, the run, the settings, the day.

`policywatch run` hands these to its crawl child in Scrapy settings (POLICYWATCH_DB_URL, _RUN_ID,
_SETTINGS, _TODAY, _DRY_RUN). A bare `scrapy crawl policy -a source=NAME` reads the same from the
files `policywatch` reads: POLICYWATCH_CONFIG (default ./policywatch.toml when present) for the
settings and the database ([database] url, else $POLICYWATCH_DATABASE_URL, else ./policywatch.db),
POLICYWATCH_SOURCES (default ./seeds/sources.yaml, else the bundled catalogue) for the source; the
run is then opened by monitor.scrapyrun. One context per crawler, built on first use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.config import Settings, SourceConfig, load_settings, load_sources, sources_by_name
from monitor.paths import config_path, sources_path
from monitor.policystatus import today_in_shanghai
from monitor.store.db import resolve_database_url


@dataclass(slots=True)
class CrawlContext:
    db_url: str
    settings: Settings
    sources_file: Path
    today: date
    dry_run: bool = False
    run_id: int = 0  # 0: no run given — a bare `scrapy crawl` opens its own (monitor.scrapyrun)
    paused: bool = False  # the source is paused (policywatch serve → 来源): nothing is crawled

    def source(self, name: str) -> SourceConfig:
        return sources_by_name(load_sources(self.sources_file), [name])[0]


def crawl_context(crawler: Any) -> CrawlContext:
    context: CrawlContext | None = getattr(crawler, "policywatch_context", None)
    if context is None:
        context = _from_settings(crawler.settings)
        crawler.policywatch_context = context
    return context


def _from_settings(s: Any) -> CrawlContext:
    settings: Settings | None = s.get("POLICYWATCH_SETTINGS")
    if settings is None:
        settings = load_settings(config_path(s.get("POLICYWATCH_CONFIG")))
    today = s.get("POLICYWATCH_TODAY")
    return CrawlContext(
        db_url=s.get("POLICYWATCH_DB_URL") or resolve_database_url(None, settings.database_url),
        settings=settings,
        sources_file=sources_path(s.get("POLICYWATCH_SOURCES")),
        today=date.fromisoformat(str(today)) if today else today_in_shanghai(),
        dry_run=s.getbool("POLICYWATCH_DRY_RUN"),
        run_id=s.getint("POLICYWATCH_RUN_ID"),
    )
