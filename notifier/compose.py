"""What an alert says, before any medium: written for the reader, not from the database.

Each event becomes an `Item`: a headline (why it matters — 【重要】 — then what happened to which
policy), the facts once (as lines of label + marked-up change), and one link whose words fit the
event. A digest groups items by region with a count line. No internal ids are shown; the
de-duplication key travels in a machine-readable place instead (see notifier.channels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.addresses import policy_page, run_page
from monitor.diff import FACT_LABELS
from monitor.events import EVENT_LABELS
from monitor.store.models import Event
from notifier.marks import clip, one_line

Parts = tuple[tuple[str, str], ...]
MAX_CLAUSES = 6
MAX_FACTS = 8
IMPORTANT_TAG = "【重要】"
# Fact kinds that say why a text change matters, in the reader's words.
_REASONS = ("amount_changed", "ratio_changed", "date_changed", "scope_changed", "clause_added", "clause_removed")


@dataclass(frozen=True, slots=True)
class Line:
    label: str  # "二、 第五条", "施行", or "" for a sentence of its own
    parts: Parts  # (op, text) segments; a plain value is one ("equal", text)


@dataclass(frozen=True, slots=True)
class Item:
    type: str
    important: bool
    headline: str  # 【重要】《title》内容修改(金额变化)
    region: str
    meta: str  # 文号 · 发文机关
    lines: tuple[Line, ...]
    compact: tuple[Line, ...]  # the same facts in fewer bytes (size-limited channels)
    link_text: str
    link_url: str


@dataclass(frozen=True, slots=True)
class Composition:
    title: str  # email subject / webhook title
    count_line: str  # digest only: "北京市东城区 2条 · 北京市海淀区 1条"
    groups: tuple[tuple[str, tuple[Item, ...]], ...]  # (region, items), one group for a single alert

    @property
    def items(self) -> list[Item]:
        return [item for _, items in self.groups for item in items]

    @property
    def digest(self) -> bool:
        return len(self.items) > 1


def _text(value: str) -> Parts:
    return (("equal", one_line(value)),)


def _line(label: str, value: str) -> Line:
    return Line(label, _text(value))


def _date(value: str | None, rule: str = "") -> str:
    if not value:
        return rule or "未载明"
    shown = date.fromisoformat(value).strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月")
    return f"{shown}({rule})" if rule and shown not in rule else shown


def _phrase(event: Event, details: dict[str, Any]) -> str:
    kind = event.type
    if kind == "text_changed":
        kinds = [f.get("kind") for f in details.get("facts", [])]
        reasons = [FACT_LABELS[k].split("/")[0] for k in _REASONS if k in kinds]
        return "内容修改" + (f"({'、'.join(reasons)})" if reasons else "")
    if kind == "new_policy":
        repeals = len((details.get("lifecycle") or {}).get("repeals") or [])
        return "发布" + (f",同时废止{repeals}件政策" if repeals else "")
    if kind == "expiry_changed":
        old, new = details.get("old_date"), details.get("new_date")
        if old and new:
            return f"有效期{'延长' if new > old else '缩短'}至{_date(new)}"
        return f"有效期改为{_date(new, details.get('new_rule', ''))}"
    if kind == "repealed":
        return "已被废止"
    if kind == "removed":
        return "页面已从原网站撤下"
    if kind == "restored":
        return "页面已恢复"
    when = details.get("date")
    phrases = {"taking_effect": "自{}起施行", "expiring_soon": "将于{}到期", "expired": "已于{}到期失效"}
    if kind in phrases and when:
        return phrases[kind].format(_date(when))
    return EVENT_LABELS.get(kind, kind)


def _clause_lines(diff: dict[str, Any]) -> list[Line]:
    return [
        Line(one_line(c["article"]), tuple(clip(c.get("segments", []))))
        for c in diff.get("clauses", [])[:MAX_CLAUSES]
        if c.get("change") in ("modified", "added", "removed") and c.get("segments")
    ]


def _fact_lines(diff: dict[str, Any], shown: set[str]) -> list[Line]:
    return [_line("", f["summary"]) for f in diff.get("facts", [])[:MAX_FACTS] if f.get("where") not in shown]


def _replaced_lines(details: dict[str, Any]) -> list[Line]:
    """A revision's most important changes against the policy it replaces (monitor.replaced)."""
    lines = []
    for old in details.get("replaced") or []:
        if not old.get("facts"):
            continue
        lines.append(_line("", f"与被替代的《{old.get('title', '')}》相比:"))
        for fact in old["facts"]:
            old_value = "" if fact.get("old") in (None, "", "(无)") else one_line(fact["old"])
            if fact.get("new"):
                parts: Parts = (("equal", ""), ("delete", old_value), ("insert", one_line(fact["new"])))
                lines.append(Line(one_line(fact.get("where", "")), parts))
            else:
                lines.append(_line("", fact.get("summary", "")))
    return lines


def _lines(event: Event, details: dict[str, Any]) -> tuple[list[Line], list[Line]]:
    """(full lines, compact lines) for one event."""
    kind = event.type
    if kind == "text_changed":
        clauses = _clause_lines(details)
        return clauses + _fact_lines(details, {line.label for line in clauses}), _fact_lines(details, set())
    if kind == "expiry_changed":
        old = _date(details.get("old_date"), details.get("old_rule", ""))
        new = _date(details.get("new_date"), details.get("new_rule", ""))
        lines = [Line("有效期", (("equal", ""), ("delete", old), ("insert", new)))]
        return lines, lines
    if kind == "new_policy":
        lc = details.get("lifecycle") or {}
        lines = [
            _line("发布", _date(lc.get("published"))),
            _line("施行", _date((lc.get("effective") or {}).get("date"), (lc.get("effective") or {}).get("rule", ""))),
            _line("有效期至", _date((lc.get("expires") or {}).get("date"), (lc.get("expires") or {}).get("rule", ""))),
        ]
        for repeal in lc.get("repeals") or []:
            number = f"({repeal['doc_number']})" if repeal.get("doc_number") else ""
            verb = "修改" if repeal.get("kind") == "revise" else "废止"
            lines.append(_line(verb, f"《{repeal.get('title', '')}》{number}"))
        lines += _replaced_lines(details)
        return lines, lines
    if kind == "repealed":
        by = details.get("repealed_by") or {}
        number = f"({by['doc_number']})" if by.get("doc_number") else ""
        lines = [_line("废止文件", f"《{by.get('title', '')}》{number}")]
        if details.get("sentence"):
            lines.append(_line("原文", details["sentence"]))
        return lines, lines
    if kind == "removed":
        status = f"HTTP {details['http_status']}," if details.get("http_status") else ""
        lines = [_line("", f"原网址{status}且已不在列表页中"), _line("", details.get("note") or "撤下不等于废止")]
        return lines, lines
    if kind == "restored":
        lines = [_line("", details.get("note") or event.summary)]
        return lines, lines
    # Time-based events: the headline says what and when; the line says why.
    lines = [_line("依据", details["evidence"])] if details.get("evidence") else [_line("", event.summary)]
    return lines, lines


def _link(event: Event, details: dict[str, Any], base_url: str) -> tuple[str, str]:
    policy = event.policy
    if policy is None:  # a source's own event links to its run (see the source-event layout)
        return "", ""
    report = f"{base_url.rstrip('/')}/{policy_page(policy.source.name, policy.url)}" if base_url else ""
    if event.type in ("text_changed", "expiry_changed"):
        return ("查看变化", report) if report else ("查看原文", policy.url)
    if event.type == "new_policy":
        return "查看新政策", policy.url
    if event.type == "repealed" and (details.get("repealed_by") or {}).get("url"):
        return "查看废止文件", details["repealed_by"]["url"]
    if event.type == "removed":
        return ("查看存档", report) if report else ("", "")
    return "查看原文", policy.url


def _source_item(event: Event, base_url: str) -> Item:
    """A source's own event (source_failing / source_recovered): which source, why, what now."""
    details, source = event.details or {}, event.origin
    important = details.get("importance") == "high"
    if event.type == "source_failing":
        headline = f"信息源「{one_line(source.name)}」异常,可能漏报政策变化"
        lines = [_line("原因", reason) for reason in details.get("reasons", [])]
        lines.append(_line("", "恢复前该来源的政策不会被判为撤下;请用 policywatch sources check 检查"))
    else:
        headline = f"信息源「{one_line(source.name)}」已恢复"
        lines = [_line("", event.summary), _line("此前", details.get("previous_reason", ""))]
    report = f"{base_url.rstrip('/')}/{run_page(event.run_id)}" if base_url and event.run_id else ""
    return Item(
        event.type,
        important,
        f"{IMPORTANT_TAG if important else ''}{headline}",
        one_line(source.region or source.name),
        "",
        tuple(lines),
        tuple(lines),
        "查看运行报告" if report else "",
        report,
    )


def compose_item(event: Event, base_url: str) -> Item:
    details = event.details or {}
    diff = details.get("diff", details)  # expiry_changed nests its diff
    important = details.get("importance") == "high"
    policy = event.policy
    if policy is None:
        return _source_item(event, base_url)
    headline = f"{IMPORTANT_TAG if important else ''}《{one_line(policy.title)}》{_phrase(event, details)}"
    lines, compact = _lines(event, diff if event.type == "text_changed" else details)
    meta = " · ".join(one_line(x) for x in (policy.doc_number, policy.issuer) if x)
    link_text, link_url = _link(event, details, base_url)
    return Item(
        event.type,
        important,
        headline,
        one_line(policy.source.region or policy.source.name),
        meta,
        tuple(lines),
        tuple(compact),
        link_text,
        link_url,
    )


def compose(events: Sequence[Event], base_url: str) -> Composition:
    items = [compose_item(e, base_url) for e in events]
    if len(items) == 1:
        return Composition(items[0].headline, "", (("", (items[0],)),))
    by_region: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: not i.important):
        by_region.setdefault(item.region, []).append(item)
    important = sum(i.important for i in items)
    title = f"【政策监测】{len(items)}条政策变化" + (f"(其中{important}条重要)" if important else "")
    counts = Counter(i.region for i in items)
    count_line = " · ".join(f"{region} {counts[region]}条" for region in by_region)
    return Composition(title, count_line, tuple((r, tuple(v)) for r, v in by_region.items()))
