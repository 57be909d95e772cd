"""Runs the crawl of several sources in one Scrapy CrawlerProcess.

Twisted's reactor cannot be restarted inside a process, so the runner calls `crawl_in_child`, which
runs `crawl_sources` in a fresh (spawned) process per run. Only that process loads Scrapy, Twisted
and the spider: the runner's own process never needs them, and importing them there cost every run
a second of start-up before the crawl process began importing them again."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from queue import Empty
from typing import Any

from crawler.childguard import guarded
from crawler.kinds import SourceKind
from monitor.config import Settings, SourceConfig

log = logging.getLogger("policywatch.crawl")


def _log_crawl_failure(failure: Any, source_name: str) -> None:
    log.error("[%s] crawl failed: %s", source_name, failure.getErrorMessage())
    log.debug("[%s] %s", source_name, failure.getTraceback())


def crawl_sources(
    db_url: str,
    run_id: int,
    sources: Sequence[SourceConfig],
    settings: Settings,
    today: date,
    overrides: Mapping[str, Any] | None = None,
    progress_queue: Any = None,
    kind_modules: Sequence[str] = (),
) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.progress import CrawlProgress
    from crawler.spiders.policy import PolicySpider
    from monitor.logjson import configure_logging

    for module in kind_modules:  # the source kinds the parent knows, its own included (crawler/kinds.py)
        importlib.import_module(module)
    scrapy_settings = get_project_settings()
    if scrapy_settings.get("BOT_NAME") != "policywatch":
        scrapy_settings.setmodule("crawler.settings", priority="project")
    scrapy_settings.set("USER_AGENT", settings.user_agent, priority="cmdline")
    scrapy_settings.setdict(
        {
            "POLICYWATCH_DB_URL": db_url,
            "POLICYWATCH_RUN_ID": run_id,
            "POLICYWATCH_SETTINGS": settings,
            "POLICYWATCH_TODAY": today.isoformat(),
            **(overrides or {}),
        },
        priority="cmdline",
    )
    # The child logs like the parent (plain lines or --log-json), not in Scrapy's own format.
    scrapy_settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(scrapy_settings)  # resets the root logger's level: configure after it
    configure_logging(scrapy_settings.get("LOG_LEVEL", "INFO"), scrapy_settings.getbool("POLICYWATCH_LOG_JSON"))
    reporters: list[CrawlProgress] = []
    for source in sources:  # each spider loads what the store knows of its pages (crawler/known.py)
        crawler = process.create_crawler(PolicySpider)
        if progress_queue is not None:  # pages done/total, from its signals (held here: signals keep weak refs)
            reporters.append(CrawlProgress(crawler, progress_queue, source.name))
        deferred = process.crawl(crawler, source=source)
        deferred.addErrback(_log_crawl_failure, source.name)
    process.start()


def crawl_in_child(
    db_url: str,
    run_id: int,
    sources: Sequence[SourceConfig],
    settings: Settings,
    today: date,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int, bool], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> int:
    """Returns the child's exit code (0 when the crawl process ended normally). `progress` is called
    with (source, pages done, pages known, finished) while the crawl runs; `meanwhile` once, as soon
    as the crawl process has started (this process's own preparation for after the crawl)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue() if progress else None
    # The child is bound to this process's life before it imports anything heavy (crawler.childguard).
    kind_modules = sorted({kind.__module__ for kind in SourceKind.registry.values()})
    args = (db_url, run_id, list(sources), settings, today, dict(overrides or {}), queue, kind_modules)
    child = ctx.Process(
        target=guarded, args=(os.getpid(), "crawler.process:crawl_sources", *args), name="policywatch-crawl"
    )
    child.start()
    if meanwhile is not None:
        meanwhile()
    while True:
        child.join(timeout=0.2)
        if queue is not None and progress is not None:
            while True:
                try:
                    progress(*queue.get_nowait())
                except Empty:
                    break
        if child.exitcode is not None:
            break
    return child.exitcode if child.exitcode is not None else 1
