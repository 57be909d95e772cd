"""The Jinja2 environment of the web pages: autoescaped, with Chinese labels and Asia/Shanghai times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from monitor.diff import FACT_LABELS
from monitor.display import as_written
from monitor.events import EVENT_LABELS
from monitor.localtime import in_shanghai

TEMPLATES = Path(__file__).parent / "templates"
CHANGE_LABELS = {"added": "新增", "removed": "删除", "modified": "修改", "moved": "移动"}
RUN_STATUS_LABELS = {
    "running": "进行中",
    "ok": "正常",
    "partial": "部分失败",
    "dry-run": "试运行",
    "interrupted": "已中断",
}


def shanghai_time(moment: datetime | None, with_zone: bool = True) -> str:
    """A stored time as operators read it: Asia/Shanghai with the zone shown ("" when missing)."""
    if moment is None:
        return ""
    return in_shanghai(moment).strftime("%Y-%m-%d %H:%M") + (" (UTC+08:00)" if with_zone else "")


def clause_paragraphs(clauses: Sequence[Sequence[Any]]) -> Markup:
    """A document's clauses ([label, kind, path, text]) as the paragraphs of its text, as written
    (monitor.display) and escaped: one pass of each over the whole text, not one per clause (no
    clause holds a line break, and as_written pairs parentheses within a line)."""
    if not clauses:
        return Markup("")
    shown = escape(as_written("\n".join(clause[3] for clause in clauses)))
    # Split as a str: Markup.split makes each line a Markup (a tenth of rendering a policy's page);
    # the lines are escaped already.
    return Markup("".join(f'<p class="clause">{line}</p>' for line in str.split(shown, "\n")))


def cn_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def safe_href(url: str) -> str:
    """Only http(s) links from crawled data become links; anything else (javascript:, data:) becomes '#'."""
    return url if url.startswith(("http://", "https://")) else "#"


def query_string(params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "") and not (k == "page" and v == 1)})


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(sh=shanghai_time, cn_date=cn_date, href=safe_href, zh=as_written, clauses=clause_paragraphs)
    env.globals.update(
        EVENT_LABELS=EVENT_LABELS,
        FACT_LABELS=FACT_LABELS,
        CHANGE_LABELS=CHANGE_LABELS,
        RUN_STATUS_LABELS=RUN_STATUS_LABELS,
        query_string=query_string,
    )
    return env
