"""Status of a stored policy on a given day, and the time-based events (taking_effect,
expiring_soon, expired) raised when it crosses a boundary — each exactly once per transition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from monitor import rules
from monitor.config import Subscriber
from monitor.events import record_event
from monitor.lifecycle import Lifecycle, lifecycle_from_json, shift
from monitor.policystatus import StatusFacts, compute_status
from monitor.store.models import Policy, RepealLink, Version

# Read for every changed page and every status refresh: built once.
_LATEST = select(Version).where(Version.policy_id == bindparam("policy")).order_by(Version.seq.desc()).limit(1)


def latest_version(session: Session, policy: Policy) -> Version | None:
    return session.scalar(_LATEST, {"policy": policy.id})


def status_facts(session: Session, policy: Policy) -> StatusFacts:
    if policy.repealed_by is None:
        return StatusFacts(withdrawn=policy.removed_at is not None)
    link = session.scalar(
        select(RepealLink).where(
            RepealLink.target_policy_id == policy.id, RepealLink.repealing_policy_id == policy.repealed_by_id
        )
    )
    return StatusFacts(
        repealed_by=policy.repealed_by.title,
        repeal_sentence=link.sentence if link else "",
        repeal_kind=link.kind if link else "repeal",
        withdrawn=policy.removed_at is not None,
    )


def refresh_status(
    session: Session,
    policy: Policy,
    *,
    today: date,
    now: datetime,
    run_id: int | None,
    subscribers: Sequence[Subscriber],
    soon_days: int,
    quiet: bool = False,
    lifecycle: Lifecycle | None = None,
) -> None:
    if lifecycle is None:
        version = latest_version(session, policy)
        if version is None:
            return
        lifecycle = lifecycle_from_json(version.lifecycle)
    new = compute_status(lifecycle, status_facts(session, policy), today, soon_days)
    old_status = policy.status
    values = {
        "next_status_check": next_status_change(lifecycle, today, soon_days),
        "status": new.status.value,
        "status_source": new.source.value + (" (presumed)" if new.presumed else ""),
        "status_evidence": new.evidence,
        "status_since": new.since,
    }
    for name, value in values.items():
        # Only what changed: an equal assignment still marks the row modified, and costs a flush.
        if getattr(policy, name) != value:
            setattr(policy, name, value)
    spec = None if quiet else rules.time_transition(policy.id, old_status, new.status, new.evidence, lifecycle)
    if spec is not None:
        record_event(session, spec, policy=policy, run_id=run_id, now=now, subscribers=subscribers)


def next_status_change(lc: Lifecycle, today: date, soon_days: int) -> date | None:
    """The first day after `today` on which the calendar alone can change the status: taking effect,
    entering the expiring-soon window, the day after expiry, an official repeal date."""
    expires = lc.expires.date
    boundaries = (
        lc.effective.date,
        shift(expires, days=-soon_days),
        shift(expires, days=1),
        lc.official_repeal_date,
    )
    return min((d for d in boundaries if d is not None and d > today), default=None)


def apply_time_transitions(
    session: Session,
    *,
    today: date,
    now: datetime,
    run_id: int | None,
    subscribers: Sequence[Subscriber],
    soon_days: int,
) -> None:
    """Run on every run, even when no page changed: the calendar moves on its own. Only policies with
    a boundary due (an indexed column kept by refresh_status) are read, never the whole library."""
    due = select(Policy).where(Policy.next_status_check <= today).order_by(Policy.id)
    for policy in session.scalars(due):
        refresh_status(
            session, policy, today=today, now=now, run_id=run_id, subscribers=subscribers, soon_days=soon_days
        )
