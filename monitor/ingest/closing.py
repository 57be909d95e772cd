"""The end of a source's crawl: its health verdict (monitor.health), removals confirmed (only off a
complete list crawl of a source that is not blind, monitor.removal), the baseline closed, and the
run's record of what was seen."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor import rules
from monitor.health import MASS_VANISHED, HealthFacts, apply_health, failing_reasons
from monitor.ingest.base import IngestBase
from monitor.ingest.stats import SourceStats
from monitor.lifecycle import lifecycle_from_json
from monitor.removal import removal_verdict
from monitor.status import latest_version
from monitor.store.models import Policy, Run, Source
from monitor.vocab import EventType

log = logging.getLogger("policywatch.ingest")


def finish(unit: IngestBase, due: int = 0) -> SourceStats:
    """Judge the source's health, confirm removals (only after a complete list crawl of a source
    that is not blind) and close the baseline. `due`: stored pages that were due this run."""
    st = unit.stats
    # Lists read without a failure (the same pages every run, even under a max_list_pages cap)…
    lists_ok = st.list_pages > 0 and st.list_failures == 0
    with unit._session() as session:
        source_row = unit._source_row(session)
        ok_lists = st.list_pages - st.list_failures
        reasons = failing_reasons(
            HealthFacts(ok_lists, st.links, st.fetched, st.read, st.empty, due, source_row.good_links, lists_ok)
        )
        # …and complete (no cap reached) before a page off them can be removed; a blind source's
        # lists prove nothing: no removals while it is failing.
        if lists_ok and not st.capped and not reasons and confirm_removals(unit, session, source_row):
            reasons.append(MASS_VANISHED)
        health_record(unit, session, source_row, reasons, lists_ok)
        if unit.baselining and lists_ok and not reasons:
            source_row.baselined_at = unit.now()
    unit.batch.commit()  # before the run's record, written on a connection of its own
    # The run's own record is kept even in a dry run: it says what the run saw and would do.
    with unit.db.session() as session:
        run = session.get(Run, unit.run_id)
        if run is not None:
            run.stats = {**(run.stats or {}), unit.source.name: unit.stats.as_dict()}
    counts = Counter({k: v for k, v in unit.stats.as_dict().items() if isinstance(v, int) and v})
    log.info("[%s] done: %s", unit.source.name, dict(counts))
    return unit.stats


def confirm_removals(unit: IngestBase, session: Session, source_row: Source) -> bool:
    """Pages gone (404/410/not-found) and off the complete lists: removed on the second run in a
    row (monitor.removal); a mass vanishing is a failing source instead (returns True)."""
    vanished: dict[str, Policy] = {}
    for url in sorted(unit.gone - unit.listed):
        policy = unit._policy(session, url)
        if policy is not None and policy.removed_at is None:
            vanished[url] = policy
    if not vanished:
        return False
    active = session.scalar(
        select(func.count()).select_from(Policy).where(Policy.source_id == source_row.id, Policy.removed_at.is_(None))
    )
    verdict = removal_verdict({url: p.gone_runs + 1 for url, p in vanished.items()}, int(active or 0))
    if verdict.mass_failure:
        unit.stats.list_failures += 1
        unit.stats.errors.insert(0, verdict.mass_failure)
        log.error("[%s] %s", unit.source.name, verdict.mass_failure)
        return True
    for url in verdict.pending:
        vanished[url].gone_runs += 1
        log.warning("[%s] %s is gone and off its lists; removed if still so next run", unit.source.name, url)
    for url in verdict.confirm:
        remove(unit, session, vanished[url])
    return False


def remove(unit: IngestBase, session: Session, policy: Policy) -> None:
    policy.gone_runs += 1
    policy.removed_at = unit.now()
    unit.stats.removed += 1
    latest = latest_version(session, policy)
    if not unit._quiet(policy):
        why = policy.last_fetch_error or f"HTTP {policy.last_fetch_status}"
        nth = unit._nth(session, policy, EventType.REMOVED)
        seq = latest.seq if latest else None
        unit._event(
            session, policy, rules.removed(policy.id, nth, policy.last_fetch_status, why, policy.gone_runs, seq)
        )
    if latest is not None:
        unit._refresh(session, policy, lifecycle_from_json(latest.lifecycle), quiet=True)


def health_record(
    unit: IngestBase, session: Session, source_row: Source, reasons: list[str], lists_complete: bool
) -> None:
    """The run's verdict on the source (monitor/health.py): state, and failing/recovered events."""
    unit.stats.failing = reasons
    apply_health(
        session,
        source_row,
        reasons,
        unit.stats.links,
        run_id=unit.run_id or 0,
        now=unit.now(),
        subscribers=unit.settings.subscribers,
        lists_complete=lists_complete,
    )
    if reasons:
        log.error("[%s] source failing: %s", unit.source.name, "；".join(reasons))
