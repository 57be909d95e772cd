"""Alert messages rendered from templates (notifier/templates), one form per channel kind:
email (HTML with our own plain-text part), WeCom markdown within the robot's 4096 bytes, markdown
for other chat robots and webhooks, plain text for the rest. One event per message (immediate) or
several grouped by region (digest). What the message says is decided in notifier.compose; how a
change is marked in each medium in notifier.marks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.store.models import Alert
from notifier.channels import WECOM_MARKDOWN_LIMIT
from notifier.compose import Composition, compose
from notifier.marks import RENDERERS, Segments, as_html, as_text, md_escape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    html=as_html,
    text=as_text,
    md=md_escape,
    mdurl=lambda url: quote(url, safe=":/?&=#%~+,;@!$'*"),
)
_TEMPLATES = {"email": "email.html.j2", "wecom": "alert.md.j2", "markdown": "alert.md.j2", "text": "alert.txt.j2"}
_SAMPLE = (("delete", "删去的文字"), ("insert", "新增的文字"))


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    format: str  # html, markdown or text
    text: str = ""  # the plain-text alternative of an HTML email
    key: str = ""  # de-duplication key, sent where a receiver's program can read it, never in the text


def alert_key(alerts: Sequence[Alert]) -> str:
    """Stable per message: lets a receiver drop a copy re-sent after a crash between send and record."""
    if len(alerts) == 1:
        return f"pw-{alerts[0].event_id}-{alerts[0].id}"
    return f"pw-digest-{alerts[0].id}-{alerts[-1].id}-{len(alerts)}"


def _has_marks(comp: Composition) -> bool:
    return any(op != "equal" for item in comp.items for line in item.lines for op, _ in line.parts)


def _render(template: str, comp: Composition, mark: Callable[[Segments], str], compact: bool = False) -> str:
    legend = mark(_SAMPLE) if _has_marks(comp) and mark in (RENDERERS["text"], RENDERERS["markdown"]) else ""
    body = _ENV.get_template(template).render(comp=comp, mark=mark, compact=compact, legend=legend)
    return body.strip() + "\n" if template.endswith(".txt.j2") else body.strip()


def render_composition(comp: Composition, kind: str, key: str = "") -> Message:
    mark = RENDERERS["markdown" if kind == "markdown" else kind if kind in RENDERERS else "text"]
    template = _TEMPLATES[kind]
    if kind == "email":
        return Message(comp.title, _render(template, comp, mark), "html", _render("alert.txt.j2", comp, as_text), key)
    body = _render(template, comp, mark)
    if kind == "wecom":
        body = _fit_bytes(body, lambda: _render(template, comp, mark, compact=True), comp)
    return Message(comp.title, body, "text" if kind == "text" else "markdown", "", key)


def render(alerts: Sequence[Alert], kind: str, base_url: str) -> Message:
    return render_composition(compose([a.event for a in alerts], base_url), kind, alert_key(alerts))


def _fit_bytes(body: str, compact: Callable[[], str], comp: Composition) -> str:
    """The WeCom robot refuses markdown over 4096 bytes: show the facts instead of the marked
    articles first, then cut on a line boundary and end with a link to the rest — never fail."""
    if len(body.encode("utf-8")) <= WECOM_MARKDOWN_LIMIT:
        return body
    body = compact()
    if len(body.encode("utf-8")) <= WECOM_MARKDOWN_LIMIT:
        return body
    link = next((i.link_url for i in comp.items if i.link_url), "")
    tail = f"\n\n…(内容过长已截断){f' [查看全部]({link})' if link else ''}"
    room = WECOM_MARKDOWN_LIMIT - len(tail.encode("utf-8"))
    cut = body.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rsplit("\n", 1)[0] + tail
