"""One monitoring run: crawl (child process) → time-based lifecycle → deliver alerts → report.
The crawl child stores pages through the ingest pipeline; everything after it runs here."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crawler.process import crawl_in_child
from monitor.config import Settings, SourceConfig
from monitor.exitcodes import EXIT_OK, EXIT_PARTIAL
from monitor.lifecycle import today_in_shanghai
from monitor.report import render_report
from monitor.status import apply_time_transitions
from monitor.store.db import Database
from monitor.store.models import Event, Run
from notifier.outbox import DeliveryStats, deliver_pending

log = logging.getLogger("policywatch.run")


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
        return EXIT_OK if self.status == "ok" else EXIT_PARTIAL


def run_once(
    db: Database,
    sources: Sequence[SourceConfig],
    settings: Settings,
    *,
    report_dir: str | Path | None,
    today: date | None = None,
    scrapy_overrides: Mapping[str, Any] | None = None,
) -> RunResult:
    today = today or today_in_shanghai()
    now = datetime.now(UTC)
    with db.session() as session:
        run = Run(started_at=now, status="running", stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    # The crawl child logs at the level the operator chose for this process.
    overrides = {"LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()), **(scrapy_overrides or {})}
    exitcode = crawl_in_child(db.url, run_id, sources, settings, today, overrides)
    if exitcode != 0:
        log.error("crawl process exited with code %s; what was stored so far is kept", exitcode)
    with db.session() as session:
        apply_time_transitions(
            session,
            today=today,
            now=datetime.now(UTC),
            run_id=run_id,
            subscribers=settings.subscribers,
            soon_days=settings.expiring_soon_days,
        )
    delivery = deliver_pending(db, settings)
    with db.session() as session:
        run = session.get(Run, run_id)
        assert run is not None
        stats = dict(run.stats or {})
        failed = sorted(
            s.name
            for s in sources
            if s.name not in stats
            or stats[s.name]["list_failures"]
            or stats[s.name]["failed"]
            or not stats[s.name]["list_pages"]
        )
        run.status = "ok" if not failed and exitcode == 0 else "partial"
        run.finished_at = datetime.now(UTC)
        events = Counter(
            dict(
                session.execute(
                    select(Event.type, func.count()).where(Event.run_id == run_id).group_by(Event.type)
                ).all()
            )
        )
        status = run.status
    report = render_report(db, report_dir, today=today) if report_dir else None
    return RunResult(run_id, status, stats, events, delivery, report, failed)
