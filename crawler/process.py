"""Runs the crawl of several sources in one Scrapy CrawlerProcess.

Twisted's reactor cannot be restarted inside a process, so the runner crawls in a fresh (spawned)
process per run (CrawlProcess), which runs `crawl_sources`. Only that process loads Scrapy, Twisted
and the spider: the runner's own process never needs them, and importing them there cost every run
a second of start-up before the crawl process began importing them again."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from queue import Empty
from typing import TYPE_CHECKING, Any

from crawler.childguard import guarded

if TYPE_CHECKING:
    from monitor.config import Settings, SourceConfig

log = logging.getLogger("policywatch.crawl")

# What every crawl imports (~1 s), imported before the run's order arrives (CrawlProcess).
CRAWL_MODULES = (
    "scrapy.crawler",
    "scrapy.utils.project",
    "scrapy.core.downloader.handlers.http11",  # loaded when the crawler is built: TLS (0.15 s)
    "crawler.progress",
    "crawler.spiders.policy",
    "monitor.logjson",
)


def _log_crawl_failure(failure: Any, source_name: str) -> None:
    log.error("[%s] crawl failed: %s", source_name, failure.getErrorMessage())
    log.debug("[%s] %s", source_name, failure.getTraceback())


@dataclass(frozen=True, slots=True)
class CrawlOrder:
    """What one crawl process crawls, for which run: sent to it once the run is open."""

    db_url: str
    run_id: int
    sources: Sequence[SourceConfig]
    settings: Settings
    today: date
    overrides: Mapping[str, Any] = field(default_factory=dict)  # Scrapy settings over the project's


def crawl_sources(order: CrawlOrder, progress_queue: Any = None, kind_modules: Sequence[str] = ()) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.progress import CrawlProgress
    from crawler.spiders.policy import PolicySpider
    from monitor.logjson import configure_logging

    for module in kind_modules:
        importlib.import_module(module)
    scrapy_settings = get_project_settings()
    if scrapy_settings.get("BOT_NAME") != "policywatch":
        scrapy_settings.setmodule("crawler.settings", priority="project")
    scrapy_settings.set("USER_AGENT", order.settings.user_agent, priority="cmdline")
    scrapy_settings.setdict(
        {
            "POLICYWATCH_DB_URL": order.db_url,
            "POLICYWATCH_RUN_ID": order.run_id,
            "POLICYWATCH_SETTINGS": order.settings,
            "POLICYWATCH_TODAY": order.today.isoformat(),
            **order.overrides,
        },
        priority="cmdline",
    )
    # The child logs like the parent (plain lines or --log-json), not in Scrapy's own format.
    scrapy_settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(scrapy_settings)  # resets the root logger's level: configure after it
    configure_logging(scrapy_settings.get("LOG_LEVEL", "INFO"), scrapy_settings.getbool("POLICYWATCH_LOG_JSON"))
    reporters: list[CrawlProgress] = []
    for source in order.sources:  # each spider loads what the store knows of its pages (crawler/known.py)
        crawler = process.create_crawler(PolicySpider)
        if progress_queue is not None:  # pages done/total, from its signals (held here: signals keep weak refs)
            reporters.append(CrawlProgress(crawler, progress_queue, source.name))
        deferred = process.crawl(crawler, source=source)
        deferred.addErrback(_log_crawl_failure, source.name)
    process.start()


class CrawlProcess:
    """The crawl's child process, started before the run knows what to crawl: it imports Scrapy and
    the spider (about a second) on the other core while this process opens the database and the
    run, then `crawl` tells it what to crawl. One crawl per process (Twisted's reactor runs once)."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        # Created with the child: a queue reaches a spawned process only as an argument of its start.
        self._progress: Any = ctx.Queue()
        orders, self._orders = ctx.Pipe(duplex=False)
        # The child is bound to this process's life before it imports anything heavy (crawler.childguard).
        self._child = ctx.Process(
            target=guarded,
            args=(os.getpid(), "crawler.process:crawl_when_told", orders, self._progress),
            name="policywatch-crawl",
        )
        self._child.start()
        orders.close()

    def crawl(
        self,
        order: CrawlOrder,
        progress: Callable[[str, int, int, bool], None] | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> int:
        """Returns the child's exit code (0 when the crawl process ended normally). `progress` is
        called with (source, pages done, pages known, finished) while the crawl runs; `meanwhile`
        once, as soon as the crawl is under way (this process's own preparation for after it)."""
        from crawler.kinds import SourceKind

        # The source kinds this process knows, its own included (crawler/kinds.py), for the child to import.
        kind_modules = sorted({kind.__module__ for kind in SourceKind.registry.values()})
        self._orders.send((order, kind_modules, progress is not None))
        self._orders.close()  # sent: the process is the crawl's (close() leaves it be)
        if meanwhile is not None:
            meanwhile()
        child = self._child
        while True:
            child.join(timeout=0.2)
            while progress is not None:
                try:
                    progress(*self._progress.get_nowait())
                except Empty:
                    break
            if child.exitcode is not None:
                return child.exitcode

    def close(self) -> None:
        """Once the run is over, or could not start: a child never ordered to crawl is stopped (it
        would wait for an order); one that crawled has ended already."""
        if self._orders.closed:
            return
        self._orders.close()
        self._child.terminate()
        self._child.join()


def crawl_when_told(orders: Connection, progress_queue: Any) -> None:
    """The crawl process: imports what a crawl needs, then crawls what the parent orders; no order
    (the parent closed the pipe) ends it."""
    for module in CRAWL_MODULES:
        importlib.import_module(module)
    try:
        order, kind_modules, with_progress = orders.recv()
    except EOFError:
        return
    crawl_sources(order, progress_queue if with_progress else None, kind_modules)
