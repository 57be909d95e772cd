"""One monitoring run: crawl (child process) → time-based lifecycle → deliver alerts → report.
The crawl child stores pages through the ingest pipeline; everything after it runs here."""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, exists, func, select, update

from crawler.process import CrawlOrder, CrawlProcess
from monitor.config import Settings, SourceConfig
from monitor.exitcodes import EXIT_OK, EXIT_PARTIAL
from monitor.ingest.stats import run_troubles
from monitor.killpoint import kill_point
from monitor.lock import RunLock
from monitor.logjson import logging_as_json
from monitor.policystatus import today_in_shanghai
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Run, Source
from monitor.vocab import RunStatus

if TYPE_CHECKING:
    from notifier.outbox import DeliveryStats

log = logging.getLogger("policywatch.run")

# What only the end of a run needs (the report's templates, delivery and its channels, the calendar's
# transitions) is imported while the crawl runs, on the other core, instead of after it; the report's
# helper is made ready then too when the report will be large (monitor.report.warm_helpers).
AFTER_THE_CRAWL = ("monitor.status", "notifier.outbox", "monitor.report")


def _prepare_after_the_crawl(db: Database, sources: Sequence[SourceConfig], report_dir: str | Path | None) -> None:
    """While the crawl runs (after it was ordered: nothing here delays it)."""
    for module in AFTER_THE_CRAWL:
        importlib.import_module(module)
    if _large_report(db, sources, report_dir):
        from monitor.report import warm_helpers

        warm_helpers()


@dataclass(slots=True)
class RunResult:
    run_id: int
    status: str
    source_stats: dict[str, dict[str, Any]]
    events: Counter[str]
    delivery: DeliveryStats
    report: Path | None
    failed_sources: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when a source failed or an alert could not be delivered (it is retried next run)."""
        return EXIT_OK if self.status == "ok" else EXIT_PARTIAL


def run_once(
    db: Database,
    sources: Sequence[SourceConfig],
    settings: Settings,
    *,
    report_dir: str | Path | None,
    today: date | None = None,
    scrapy_overrides: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    progress: Callable[[str, int, int, bool], None] | None = None,
    workers: str | None = None,
    redis_prefix: str = "policywatch",
    crawl_process: CrawlProcess | None = None,
) -> RunResult:
    """Raises LockedError when another run holds the database's run lock. `workers`: a Redis URL;
    the run then coordinates `policywatch worker` processes sharing its frontier (crawler/distributed.py).
    `crawl_process`: one started early by the caller (it imports Scrapy meanwhile), else one is started."""
    if workers:
        from crawler.distributed import distributed_overrides  # scrapy-redis: the `distributed` extra

        scrapy_overrides = {**(scrapy_overrides or {}), **distributed_overrides(workers, redis_prefix, seeder=True)}
    with RunLock(db):
        crawl_process = crawl_process or CrawlProcess()
        try:
            return _run_locked(
                db,
                sources,
                settings,
                report_dir=report_dir,
                today=today or today_in_shanghai(),
                scrapy_overrides=scrapy_overrides,
                dry_run=dry_run,
                progress=progress,
                crawl_process=crawl_process,
            )
        finally:
            crawl_process.close()  # unused when the run failed before its crawl: stopped


def _run_locked(
    db: Database,
    sources: Sequence[SourceConfig],
    settings: Settings,
    *,
    report_dir: str | Path | None,
    today: date,
    scrapy_overrides: Mapping[str, Any] | None,
    dry_run: bool,
    progress: Callable[[str, int, int, bool], None] | None,
    crawl_process: CrawlProcess,
) -> RunResult:
    run_id, sources = open_run(db, sources)
    # The crawl child logs at the level the operator chose for this process.
    overrides = {
        "LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        "POLICYWATCH_LOG_JSON": logging_as_json(),
        "POLICYWATCH_DRY_RUN": dry_run,
        **(scrapy_overrides or {}),
    }
    redis_url = overrides.get("POLICYWATCH_REDIS_URL")
    if redis_url:
        from crawler.distributed import announce, retire

        announce(redis_url, overrides["POLICYWATCH_REDIS_PREFIX"], run_id, list(sources), settings, today)
    try:
        exitcode = crawl_process.crawl(
            CrawlOrder(db.url, run_id, sources, settings, today, overrides),
            progress,
            meanwhile=partial(_prepare_after_the_crawl, db, sources, None if dry_run else report_dir),
        )
    finally:
        if redis_url:
            retire(redis_url, overrides["POLICYWATCH_REDIS_PREFIX"], run_id)
    if exitcode != 0:
        log.error("crawl process exited with code %s; what was stored so far is kept", exitcode)
    return close_run(
        db, run_id, sources, settings, today=today, exitcode=exitcode, dry_run=dry_run, report_dir=report_dir
    )


def _large_report(db: Database, sources: Sequence[SourceConfig], report_dir: str | Path | None) -> bool:
    """Whether the run's report will write a page for most policies — a source crawled for the first
    time, or a report directory without its index — so that its helper is worth starting while the
    crawl runs (monitor.report.warm_helpers: ~0.3 s of CPU, a tenth of a small re-check's run)."""
    if not report_dir:
        return False
    if not (Path(report_dir) / "index.html").is_file():
        return True
    names = [source.name for source in sources]
    stored = exists().where(Policy.source_id == Source.id)
    with db.session() as session:
        return session.scalar(select(func.count()).where(Source.name.in_(names), stored)) != len(set(names))


def open_run(db: Database, sources: Sequence[SourceConfig]) -> tuple[int, list[SourceConfig]]:
    """The run's row (status running), with the run lock held: its id, and the sources to crawl
    (those not paused)."""
    with db.session() as session:
        # Holding the lock, no other run is alive: one still "running" was killed (SIGKILL, power loss).
        interrupt = (
            update(Run).where(Run.status == "running").values(status="interrupted", finished_at=datetime.now(UTC))
        )
        stale = cast(CursorResult[Any], session.execute(interrupt)).rowcount
        if stale:
            log.warning("%d earlier run(s) had been killed mid-way; marked interrupted", stale)
        # Every source's row exists before any crawl process starts: several workers meeting a new
        # source at once must not race to create it (a unique violation fails their crawl).
        known = set(session.scalars(select(Source.name)))
        session.add_all(Source(name=s.name, region=s.region) for s in sources if s.name not in known)
        paused = set(session.scalars(select(Source.name).where(Source.paused_at.is_not(None))))
        run = Run(started_at=datetime.now(UTC), status="running", stats={})
        session.add(run)
        session.flush()
        run_id = int(run.id)
    for name in sorted(paused & {s.name for s in sources}):
        log.info("source %s is paused (policywatch serve → 来源); not crawled this run", name)
    return run_id, [s for s in sources if s.name not in paused]


def close_run(
    db: Database,
    run_id: int,
    sources: Sequence[SourceConfig],
    settings: Settings,
    *,
    today: date,
    exitcode: int,
    dry_run: bool,
    report_dir: str | Path | None,
) -> RunResult:
    """After the crawl: time-based lifecycle, alerts, the run's status, the report."""
    from monitor.report import render_report
    from monitor.status import apply_time_transitions
    from notifier.outbox import DeliveryStats, deliver_pending

    # The calendar moves on its own: time-based lifecycle events are computed on every run.
    with db.session(commit=not dry_run) as session:
        apply_time_transitions(
            session,
            today=today,
            now=datetime.now(UTC),
            run_id=run_id,
            subscribers=settings.subscribers,
            soon_days=settings.expiring_soon_days,
        )
    kill_point("before-delivery")  # test seam, inert unless $POLICYWATCH_KILL_AT names it
    delivery = DeliveryStats() if dry_run else deliver_pending(db, settings)
    with db.session() as session:
        finished = session.get(Run, run_id)
        assert finished is not None
        stats = dict(finished.stats or {})
        failed = sorted(run_troubles(stats, [s.name for s in sources]))
        ok = not failed and exitcode == 0 and not delivery.failed
        finished.status = RunStatus.DRY_RUN if dry_run else RunStatus.OK if ok else RunStatus.PARTIAL
        finished.finished_at = datetime.now(UTC)
        finished.alerts_sent, finished.alerts_failed = delivery.sent, delivery.failed
        events = Counter(
            dict(
                session.execute(
                    select(Event.type, func.count()).where(Event.run_id == run_id).group_by(Event.type)
                ).all()
            )
        )
    if dry_run:
        events = Counter(would["type"] for st in stats.values() for would in st.get("would", []))
    report = render_report(db, report_dir, today=today, run_id=run_id) if report_dir and not dry_run else None
    status = "partial" if failed or exitcode or delivery.failed else "ok"
    return RunResult(run_id, status, stats, events, delivery, report, failed)
