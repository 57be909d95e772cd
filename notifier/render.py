"""Alert messages rendered from templates (notifier/templates), one form per channel kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.events import EVENT_LABELS
from monitor.store.models import Alert

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain text and markdown; HTML email templates autoescape on their own
    trim_blocks=True,
    lstrip_blocks=True,
)
# Channels that render markdown; the rest get the plain-text form.
MARKDOWN_SCHEMES = ("wecombot", "dingtalk", "feishu", "lark", "json", "form", "xml")


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    markdown: bool


def alert_key(alert: Alert) -> str:
    """Stable per alert: lets a receiver drop a copy re-sent after a crash between send and record."""
    return f"pw-{alert.event_id}-{alert.id}"


def report_url(base_url: str, policy_id: int) -> str:
    return f"{base_url.rstrip('/')}/policy-{policy_id}.html" if base_url else ""


def render_alert(alert: Alert, scheme: str, base_url: str) -> Message:
    event = alert.event
    policy = event.policy
    facts = [f["summary"] for f in event.details.get("facts", [])][:8]
    label = EVENT_LABELS.get(event.type, event.type)
    markdown = scheme in MARKDOWN_SCHEMES
    template = _ENV.get_template("alert.md.j2" if markdown else "alert.txt.j2")
    body = template.render(
        event=event,
        policy=policy,
        facts=facts,
        label=label,
        report_url=report_url(base_url, policy.id),
        alert_key=alert_key(alert),
    )
    return Message(title=f"【{label}】{policy.title}", body=body.strip(), markdown=markdown)
