"""Alert messages rendered from templates (notifier/templates), one form per channel kind:
email (HTML, apprise adds the plain-text part), WeCom markdown within the robot's 4096 bytes,
markdown for other chat robots and webhooks, plain text for the rest. One event per message
(immediate) or several (digest); the first line always says what happened to which policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.events import EVENT_LABELS
from monitor.report import policy_page
from monitor.store.models import Alert
from notifier.channels import WECOM_MARKDOWN_LIMIT

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES = {"email": "email.html.j2", "wecom": "alert.md.j2", "markdown": "alert.md.j2", "text": "alert.txt.j2"}
CONTEXT_CHARS = 24  # unchanged text shown around a highlighted edit


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    format: str  # html, markdown or text


def alert_key(alerts: Sequence[Alert]) -> str:
    """Stable per message: lets a receiver drop a copy re-sent after a crash between send and record."""
    if len(alerts) == 1:
        return f"pw-{alerts[0].event_id}-{alerts[0].id}"
    return f"pw-digest-{alerts[0].id}-{alerts[-1].id}-{len(alerts)}"


def report_url(base_url: str, policy_id: int) -> str:
    return f"{base_url.rstrip('/')}/{policy_page(policy_id)}" if base_url else ""


def _clip(segments: list[list[str]]) -> list[tuple[str, str]]:
    """Keep the edits and a little unchanged context around them."""
    out: list[tuple[str, str]] = []
    last = len(segments) - 1
    for i, (op, text) in enumerate(segments):
        if op != "equal" or len(text) <= 2 * CONTEXT_CHARS:
            out.append((op, text))
        elif i == 0:
            out.append((op, "…" + text[-CONTEXT_CHARS:]))
        elif i == last:
            out.append((op, text[:CONTEXT_CHARS] + "…"))
        else:
            out.append((op, text[:CONTEXT_CHARS] + "…" + text[-CONTEXT_CHARS:]))
    return out


def _item(alert: Alert, base_url: str) -> dict[str, Any]:
    event = alert.event
    details = event.details or {}
    diff = details.get("diff", details)  # expiry_changed nests its diff
    clauses = [
        {"article": c["article"], "segments": _clip(c.get("segments", []))}
        for c in diff.get("clauses", [])[:6]
        if c.get("change") in ("modified", "added", "removed")
    ]
    return {
        "event": event,
        "policy": event.policy,
        "label": EVENT_LABELS.get(event.type, event.type),
        "facts": [f["summary"] for f in diff.get("facts", [])][:8],
        "clauses": clauses,
        "report_url": report_url(base_url, event.policy.id),
    }


def _headline(items: list[dict[str, Any]]) -> str:
    first = items[0]
    head = f"【{first['label']}】{first['policy'].title}:{first['event'].summary}"
    return head if len(items) == 1 else f"共{len(items)}条政策变化。{head} 等"


def _title(items: list[dict[str, Any]]) -> str:
    first = items[0]
    if len(items) == 1:
        return f"【{first['label']}】{first['policy'].title}"
    return f"【政策监测】{len(items)}条变化:{first['policy'].title}等"


def render(alerts: Sequence[Alert], kind: str, base_url: str) -> Message:
    items = [_item(a, base_url) for a in alerts]
    template = _ENV.get_template(_TEMPLATES[kind])
    context = {"items": items, "headline": _headline(items), "key": alert_key(alerts)}
    body = template.render(**context, compact=False).strip()
    fmt = {"email": "html", "text": "text"}.get(kind, "markdown")
    if kind == "wecom":
        body = _fit_bytes(body, lambda: template.render(**context, compact=True).strip(), items)
    return Message(_title(items), body, fmt)


def _fit_bytes(body: str, compact: Any, items: list[dict[str, Any]]) -> str:
    """The WeCom robot refuses markdown over 4096 bytes: drop the highlighted articles first, then
    cut on a character boundary and end with a link to the full report — never fail."""
    if len(body.encode("utf-8")) <= WECOM_MARKDOWN_LIMIT:
        return body
    body = compact()
    if len(body.encode("utf-8")) <= WECOM_MARKDOWN_LIMIT:
        return body
    link = next((i["report_url"] for i in items if i["report_url"]), "")
    tail = f"\n\n…(内容过长已截断){f' [查看完整报告]({link})' if link else ''}"
    room = WECOM_MARKDOWN_LIMIT - len(tail.encode("utf-8"))
    cut = body.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + tail
