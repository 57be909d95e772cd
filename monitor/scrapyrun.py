"""A bare `scrapy crawl policy -a source=NAME` is a run of its own, as `policywatch run --source NAME`
is: this Scrapy extension takes the run lock and opens the run's row before the crawl, and after it
does what the runner does after its crawl child (monitor.runner.close_run: time-based lifecycle,
alerts, the run's status, the report). Under `policywatch run` (POLICYWATCH_RUN_ID given) it stays
out of the way. It is enabled in crawler/settings.py, Scrapy's composition root for `scrapy crawl`."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import threads
from twisted.internet.defer import Deferred

from crawler.context import CrawlContext, crawl_context
from monitor.config import SourceConfig
from monitor.lock import RunLock
from monitor.runner import close_run, open_run
from monitor.store.db import Database

log = logging.getLogger("policywatch.run")


class StandaloneRun:
    def __init__(self, context: CrawlContext, source: SourceConfig) -> None:
        self.context = context
        self.source = source
        self.db = Database(context.db_url)
        self.db.upgrade()
        self.lock = RunLock(self.db)
        self.lock.acquire()  # LockedError: another run is using this database
        context.run_id, self.sources = open_run(self.db, [source])
        context.paused = not self.sources

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StandaloneRun:
        context = crawl_context(crawler)
        if context.run_id:
            raise NotConfigured("the run is policywatch run's")
        source = getattr(crawler.spider, "source", None)
        if not isinstance(source, SourceConfig):
            raise NotConfigured("not a policywatch spider")
        ext = cls(context, source)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def closed(self, spider: Spider, reason: str) -> Deferred[Any]:
        # Alerts and the report may take a while: off the reactor thread, and Scrapy waits for it.
        return threads.deferToThread(self._close, reason)

    def _close(self, reason: str) -> None:
        context = self.context
        try:
            result = close_run(
                self.db,
                context.run_id,
                self.sources,
                context.settings,
                today=context.today,
                exitcode=0 if reason == "finished" else 1,
                dry_run=context.dry_run,
                report_dir=None if context.dry_run else context.settings.report_dir,
            )
            events = ", ".join(f"{n} {t}" for t, n in sorted(result.events.items())) or "no events"
            log.info("run #%d %s: %s; %d alert(s) sent", result.run_id, result.status, events, result.delivery.sent)
            for name in result.failed_sources:
                log.warning("%s failed: %s", name, "; ".join(result.source_stats.get(name, {}).get("errors", [])[:3]))
        finally:
            self.lock.release()
            self.db.dispose()
