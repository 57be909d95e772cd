"""One rendering of a changed passage for every medium.

A change is a list of `(op, text)` segments, op ∈ equal / delete / insert (what `monitor.diff`
stores). Each medium shows old and new text so that they can never be read as one value:

* HTML: `<del>1500</del><ins>2000</ins>` (escaped; styles for mail clients);
* WeCom markdown: only its documented highlight, `<font color="comment">1500</font> → <font color="info">2000</font>`;
* plain text (email text part, `diff` in a pipe, cron mail, feeds): wdiff markers `[-1500-]{+2000+}`;
* other markdown (DingTalk, Feishu, webhooks): the plain-text markers, escaped.

Page text is hostile input: every medium escapes it, markdown by replacing the characters that
could start markup with their full-width forms (readable in Chinese text, inert in every dialect).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from markupsafe import Markup, escape

Segments = Sequence[Sequence[str]]  # [(op, text), …] as stored in event details

DELETE_MARKS = ("[-", "-]")
INSERT_MARKS = ("{+", "+}")
TEXT_LEGEND = "[-删去的文字-]{+新增的文字+}"
CONTEXT_CHARS = 24  # unchanged text kept around an edit
EDIT_CHARS = 200  # a longer deleted/inserted passage is cut

_MARKDOWN_FULLWIDTH = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "`": "｀",
        "~": "～",
        "#": "＃",
        "|": "｜",
        "\\": "＼",
    }
)


def one_line(text: str) -> str:
    """Titles and values from pages never break a message's lines (or an email header)."""
    return " ".join(str(text).split())


def md_escape(text: str) -> str:
    return one_line(text).translate(_MARKDOWN_FULLWIDTH)


def clip(segments: Segments, context: int = CONTEXT_CHARS, edit: int = EDIT_CHARS) -> list[tuple[str, str]]:
    """Keep the edits (cut when very long) and a little unchanged context around them."""
    out: list[tuple[str, str]] = []
    last = len(segments) - 1
    for i, (op, text) in enumerate(segments):
        text = one_line(text)
        if op != "equal":
            out.append((op, text if len(text) <= edit else text[:edit] + "…"))
        elif len(text) <= 2 * context:
            out.append((op, text))
        elif i == 0:
            out.append((op, "…" + text[-context:]))
        elif i == last:
            out.append((op, text[:context] + "…"))
        else:
            out.append((op, text[:context] + "…" + text[-context:]))
    return out


def as_text(segments: Segments, escape_text: Callable[[str], str] = str) -> str:
    """Plain text: `给予最高[-1500-]{+2000+}万元`."""
    marks = {"delete": DELETE_MARKS, "insert": INSERT_MARKS}
    return "".join(
        f"{marks[op][0]}{escape_text(text)}{marks[op][1]}" if op in marks else escape_text(text)
        for op, text in _merged(segments)
    )


def as_markdown(segments: Segments) -> str:
    return as_text(segments, md_escape)


def as_html(segments: Segments) -> Markup:
    tags = {
        "delete": ('<del style="background:#ffd6d6">', "</del>"),
        "insert": ('<ins style="background:#c8f2cf;text-decoration:none">', "</ins>"),
    }
    parts = [
        Markup(tags[op][0]) + escape(text) + Markup(tags[op][1]) if op in tags else escape(text)
        for op, text in _merged(segments)
    ]
    return Markup("").join(parts)


def as_wecom(segments: Segments) -> str:
    """WeCom robot markdown: old text grey, new text green, an arrow between a replaced pair;
    a lone deletion or insertion is labelled, so the words survive a client without colours."""
    merged = _merged(segments)
    out: list[str] = []
    for i, (op, text) in enumerate(merged):
        safe = md_escape(text)
        following = merged[i + 1][0] if i + 1 < len(merged) else ""
        previous = merged[i - 1][0] if i else ""
        if op == "delete" and following == "insert":
            out.append(f'<font color="comment">{safe}</font> → ')
        elif op == "delete":
            out.append(f'<font color="comment">[删去:{safe}]</font>')
        elif op == "insert" and previous == "delete":
            out.append(f'<font color="info">{safe}</font>')
        elif op == "insert":
            out.append(f'<font color="info">[新增:{safe}]</font>')
        else:
            out.append(safe)
    return "".join(out)


def _merged(segments: Segments) -> list[tuple[str, str]]:
    """Adjacent segments of the same op joined; empty ones dropped."""
    out: list[tuple[str, str]] = []
    for op, text in _pairs(segments):
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def _pairs(segments: Iterable[Sequence[str]]) -> Iterable[tuple[str, str]]:
    for seg in segments:
        yield str(seg[0]), str(seg[1])


RENDERERS = {"html": as_html, "wecom": as_wecom, "markdown": as_markdown, "text": as_text}
