"""`policywatch schedule`: an APScheduler 3 daemon with one job per source (its `schedule` cron
expression, Asia/Shanghai), a daily job for time-based lifecycle events and one that retries the
alert outbox. Jobs persist in the same database (SQLAlchemyJobStore, table created by Alembic);
coalesce + max_instances=1 + a misfire grace time mean a sleeping laptop or a restart runs a missed
source once, not five times. Each crawl runs in a child process (Twisted's reactor cannot restart)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.events import EVENT_SCHEDULER_START, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import SourceConfig, load_settings, load_sources, sources_by_name
from monitor.config.crontab import TIMEZONE, cron_trigger
from monitor.lock import LockedError, RunLock
from monitor.policystatus import today_in_shanghai
from monitor.runner import run_once
from monitor.status import apply_time_transitions
from monitor.store.db import Database
from notifier.outbox import deliver_pending

log = logging.getLogger("policywatch.schedule")

# Set on SIGTERM: jobs already queued behind the running one return at once instead of starting.
STOPPING = threading.Event()
MISFIRE_GRACE = 3600  # seconds: a run missed by less than this still happens (once) after a restart


# --- jobs (top-level functions: the job store pickles references to them) ------------------------


def run_source_job(db_url: str, sources_file: str, config_file: str | None, source_name: str) -> None:
    if STOPPING.is_set():
        return
    settings = load_settings(config_file)
    source = sources_by_name(load_sources(sources_file), [source_name])[0]
    db = Database(db_url)
    try:
        result = run_once(db, [source], settings, report_dir=settings.report_dir)
        log.warning(
            "[%s] run #%s %s: %s", source_name, result.run_id, result.status, dict(result.events) or "no events"
        )
    except LockedError as exc:
        log.warning("[%s] skipped: %s", source_name, exc)
    finally:
        db.dispose()


def lifecycle_job(db_url: str, config_file: str | None) -> None:
    if STOPPING.is_set():
        return
    settings = load_settings(config_file)
    db = Database(db_url)
    try:
        with RunLock(db), db.session() as session:
            apply_time_transitions(
                session,
                today=today_in_shanghai(),
                now=datetime.now(UTC),
                run_id=None,
                subscribers=settings.subscribers,
                soon_days=settings.expiring_soon_days,
            )
        deliver_pending(db, settings)
    except LockedError as exc:
        log.warning("lifecycle check skipped: %s", exc)
    finally:
        db.dispose()


def outbox_job(db_url: str, config_file: str | None) -> None:
    if STOPPING.is_set():
        return
    settings = load_settings(config_file)
    db = Database(db_url)
    try:
        stats = deliver_pending(db, settings)
        if stats.sent or stats.failed:
            log.warning("outbox: sent %d, failed %d, gave up %d", stats.sent, stats.failed, stats.gave_up)
    finally:
        db.dispose()


def build_scheduler(
    db: Database, sources: list[SourceConfig], sources_file: str, config_file: str | None, *, outbox_minutes: int = 5
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(1)},  # one crawl at a time; the run lock agrees
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone=TIMEZONE,
    )
    store = scheduler._jobstores["default"]
    stored = {job.id: job for job in store.get_all_jobs()}
    jobs: list[tuple[str, Callable[..., None], BaseTrigger, str, list[str | None]]] = [
        *(
            (
                f"source:{s.name}",
                run_source_job,
                cron_trigger(s.schedule),
                f"crawl {s.name}",
                [db.url, sources_file, config_file, s.name],
            )
            for s in sources
        ),
        ("lifecycle", lifecycle_job, cron_trigger("5 0 * * *"), "time-based lifecycle events", [db.url, config_file]),
        (
            "outbox",
            outbox_job,
            IntervalTrigger(minutes=outbox_minutes, timezone=TIMEZONE),
            "retry the alert outbox",
            [db.url, config_file],
        ),
    ]
    for job_id, func, trigger, name, args in jobs:
        old = stored.pop(job_id, None)
        if old is not None and _same_job(old, func, trigger, args):
            continue  # keep its stored next run: a run missed while the daemon was down still happens once
        scheduler.add_job(func, trigger, id=job_id, name=name, args=args, replace_existing=True)
    for job_id in stored:  # sources no longer in the file
        store.remove_job(job_id)
    return scheduler


def _same_job(job: Job, func: Callable[..., None], trigger: BaseTrigger, args: list[str | None]) -> bool:
    return job.func is func and str(job.trigger) == str(trigger) and list(job.args) == args


def _log_next_runs(scheduler: BlockingScheduler) -> Callable[[SchedulerEvent], None]:
    """Once started (when every job has its next run time), say when each job runs next."""

    def listener(_event: SchedulerEvent) -> None:
        for job in scheduler.get_jobs():
            log.warning("scheduled %s: next %s", job.name, job.next_run_time)

    return listener


def serve_forever(scheduler: BlockingScheduler) -> None:
    """Block until SIGTERM/SIGINT; the job in progress finishes, then the process exits."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.warning("received %s: finishing the current job, then stopping", signal.Signals(signum).name)
        STOPPING.set()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.add_listener(_log_next_runs(scheduler), EVENT_SCHEDULER_START)
    scheduler.start()
