"""Event rules: pure functions from what was stored and what was just read to the events a run
records. No database, no clock, no wording — an `EventSpec` says which event, its de-duplication
key and its data; `monitor.wording` turns it into words, `monitor.events` stores it.

The de-duplication key names the transition, so the same change seen by two runs (or two workers)
is one event: a text change per new version, a repeal per (target, repealer), a time transition per
(policy, boundary day), a removal or restoration per occurrence (`nth`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.diff import DocumentDiff
from monitor.lifecycle import Lifecycle
from monitor.vocab import EventType, Status

__all__ = [
    "EventSpec",
    "Repealer",
    "new_policy",
    "removed",
    "repealed",
    "restored",
    "source_failing",
    "source_recovered",
    "time_transition",
    "version_events",
]


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event to record: its type, the key that makes it happen once, and its data."""

    type: EventType
    key: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Repealer:
    """The policy that repeals (or revises) another, as the repealed policy's event names it."""

    policy_id: int
    title: str
    doc_number: str
    url: str


def new_policy(policy_id: int, lc: Lifecycle, replaced: Sequence[Mapping[str, Any]] = ()) -> EventSpec:
    """`replaced`: the stored policies it repeals or revises, each with the facts that changed against it."""
    details: dict[str, Any] = {"lifecycle": lc.to_json()}
    if replaced:
        details["replaced"] = list(replaced)
    return EventSpec(EventType.NEW_POLICY, f"new_policy:{policy_id}", details)


def version_events(
    version_id: int,
    from_seq: int,
    to_seq: int,
    diff: DocumentDiff,
    old_lc: Lifecycle,
    new_lc: Lifecycle,
) -> list[EventSpec]:
    """A new version of a known policy: `expiry_changed` when its expiry moved, and `text_changed`
    unless the only edits are the sentences that carry that expiry (one change, one event)."""
    events: list[EventSpec] = []
    old_x, new_x = old_lc.expires, new_lc.expires
    moved_rules: set[str] = set()
    if (old_x.date, old_x.rule) != (new_x.date, new_x.rule):
        moved_rules = {old_x.rule, new_x.rule} - {""}
        details: dict[str, Any] = {
            "old_date": old_x.date.isoformat() if old_x.date else None,
            "new_date": new_x.date.isoformat() if new_x.date else None,
            "old_rule": old_x.rule,
            "new_rule": new_x.rule,
            "from_version": from_seq,
            "to_version": to_seq,
            "diff": diff.to_json(),
        }
        events.append(EventSpec(EventType.EXPIRY_CHANGED, f"expiry_changed:{version_id}", details))
    if not only_lifecycle_edits(diff, moved_rules):
        details = {
            "from_version": from_seq,
            "to_version": to_seq,
            "articles": [c.ref for c in diff.clauses],
            **diff.to_json(),
        }
        events.append(EventSpec(EventType.TEXT_CHANGED, f"text_changed:{version_id}", details))
    return events


def only_lifecycle_edits(diff: DocumentDiff, rules: set[str]) -> bool:
    """True when every edited sentence is one that carries a lifecycle rule that changed: such an
    edit is reported as its lifecycle event (expiry_changed), not a second text_changed."""
    if not rules or diff.meta or any(c.change != "modified" for c in diff.clauses):
        return False
    return all(
        any(rule and (rule in old or rule in new) for rule in rules)
        for c in diff.clauses
        for old, new in c.changed_sentences
    )


def repealed(target_id: int, by: Repealer, kind: str, sentence: str, how: str, score: float) -> EventSpec:
    details = {
        "repealed_by": {
            "policy_id": by.policy_id,
            "title": by.title,
            "doc_number": by.doc_number or None,
            "url": by.url,
        },
        "kind": kind,
        "sentence": sentence,
        "matched_by": how,
        "match_score": round(score, 3),
    }
    return EventSpec(EventType.REPEALED, f"repealed:{target_id}:{by.policy_id}", details)


def removed(
    policy_id: int, nth: int, http_status: int | None, reason: str, runs: int, last_seq: int | None
) -> EventSpec:
    """The `nth` removal of a policy's page (confirmed by monitor.removal: gone and off its lists)."""
    details = {
        "http_status": http_status,
        "reason": reason,
        "runs": runs,
        "last_version": last_seq,
        "note": "撤下不等于废止;最后一次内容已保留",
    }
    return EventSpec(EventType.REMOVED, f"removed:{policy_id}:{nth}", details)


def restored(policy_id: int, nth: int, last_seq: int | None) -> EventSpec:
    details = {"last_version": last_seq, "note": "页面重新可以访问,此前的版本历史完整保留"}
    return EventSpec(EventType.RESTORED, f"restored:{policy_id}:{nth}", details)


# Transitions announced by the clock. Repeals and removals have their own events.
_TIME_EVENTS = {
    Status.IN_FORCE: EventType.TAKING_EFFECT,
    Status.EXPIRING_SOON: EventType.EXPIRING_SOON,
    Status.EXPIRED: EventType.EXPIRED,
}


def time_transition(
    policy_id: int, old_status: str, new_status: Status, evidence: str, lc: Lifecycle
) -> EventSpec | None:
    """The event of a status change the calendar made, or None (no change, or not announced)."""
    type_ = _TIME_EVENTS.get(new_status)
    if type_ is None or old_status == new_status.value:
        return None
    # 即将失效 → 现行有效 after an extension is not "taking effect": that is an expiry_changed.
    if new_status is Status.IN_FORCE and old_status != Status.NOT_YET_EFFECTIVE.value:
        return None
    boundary: date | None = lc.effective.date if type_ is EventType.TAKING_EFFECT else lc.expires.date
    details = {
        "date": boundary.isoformat() if boundary else None,
        "from_status": old_status,
        "to_status": new_status.value,
        "evidence": evidence,
        "expires_rule": lc.expires.rule,
    }
    return EventSpec(type_, f"{type_.value}:{policy_id}:{boundary}", details)


def source_failing(source_id: int, run_id: int, reasons: Sequence[str], links: int, good_links: int) -> EventSpec:
    details = {"reasons": list(reasons), "links": links, "good_links": good_links}
    return EventSpec(EventType.SOURCE_FAILING, f"source_failing:{source_id}:{run_id}", details)


def source_recovered(
    source_id: int, failing_run_id: int | None, since: str, previous_reason: str, links: int
) -> EventSpec:
    details = {"failing_since": since, "previous_reason": previous_reason, "links": links}
    return EventSpec(EventType.SOURCE_RECOVERED, f"source_recovered:{source_id}:{failing_run_id}", details)
