"""The message templates (notifier/templates) and what every channel's rendering shares: the
Message a channel hands to apprise, the Jinja environment, and cutting a body to a byte limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from notifier.compose import Composition
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
_SAMPLE = (("delete", "删去的文字"), ("insert", "新增的文字"))


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    format: str  # html, markdown or text
    text: str = ""  # the plain-text alternative of an HTML email
    key: str = ""  # de-duplication key, sent where a receiver's program can read it, never in the text


def _has_marks(comp: Composition) -> bool:
    return any(op != "equal" for item in comp.items for line in item.lines for op, _ in line.parts)


def render_template(template: str, comp: Composition, mark: Callable[[Segments], str], compact: bool = False) -> str:
    legend = mark(_SAMPLE) if _has_marks(comp) and mark in (RENDERERS["text"], RENDERERS["markdown"]) else ""
    body = _ENV.get_template(template).render(comp=comp, mark=mark, compact=compact, legend=legend)
    return body.strip() + "\n" if template.endswith(".txt.j2") else body.strip()


def fit_bytes(body: str, limit: int, compact: Callable[[], str], comp: Composition) -> str:
    """A body over `limit` bytes shows the facts instead of the marked articles first, then is cut
    on a line boundary and ends with a link to the rest — never fails."""
    if len(body.encode("utf-8")) <= limit:
        return body
    body = compact()
    if len(body.encode("utf-8")) <= limit:
        return body
    link = next((i.link_url for i in comp.items if i.link_url), "")
    tail = f"\n\n…(内容过长已截断){f' [查看全部]({link})' if link else ''}"
    room = limit - len(tail.encode("utf-8"))
    cut = body.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rsplit("\n", 1)[0] + tail
