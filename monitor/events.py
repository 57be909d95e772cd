"""Event kinds and how one is recorded: once per transition, with its outbox rows in the same
transaction (so an event never exists without its alerts, nor an alert without its event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Subscriber
from monitor.localtime import iso_time
from monitor.rules import EventSpec
from monitor.store.models import Alert, Event, Policy, Source, Version
from monitor.vocab import EVENT_LABELS, QUIET_EVENTS, importance
from monitor.wording import summarise
from notifier.matching import recipients

__all__ = ["EVENT_LABELS", "QUIET_EVENTS", "event_json", "policy_regions", "record_event", "record_source_event"]


def policy_regions(policy: Policy) -> str:
    """Where a policy belongs, for region filters: its source's region, the regions of the sites
    that mirror it, and its issuers (a district's policy found first on a city-wide aggregator is
    still that district's)."""
    names = [policy.source.region, *(alias.source.region for alias in policy.aliases), policy.issuer]
    return "\n".join(n for n in names if n)


def record_event(
    session: Session,
    spec: EventSpec,
    *,
    policy: Policy,
    run_id: int | None,
    now: datetime,
    subscribers: Sequence[Subscriber],
    version_id: int | None = None,
    summary: str | None = None,
) -> Event | None:
    """Insert the event unless this transition was already recorded; returns the new event.
    `summary`: the words, when they are not the standard ones for the type (`monitor.wording`)."""
    if session.scalar(select(Event.id).where(Event.dedupe_key == spec.key)) is not None:
        return None
    summary = summary if summary is not None else summarise(spec.type, spec.details, policy.title)
    event = _insert(session, spec, summary, run_id, now, policy=policy, version_id=version_id)
    haystack = f"{policy.title}\n{summary}"
    if any(sub.keywords for sub in subscribers):
        latest_text = session.scalar(
            select(Version.text).where(Version.policy_id == policy.id).order_by(Version.seq.desc()).limit(1)
        )
        haystack += "\n" + (latest_text or "")
    quiet = spec.type in QUIET_EVENTS
    _queue_alerts(session, event, policy.source, haystack, () if quiet else subscribers, policy_regions(policy))
    return event


def record_source_event(
    session: Session,
    spec: EventSpec,
    *,
    source: Source,
    run_id: int | None,
    now: datetime,
    subscribers: Sequence[Subscriber],
) -> Event | None:
    """A source's own event (source_failing / source_recovered), once per transition."""
    if session.scalar(select(Event.id).where(Event.dedupe_key == spec.key)) is not None:
        return None
    summary = summarise(spec.type, spec.details, source.name)
    event = _insert(session, spec, summary, run_id, now, source=source)
    _queue_alerts(session, event, source, f"{source.name}\n{summary}", subscribers)
    return event


def _insert(
    session: Session,
    spec: EventSpec,
    summary: str,
    run_id: int | None,
    now: datetime,
    *,
    policy: Policy | None = None,
    source: Source | None = None,
    version_id: int | None = None,
) -> Event:
    kinds = (f.get("kind", "") for f in spec.details.get("facts", []))
    event = Event(
        run_id=run_id,
        policy=policy,
        source=source,
        version_id=version_id,
        type=spec.type.value,
        detected_at=now,
        summary=summary,
        details={**spec.details, "importance": importance(spec.type, kinds).value},
        dedupe_key=spec.key,
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
    level = event.details["importance"]
    for name in recipients(subscribers, event.type, level, regions or source.region, source.name, haystack):
        session.add(Alert(event_id=event.id, subscriber=name, status="pending"))


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
        "detected_at": iso_time(event.detected_at),  # Asia/Shanghai, +08:00
        "run_id": event.run_id,
        "summary": event.summary,
        "importance": event.details.get("importance", "low"),
        "details": event.details,
    }
