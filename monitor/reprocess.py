"""`policywatch reprocess`: every stored version re-read by the running extractor and normaliser.

Facts and statuses are updated in place and what changed is recorded as a quiet `facts_corrected`
entry per version; nothing is ever sent. Holds the run lock, one transaction per policy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import monitor.derive as derivation
from monitor.config import Settings, SourceConfig
from monitor.correct import rederive
from monitor.ingest import Ingestor
from monitor.lock import RunLock
from monitor.store.db import Database
from monitor.store.models import Policy, Source, Version

log = logging.getLogger("policywatch.reprocess")

# Progress is logged every this many versions when no progress bar is shown.
LOG_EVERY = 200


@dataclass(slots=True)
class ReprocessSummary:
    derivation_version: int = field(default_factory=lambda: derivation.DERIVATION_VERSION)
    dry_run: bool = False
    policies: int = 0
    versions: int = 0
    corrected: int = 0  # versions whose text or facts the running code reads differently
    status_changed: int = 0
    failed: list[str] = field(default_factory=list)  # versions the running code cannot read
    skipped: list[str] = field(default_factory=list)  # stored sources not in the sources file
    corrections: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "sent": 0}


Progress = Callable[[int, int], None]  # (versions done, versions in all)


def reprocess(
    db: Database,
    sources: Sequence[SourceConfig],
    settings: Settings,
    *,
    today: date,
    only: Sequence[str] = (),
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReprocessSummary:
    """Raises LockedError when a run holds the database."""
    summary = ReprocessSummary(dry_run=dry_run)
    configured = {s.name: s for s in sources}
    with RunLock(db):
        with db.session() as session:
            stored = list(session.scalars(select(Source.name).order_by(Source.name)))
            wanted = [n for n in stored if n in configured and (not only or n in only)]
            total = session.scalar(
                select(func.count()).select_from(Version).join(Policy).join(Source).where(Source.name.in_(wanted))
            )
            ids = {
                n: list(session.scalars(select(Policy.id).join(Source).where(Source.name == n).order_by(Policy.id)))
                for n in wanted
            }
        summary.skipped = [
            f"{n}: not in the sources file, its selectors are unknown" for n in stored if n not in configured
        ]
        for name in wanted:
            ingestor = Ingestor(
                db, run_id=None, source=configured[name], settings=settings, today=today, dry_run=dry_run
            )
            for policy_id in ids[name]:
                before = summary.versions
                with db.session(commit=not dry_run) as session:
                    _policy(session, ingestor, policy_id, summary)
                if progress is not None:
                    progress(summary.versions, total or 0)
                elif summary.versions // LOG_EVERY != before // LOG_EVERY:
                    log.info("reprocess: %d/%d versions", summary.versions, total)
    return summary


def _policy(session: Session, ingestor: Ingestor, policy_id: int, summary: ReprocessSummary) -> None:
    """Re-read one policy's versions, oldest first (the last one also updates the policy)."""
    policy = session.get(Policy, policy_id)
    assert policy is not None
    summary.policies += 1
    versions = list(policy.versions)
    for version in versions:
        summary.versions += 1
        try:
            again, _ = rederive(policy, version, ingestor.source)
        except Exception as exc:  # the stored page stays as it was read; the summary says why
            summary.failed.append(f"#{policy.id} v{version.seq} {policy.url}: {type(exc).__name__}: {exc}")
            continue
        correction = ingestor.correct(session, policy, version, again, latest=version is versions[-1])
        if correction.changed:
            summary.corrected += 1
            summary.status_changed += bool(correction.status)
            summary.corrections.append(
                {"policy_id": policy.id, "title": policy.title, "summary": correction.summary(), **correction.to_json()}
            )
