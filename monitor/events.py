"""Event kinds and how one is recorded: once per transition, with its outbox rows in the same
transaction (so an event never exists without its alerts, nor an alert without its event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Subscriber
from monitor.store.models import Alert, Event, Policy, Source, Version

EVENT_LABELS = {
    "new_policy": "新政策",
    "text_changed": "内容变化",
    "removed": "页面撤下",
    "restored": "页面恢复",
    "repealed": "已被废止",
    "expiry_changed": "有效期变化",
    "taking_effect": "开始施行",
    "expiring_soon": "即将到期",
    "expired": "已到期失效",
    "facts_corrected": "事实更正(程序升级)",
    "source_failing": "信息源异常",
    "source_recovered": "信息源恢复",
}

# Entries of a policy's history that are never sent to anyone: a newer extractor or normaliser
# re-read a stored page. Shown in the report and `policywatch history`; no outbox row is ever written.
QUIET_EVENTS = frozenset({"facts_corrected"})


# Facts that touch money, rates, deadlines or who qualifies make a text change important.
_WEIGHTY_FACTS = {"amount_changed", "ratio_changed", "date_changed", "scope_changed", "clause_added", "clause_removed"}


def importance(type_: str, details: dict[str, Any]) -> str:
    """low / medium / high, for subscribers' min_importance filter."""
    if type_ in {"repealed", "expired", "expiry_changed", "source_failing"}:
        return "high"
    if type_ == "text_changed":
        kinds = {f.get("kind") for f in details.get("facts", [])}
        return "high" if kinds & _WEIGHTY_FACTS else "medium"
    if type_ in {"new_policy", "removed", "restored", "expiring_soon", "source_recovered"}:
        return "medium"
    return "low"


def policy_regions(policy: Policy) -> str:
    """Where a policy belongs, for region filters: its source's region, the regions of the sites
    that mirror it, and its issuers (a district's policy found first on a city-wide aggregator is
    still that district's)."""
    names = [policy.source.region, *(alias.source.region for alias in policy.aliases), policy.issuer]
    return "\n".join(n for n in names if n)


def record_event(
    session: Session,
    *,
    policy: Policy,
    type_: str,
    dedupe_key: str,
    summary: str,
    details: dict[str, Any],
    run_id: int | None,
    now: datetime,
    subscribers: Sequence[Subscriber],
    version_id: int | None = None,
) -> Event | None:
    """Insert the event unless this transition was already recorded; returns the new event."""
    if session.scalar(select(Event.id).where(Event.dedupe_key == dedupe_key)) is not None:
        return None
    event = _insert(session, type_, dedupe_key, summary, details, run_id, now, policy=policy, version_id=version_id)
    haystack = f"{policy.title}\n{summary}"
    if any(sub.keywords for sub in subscribers):
        latest_text = session.scalar(
            select(Version.text).where(Version.policy_id == policy.id).order_by(Version.seq.desc()).limit(1)
        )
        haystack += "\n" + (latest_text or "")
    _queue_alerts(
        session, event, policy.source, haystack, () if type_ in QUIET_EVENTS else subscribers, policy_regions(policy)
    )
    return event


def record_source_event(
    session: Session,
    *,
    source: Source,
    type_: str,
    dedupe_key: str,
    summary: str,
    details: dict[str, Any],
    run_id: int | None,
    now: datetime,
    subscribers: Sequence[Subscriber],
) -> Event | None:
    """A source's own event (source_failing / source_recovered), once per transition."""
    if session.scalar(select(Event.id).where(Event.dedupe_key == dedupe_key)) is not None:
        return None
    event = _insert(session, type_, dedupe_key, summary, details, run_id, now, source=source)
    _queue_alerts(session, event, source, f"{source.name}\n{summary}", subscribers)
    return event


def _insert(
    session: Session,
    type_: str,
    dedupe_key: str,
    summary: str,
    details: dict[str, Any],
    run_id: int | None,
    now: datetime,
    *,
    policy: Policy | None = None,
    source: Source | None = None,
    version_id: int | None = None,
) -> Event:
    event = Event(
        run_id=run_id,
        policy=policy,
        source=source,
        version_id=version_id,
        type=type_,
        detected_at=now,
        summary=summary,
        details={**details, "importance": importance(type_, details)},
        dedupe_key=dedupe_key,
    )
    session.add(event)
    session.flush()
    return event


def _queue_alerts(
    session: Session,
    event: Event,
    source: Source,
    haystack: str,
    subscribers: Sequence[Subscriber],
    regions: str = "",
) -> None:
    """Outbox rows for the subscribers that want this event, in the event's transaction."""
    for sub in subscribers:
        if sub.wants(event.type, event.details["importance"], regions or source.region, source.name, haystack):
            session.add(Alert(event_id=event.id, subscriber=sub.name, status="pending"))


def event_json(event: Event) -> dict[str, Any]:
    """The public shape of an event (`policywatch events --json`). A source's own event
    (source_failing / source_recovered) has no policy: its policy fields are null."""
    policy, source = event.policy, event.origin
    return {
        "id": event.id,
        "type": event.type,
        "policy_id": policy.id if policy else None,
        "policy_title": policy.title if policy else None,
        "doc_number": (policy.doc_number or None) if policy else None,
        "source": source.name,
        "region": source.region,
        "url": policy.url if policy else None,
        "urls": [policy.url, *(alias.url for alias in policy.aliases)] if policy else [],
        "detected_at": event.detected_at.isoformat(),
        "run_id": event.run_id,
        "summary": event.summary,
        "importance": event.details.get("importance", "low"),
        "details": event.details,
    }
