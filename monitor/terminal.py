"""Terminal rendering of a DocumentDiff for operators who live in a shell (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from monitor.diff import DocumentDiff
from notifier.marks import as_text

_CHANGE_LABEL = {"added": "新增", "removed": "删除", "modified": "修改", "moved": "移动"}
_CHANGE_STYLE = {"added": "green", "removed": "red", "modified": "yellow", "moved": "cyan"}


def print_diff(console: Console, diff: DocumentDiff, heading: str) -> None:
    """Colours on a terminal; in a pipe, a file or cron mail, `[-old-]{+new+}` markers instead."""
    plain = not console.is_terminal or console.no_color
    console.rule(heading)
    if diff.is_empty:
        console.print("no change")
        return
    for fact in diff.facts:
        console.print(f"• {fact.summary}", style="bold")
    for meta in diff.meta:
        line = Text(f"[{meta.field}] ")
        line.append(meta.old or "(无)", style="red strike")
        line.append(" → ")
        line.append(meta.new or "(无)", style="green")
        console.print(line)
    for clause in diff.clauses:
        console.print()
        console.print(
            Text(f"{_CHANGE_LABEL[clause.change]} {clause.ref}", style=f"bold {_CHANGE_STYLE[clause.change]}")
        )
        if clause.change == "moved":
            console.print(f"{clause.old_label} → {clause.new_label}: {clause.new_text}")
            continue
        if plain:
            console.print(as_text([(seg.op, seg.text) for seg in clause.segments]), markup=False, highlight=False)
            continue
        body = Text()
        for seg in clause.segments:
            style = {"equal": "", "delete": "red strike", "insert": "bold green"}[seg.op]
            body.append(seg.text, style=style)
        console.print(body)
