"""Alert messages, one form per channel (notifier/channels.py: email HTML with our own plain-text
part, WeCom markdown within the robot's 4096 bytes, markdown for other chat robots and webhooks,
plain text for the rest). One event per message (immediate) or several grouped by region (digest).
What the message says is decided in notifier.compose; how a change is marked in each medium in
notifier.marks; how each channel writes it in its class."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.store.models import Alert
from notifier.channels import channel_named
from notifier.compose import Composition, compose
from notifier.templating import Message

__all__ = ["Message", "alert_key", "render", "render_composition"]


def alert_key(alerts: Sequence[Alert]) -> str:
    """Stable per message: lets a receiver drop a copy re-sent after a crash between send and record."""
    if len(alerts) == 1:
        return f"pw-{alerts[0].event_id}-{alerts[0].id}"
    return f"pw-digest-{alerts[0].id}-{alerts[-1].id}-{len(alerts)}"


def render_composition(comp: Composition, kind: str, key: str = "") -> Message:
    """The message as channel `kind` (its registered name) writes it."""
    return channel_named(kind).render(comp, key)


def render(alerts: Sequence[Alert], kind: str, base_url: str) -> Message:
    return render_composition(compose([a.event for a in alerts], base_url), kind, alert_key(alerts))
