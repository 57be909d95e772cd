"""The one-line Chinese summary of an event, from its type and data (`monitor.rules.EventSpec`).

Kept apart from the rules so that deciding *what happened* never depends on how it is phrased; the
summary is stored with the event (the history, report and alerts show the words of the day it was
recorded), and alerts add their own layout on top (`notifier.compose`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from monitor.vocab import EventType

Details = Mapping[str, Any]


def _text_changed(d: Details, _: str) -> str:
    facts = [f["summary"] for f in d.get("facts", [])]
    return "；".join(facts[:3]) + (f" 等{len(facts)}处" if len(facts) > 3 else "")


def _expiry_changed(d: Details, _: str) -> str:
    old = d.get("old_date") or d.get("old_rule") or "未载明"
    new = d.get("new_date") or d.get("new_rule") or "未载明"
    return f"有效期 {old} → {new}"


def _repealed(d: Details, _: str) -> str:
    verb = "修订" if d.get("kind") == "revision" else "废止"
    return f"被《{d['repealed_by']['title']}》{verb}"


def _removed(d: Details, _: str) -> str:
    return f"页面已撤下(连续{d['runs']}次:{d['reason']},且不在列表页中)"


def _failing(d: Details, source: str) -> str:
    return f"信息源 {source} 异常:{'；'.join(d['reasons'])}"


def _recovered(d: Details, source: str) -> str:
    return f"信息源 {source} 已恢复(列表页发现{d['links']}个政策链接)"


_PHRASES: dict[EventType, Callable[[Details, str], str]] = {
    EventType.NEW_POLICY: lambda _, title: f"新发布:{title}",
    EventType.TEXT_CHANGED: _text_changed,
    EventType.EXPIRY_CHANGED: _expiry_changed,
    EventType.REPEALED: _repealed,
    EventType.REMOVED: _removed,
    EventType.RESTORED: lambda _d, _t: "页面已恢复(曾被判定撤下,历史版本保留)",
    EventType.TAKING_EFFECT: lambda d, _: f"自{d['date']}起施行",
    EventType.EXPIRING_SOON: lambda d, _: f"将于{d['date']}到期({d.get('expires_rule', '')})",
    EventType.EXPIRED: lambda d, _: f"已于{d['date']}到期失效",
    EventType.SOURCE_FAILING: _failing,
    EventType.SOURCE_RECOVERED: _recovered,
}


def summarise(type_: EventType, details: Details, subject: str) -> str:
    """`subject`: the policy's title, or for a source's own event the source's name."""
    return _PHRASES[type_](details, subject)
