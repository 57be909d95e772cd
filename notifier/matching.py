"""Which subscribers want an event: its type, importance, region, source and words (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.config import Subscriber
from monitor.vocab import Importance


def wants(sub: Subscriber, event_type: str, importance: str, region: str, source: str, text: str) -> bool:
    """True when every filter the subscriber set lets the event through. Regions match as parts
    (a 海淀 subscriber wants 北京市海淀区); keywords anywhere in the title or text. A paused subscriber
    wants nothing until resumed."""
    if sub.paused or event_type not in sub.events:
        return False
    if Importance(importance).rank < Importance(sub.min_importance).rank:
        return False
    if sub.regions and not any(r in region for r in sub.regions):
        return False
    if sub.sources and source not in sub.sources:
        return False
    return not sub.keywords or any(k in text for k in sub.keywords)


def recipients(
    subscribers: Iterable[Subscriber], event_type: str, importance: str, region: str, source: str, text: str
) -> list[str]:
    """The names of the subscribers that want the event, in configured order."""
    return [s.name for s in subscribers if wants(s, event_type, importance, region, source, text)]
