"""Runs the crawl of several sources in one Scrapy CrawlerProcess.

Twisted's reactor cannot be restarted inside a process, so the runner calls `crawl_in_child`, which
runs `crawl_sources` in a fresh (spawned) process per run."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from sqlalchemy import func, select

from crawler.childguard import guarded
from crawler.progress import SharedRef
from crawler.recheck import recheck
from crawler.spiders.policy import KnownPage, PolicySpider
from monitor.config import Settings, SourceConfig
from monitor.logjson import configure_logging
from monitor.store.db import Database
from monitor.store.models import Policy, PolicyAlias, Source, Version

log = logging.getLogger("policywatch.crawl")


def known_pages(db: Database, source: SourceConfig, today: date) -> dict[str, KnownPage]:
    """Stored pages of the source (not confirmed removed) with their validators and what the
    re-check policy (crawler/recheck.py) says about them today."""
    latest = select(Version.policy_id, func.max(Version.seq).label("seq")).group_by(Version.policy_id).subquery()
    query = (
        select(Policy, Version.etag, Version.last_modified)
        .join(Source)
        .outerjoin(latest, latest.c.policy_id == Policy.id)
        .outerjoin(Version, (Version.policy_id == Policy.id) & (Version.seq == latest.c.seq))
        .where(Source.name == source.name, Policy.removed_at.is_(None))
        .order_by(Policy.id)
    )
    out: dict[str, KnownPage] = {}
    with db.session() as session:
        for policy, etag, last_modified in session.execute(query):
            plan = recheck(
                policy.url,
                policy.status,
                policy.full_fetch_on,
                today,
                inactive_days=source.recheck_inactive_days,
                full_refetch_days=source.full_refetch_days,
            )
            validators = ("", "") if plan.unconditional else (etag or "", last_modified or "")
            out[policy.url] = KnownPage(*validators, policy.list_title, policy.list_date, plan.due)
        for url in session.scalars(select(PolicyAlias.url).join(Source).where(Source.name == source.name)):
            out.setdefault(url, KnownPage())
    return out


def download_slots(sources: Sequence[SourceConfig]) -> dict[str, dict[str, Any]]:
    """Per-host politeness from the sources file (delay, concurrency) as Scrapy download slots."""
    slots: dict[str, dict[str, Any]] = {}
    for source in sources:
        for url in source.start_urls:
            host = urlsplit(url).hostname or ""
            slot = slots.setdefault(host, {})
            if source.download_delay is not None:
                slot["delay"] = min(slot.get("delay", source.download_delay), source.download_delay)
            if source.concurrency is not None:
                slot["concurrency"] = max(slot.get("concurrency", source.concurrency), source.concurrency)
    return {host: slot for host, slot in slots.items() if slot}


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
) -> None:
    scrapy_settings = get_project_settings()
    if scrapy_settings.get("BOT_NAME") != "policywatch":
        scrapy_settings.setmodule("crawler.settings", priority="project")
    scrapy_settings.set("USER_AGENT", settings.user_agent, priority="cmdline")
    scrapy_settings.set("DOWNLOAD_SLOTS", download_slots(sources), priority="cmdline")
    scrapy_settings.setdict(
        {
            "POLICYWATCH_DB_URL": db_url,
            "POLICYWATCH_RUN_ID": run_id,
            "POLICYWATCH_SETTINGS": settings,
            "POLICYWATCH_TODAY": today.isoformat(),
            "POLICYWATCH_PROGRESS_QUEUE": SharedRef(progress_queue) if progress_queue is not None else None,
            **(overrides or {}),
        },
        priority="cmdline",
    )
    db = Database(db_url)
    # The child logs like the parent (plain lines or --log-json), not in Scrapy's own format.
    scrapy_settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(scrapy_settings)  # resets the root logger's level: configure after it
    configure_logging(scrapy_settings.get("LOG_LEVEL", "INFO"), scrapy_settings.getbool("POLICYWATCH_LOG_JSON"))
    for source in sources:
        deferred = process.crawl(PolicySpider, source=source, known=known_pages(db, source, today))
        deferred.addErrback(_log_crawl_failure, source.name)
    db.dispose()
    process.start()


def crawl_in_child(
    db_url: str,
    run_id: int,
    sources: Sequence[SourceConfig],
    settings: Settings,
    today: date,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int, bool], None] | None = None,
) -> int:
    """Returns the child's exit code (0 when the crawl process ended normally). `progress` is called
    with (source, pages done, pages known, finished) while the crawl runs."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue() if progress else None
    # The child is bound to this process's life before it imports anything heavy (crawler.childguard).
    args = (db_url, run_id, list(sources), settings, today, dict(overrides or {}), queue)
    child = ctx.Process(
        target=guarded, args=(os.getpid(), "crawler.process:crawl_sources", *args), name="policywatch-crawl"
    )
    child.start()
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
