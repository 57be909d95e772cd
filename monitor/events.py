"""Event kinds and how one is recorded: once per transition, with its outbox rows in the same
transaction (so an event never exists without its alerts, nor an alert without its event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Subscriber
from monitor.store.models import Alert, Event, Policy, Version

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
}

# Entries of a policy's history that are never sent to anyone: a newer extractor or normaliser
# re-read a stored page. Shown in the report and `policywatch history`; no outbox row is ever written.
QUIET_EVENTS = frozenset({"facts_corrected"})


# Facts that touch money, rates, deadlines or who qualifies make a text change important.
_WEIGHTY_FACTS = {"amount_changed", "ratio_changed", "date_changed", "scope_changed", "clause_added", "clause_removed"}


def importance(type_: str, details: dict[str, Any]) -> str:
    """low / medium / high, for subscribers' min_importance filter."""
    if type_ in {"repealed", "expired", "expiry_changed"}:
        return "high"
    if type_ == "text_changed":
        kinds = {f.get("kind") for f in details.get("facts", [])}
        return "high" if kinds & _WEIGHTY_FACTS else "medium"
    if type_ in {"new_policy", "removed", "restored", "expiring_soon"}:
        return "medium"
    return "low"


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
    details = {**details, "importance": importance(type_, details)}
    event = Event(
        run_id=run_id,
        policy=policy,
        version_id=version_id,
        type=type_,
        detected_at=now,
        summary=summary,
        details=details,
        dedupe_key=dedupe_key,
    )
    session.add(event)
    session.flush()
    haystack = f"{policy.title}\n{summary}"
    if any(sub.keywords for sub in subscribers):
        latest_text = session.scalar(
            select(Version.text).where(Version.policy_id == policy.id).order_by(Version.seq.desc()).limit(1)
        )
        haystack += "\n" + (latest_text or "")
    for sub in () if type_ in QUIET_EVENTS else subscribers:
        if sub.wants(type_, details["importance"], policy.source.region, policy.source.name, haystack):
            session.add(Alert(event_id=event.id, subscriber=sub.name, status="pending"))
    return event


def event_json(event: Event) -> dict[str, Any]:
    """The public shape of an event (`policywatch events --json`)."""
    policy = event.policy
    return {
        "id": event.id,
        "type": event.type,
        "policy_id": policy.id,
        "policy_title": policy.title,
        "doc_number": policy.doc_number or None,
        "source": policy.source.name,
        "region": policy.source.region,
        "url": policy.url,
        "urls": [policy.url, *(alias.url for alias in policy.aliases)],
        "detected_at": event.detected_at.isoformat(),
        "run_id": event.run_id,
        "summary": event.summary,
        "importance": event.details.get("importance", "low"),
        "details": event.details,
    }
