"""The project's vocabulary, in one place: event types, importance, fact kinds and run states, each
with its Chinese label. Everything else (config validation, the database's CHECK constraints, the
CLI's choices, labels in reports and alerts) reads these enums instead of repeating the strings.

This module imports nothing of the project: every layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "EVENT_LABELS",
    "FACT_LABELS",
    "POLICY_EVENTS",
    "QUIET_EVENTS",
    "SOURCE_EVENTS",
    "SUBSCRIBABLE_EVENTS",
    "WEIGHTY_FACTS",
    "DeliveryMode",
    "EventType",
    "FactKind",
    "Importance",
    "RunStatus",
    "Status",
    "StatusSource",
    "importance",
]


class Status(StrEnum):
    NOT_YET_EFFECTIVE = "尚未生效"
    IN_FORCE = "现行有效"
    EXPIRING_SOON = "即将失效"
    EXPIRED = "已失效"
    REPEALED = "已废止"
    AMENDED = "已被修订"
    WITHDRAWN = "已撤下"
    UNKNOWN = "未知"


class StatusSource(StrEnum):
    OFFICIAL_LABEL = "official_label"
    INFERRED_CLAUSE = "inferred_clause"
    SITE = "site"
    PRESUMED = "default_presumed"


class EventType(StrEnum):
    NEW_POLICY = "new_policy"
    TEXT_CHANGED = "text_changed"
    REMOVED = "removed"
    RESTORED = "restored"
    REPEALED = "repealed"
    EXPIRY_CHANGED = "expiry_changed"
    TAKING_EFFECT = "taking_effect"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    FACTS_CORRECTED = "facts_corrected"
    SOURCE_FAILING = "source_failing"
    SOURCE_RECOVERED = "source_recovered"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS: dict[str, str] = {
    EventType.NEW_POLICY: "新政策",
    EventType.TEXT_CHANGED: "内容变化",
    EventType.REMOVED: "页面撤下",
    EventType.RESTORED: "页面恢复",
    EventType.REPEALED: "已被废止",
    EventType.EXPIRY_CHANGED: "有效期变化",
    EventType.TAKING_EFFECT: "开始施行",
    EventType.EXPIRING_SOON: "即将到期",
    EventType.EXPIRED: "已到期失效",
    EventType.FACTS_CORRECTED: "事实更正(程序升级)",
    EventType.SOURCE_FAILING: "信息源异常",
    EventType.SOURCE_RECOVERED: "信息源恢复",
}

# A source's own events (no policy): opt-in for operators' subscriptions.
SOURCE_EVENTS = (EventType.SOURCE_FAILING, EventType.SOURCE_RECOVERED)
# Entries of a policy's history that are never sent to anyone: a newer extractor or normaliser
# re-read a stored page. Shown in the report and `policywatch history`; no outbox row is ever written.
QUIET_EVENTS = frozenset({EventType.FACTS_CORRECTED})
# What a subscriber gets when it names no event types: every policy event that is sent.
POLICY_EVENTS = tuple(t for t in EventType if t not in SOURCE_EVENTS and t not in QUIET_EVENTS)
# What a subscriber may name in `events`: the policy events, and the sources' own (opt-in).
SUBSCRIBABLE_EVENTS = (*POLICY_EVENTS, *SOURCE_EVENTS)


class Importance(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Importance).index(self)

    @property
    def label(self) -> str:
        return {"low": "一般", "medium": "重要", "high": "非常重要"}[self.value]


class FactKind(StrEnum):
    AMOUNT_CHANGED = "amount_changed"
    RATIO_CHANGED = "ratio_changed"
    DATE_CHANGED = "date_changed"
    SCOPE_CHANGED = "scope_changed"
    WORDING_CHANGED = "wording_changed"
    CLAUSE_ADDED = "clause_added"
    CLAUSE_REMOVED = "clause_removed"
    CLAUSE_MOVED = "clause_moved"
    TITLE_CHANGED = "title_changed"
    ISSUER_CHANGED = "issuer_changed"
    ATTACHMENT_CHANGED = "attachment_changed"
    META_CHANGED = "meta_changed"

    @property
    def label(self) -> str:
        return FACT_LABELS[self]


FACT_LABELS: dict[str, str] = {
    FactKind.AMOUNT_CHANGED: "金额变化",
    FactKind.RATIO_CHANGED: "比例变化",
    FactKind.DATE_CHANGED: "日期变化",
    FactKind.SCOPE_CHANGED: "适用范围/条件变化",
    FactKind.WORDING_CHANGED: "文字修改",
    FactKind.CLAUSE_ADDED: "新增条款",
    FactKind.CLAUSE_REMOVED: "删除条款",
    FactKind.CLAUSE_MOVED: "条款移动",
    FactKind.TITLE_CHANGED: "标题变化",
    FactKind.ISSUER_CHANGED: "发文机关变化",
    FactKind.ATTACHMENT_CHANGED: "附件变化",
    FactKind.META_CHANGED: "信息项变化",
}

# Facts that touch money, rates, deadlines or who qualifies make a text change important.
WEIGHTY_FACTS = frozenset(
    {
        FactKind.AMOUNT_CHANGED,
        FactKind.RATIO_CHANGED,
        FactKind.DATE_CHANGED,
        FactKind.SCOPE_CHANGED,
        FactKind.CLAUSE_ADDED,
        FactKind.CLAUSE_REMOVED,
    }
)

_HIGH = frozenset({EventType.REPEALED, EventType.EXPIRED, EventType.EXPIRY_CHANGED, EventType.SOURCE_FAILING})
_MEDIUM = frozenset(
    {
        EventType.NEW_POLICY,
        EventType.REMOVED,
        EventType.RESTORED,
        EventType.EXPIRING_SOON,
        EventType.SOURCE_RECOVERED,
    }
)


def importance(type_: str, fact_kinds: Iterable[str] = ()) -> Importance:
    """How much an event matters, for subscribers' min_importance filter: a text change is high
    when one of its facts is weighty (money, rates, dates, who qualifies, clauses added/removed)."""
    if type_ in _HIGH:
        return Importance.HIGH
    if type_ == EventType.TEXT_CHANGED:
        return Importance.HIGH if WEIGHTY_FACTS & set(fact_kinds) else Importance.MEDIUM
    return Importance.MEDIUM if type_ in _MEDIUM else Importance.LOW


class DeliveryMode(StrEnum):
    IMMEDIATE = "immediate"  # one message per event, as it is found
    DIGEST = "digest"  # one message per run


class AlertStatus(StrEnum):
    """An outbox row's state (notifier.outbox)."""

    PENDING = "pending"  # waiting for its first or next try
    SENDING = "sending"  # claimed by a sender (a lease: reclaimed if the sender died)
    SENT = "sent"
    FAILED = "failed"  # gave up after max_tries
    UNCONFIRMED = "unconfirmed"  # sent, but the receiver never answered: not retried (no duplicate)


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    DRY_RUN = "dry-run"

    @property
    def label(self) -> str:
        return {
            "running": "运行中",
            "ok": "正常",
            "partial": "部分失败",
            "failed": "失败",
            "interrupted": "被中断",
            "dry-run": "演练(未保存)",
        }[self.value]
