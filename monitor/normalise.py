"""Canonical text and the article tree of a policy.

A policy page's meaning lives in its title, a few info-table fields and its numbered articles.
Everything else (chrome, whitespace, full/half-width variants, PDF line-break spaces) is folded here,
so that the content hash and the diff are computed over the same text: a page whose hash changed
always has a non-empty diff, and a chrome-only change hashes the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Zero-width and BOM characters carry no meaning but break equality.
_FOLD_MAP = dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", "")
# Full-width ASCII (U+FF01..U+FF5E) folds onto ASCII; ideographic and no-break spaces onto a space.
_FOLD_MAP.update({chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)})
_FOLD_MAP.update(dict.fromkeys("\u3000\u00a0\u2002\u2003\u2009\u202f", " "))
# A regex over just the characters to fold: real pages are mostly characters that stay as they are,
# and scanning for the few that change is several times faster than str.translate over all of them.
_FOLD_CHARS = re.compile("[" + re.escape("".join(_FOLD_MAP)) + "]")

_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HSPACE = re.compile(r"[ \t\r\f\v]+")
_OPEN = re.escape("[(〔［【﹝（")
_CLOSE = re.escape("])〕］】﹞）")
# 文号 year brackets in any of their spellings: 海金融文[2024]1号, 石园科发(2025)2号 → 〔2024〕.
_DOCNO_BRACKETS = re.compile(rf"[{_OPEN}][ \t]*((?:19|20)\d{{2}})[ \t]*[{_CLOSE}][ \t]*(?=\d{{1,4}}[ \t]*号)")


def _fold_chars(text: str) -> str:
    return _FOLD_CHARS.sub(lambda m: _FOLD_MAP[m.group()], text)


def _space(m: re.Match[str]) -> str:
    # A space with a CJK character on either side is a typesetting artefact ("自然科 学", "3000 万");
    # between two Latin words or numbers it separates them and stays.
    s, i, j = m.string, m.start(), m.end()
    if (i > 0 and _CJK_RE.match(s, i - 1)) or (j < len(s) and _CJK_RE.match(s, j)):
        return ""
    return " "


def _docno(m: re.Match[str]) -> str:
    i = m.start()
    return f"〔{m.group(1)}〕" if i > 0 and "\u4e00" <= m.string[i - 1] <= "\u9fff" else m.group()


def _fold_line(line: str) -> str:
    return _DOCNO_BRACKETS.sub(_docno, _HSPACE.sub(_space, line)).strip()


def fold(text: str) -> str:
    """Fold noise that is never a change; keeps numbers, names and word order exactly."""
    lines = (_fold_line(line) for line in _fold_chars(text).split("\n"))
    return "\n".join(line for line in lines if line)


_CN_NUM = "一二三四五六七八九十百零〇两"
# Numbering schemes of Chinese policy documents, outermost first in the usual nesting.
_MARKERS: tuple[tuple[str, str], ...] = (
    ("attachment", r"附件《[^》]{1,80}》"),  # an attachment's text, appended after the body
    ("chapter", rf"第[{_CN_NUM}\d]+章"),
    ("section", rf"第[{_CN_NUM}\d]+节"),
    ("article", rf"第[{_CN_NUM}\d]+条"),
    ("cn_item", rf"[{_CN_NUM}]+、"),
    ("cn_paren", rf"[(（][{_CN_NUM}]+[)）]"),
    ("num_item", r"\d{1,2}(?:[.．、](?!\d))"),
    ("num_paren", r"[(（]\d{1,2}[)）]"),
)
_MARKER_RE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _MARKERS))
# A marker opens a clause at the start of a block, or after whitespace / a sentence end inside a
# block (the aggregator flattens a page into one line with spaces where the paragraphs were).
# A sentence end may be followed by spaces before the marker ("：　第一条"): the split comes after
# them, as it would once the spaces are folded away (normalising normalised text changes nothing).
_SPLIT_BEFORE = re.compile(
    r"(?:[。；;:：!！?？][ \t\u3000\xa0]*|\s)(?=" + "|".join(pattern for _, pattern in _MARKERS) + ")"
)
# …but a 第X条/章/节 after mere whitespace that reads on as a cross-reference ("符合本措施\u00a0第二条规定的",
# "依照 第三条第二款", "第五条、第六条") is inside a clause: splitting there would make a no-break space a change.
_CROSS_REFERENCE = re.compile(
    rf"第[{_CN_NUM}\d]+[条章节](?:规定|的|所|之|中|第|、|和|与|及|或|至|项|款|有关|要求|情形|执行|以外|以内|以上)"
)
_SENTENCE_END = re.compile(r"(?<=[。；;!！?？])")


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered article/clause (or an unnumbered paragraph) of a document."""

    label: str  # "第三条", "一、", "(二)", "3." or "" for an unnumbered paragraph
    kind: str  # marker kind, "paragraph" when unnumbered
    path: tuple[str, ...]  # labels of the enclosing clauses, outermost first
    text: str  # the whole clause as folded text, label included

    @property
    def body(self) -> str:
        """The clause without its own number: what stays equal when an article is renumbered."""
        return self.text[len(self.label) :].lstrip()

    @property
    def sentences(self) -> tuple[str, ...]:
        return split_sentences(self.text)

    @property
    def ref(self) -> str:
        """How a reader names this clause: "二、 第五条" or the first words of a paragraph."""
        if self.label:
            return " ".join((*self.path, self.label))
        return self.text[:12] + ("…" if len(self.text) > 12 else "")


@dataclass(frozen=True, slots=True)
class Document:
    """A normalised policy: what is hashed, diffed and read for its lifecycle."""

    title: str
    meta: Mapping[str, str]  # info-table fields that are part of the policy (文号, 发文机关, …)
    clauses: tuple[Clause, ...]
    text: str = field(default="")  # canonical text, the only input of the content hash
    content_hash: str = field(default="")

    @property
    def body_text(self) -> str:
        return "\n".join(c.text for c in self.clauses)


def split_sentences(text: str) -> tuple[str, ...]:
    return tuple(s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s)


def split_blocks(blocks: Iterable[str]) -> list[str]:
    """Break raw text blocks at clause markers, then fold each piece."""
    out: list[str] = []
    for block in blocks:
        for line in _fold_chars(block).split("\n"):
            start = 0
            for m in _SPLIT_BEFORE.finditer(line):
                if m.group().isspace() and _CROSS_REFERENCE.match(line, m.end()):
                    continue
                out.append(_fold_line(line[start : m.end()]))
                start = m.end()
            out.append(_fold_line(line[start:]))
    return [piece for piece in out if piece]


def build_clauses(blocks: Iterable[str]) -> tuple[Clause, ...]:
    """Number-aware clause tree: a marker kind seen before closes back to that level (siblings),
    a new kind opens a child level. This follows each document's own nesting instead of assuming
    that 第X条 is always under 一、 (东城 nests 第X条 under 一、; 海淀 uses 一、 > (一) > 1.)."""
    stack: list[tuple[str, str]] = []  # (kind, label)
    clauses: list[Clause] = []
    for text in split_blocks(blocks):
        match = _MARKER_RE.match(text)
        if not match or (match.end() == len(text) and not _is_heading_label(match)):
            clauses.append(Clause("", "paragraph", tuple(lbl for _, lbl in stack), text))
            continue
        kind = match.lastgroup or "paragraph"
        label = match.group(0)
        if kind == "attachment":
            stack.clear()  # an attachment's own numbering starts afresh under its heading
        kinds = [k for k, _ in stack]
        if kind in kinds:
            del stack[kinds.index(kind) :]
        clauses.append(Clause(label, kind, tuple(lbl for _, lbl in stack), text))
        stack.append((kind, label))
    return tuple(clauses)


def _is_heading_label(match: re.Match[str]) -> bool:
    return match.lastgroup in {"attachment", "chapter", "section", "article"}


# Info-table fields that belong to the policy itself; web counters and column names do not.
SIGNIFICANT_META = ("发文字号", "发文机关", "联合发文单位", "成文日期", "实施日期", "废止日期", "有效性", "附件")


def normalise(title: str, blocks: Iterable[str], meta: Mapping[str, str] | None = None) -> Document:
    """Build the canonical document. `blocks` are text blocks in reading order (paragraphs)."""
    folded_meta = {k: fold(v) for k, v in (meta or {}).items() if k in SIGNIFICANT_META and fold(v)}
    clauses = build_clauses(blocks)
    folded_title = fold(title).replace("\n", "")
    head = [f"标题:{folded_title}", *(f"{k}:{folded_meta[k]}" for k in SIGNIFICANT_META if k in folded_meta)]
    text = "\n".join(head) + "\n\n" + "\n".join(c.text for c in clauses)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(folded_title, folded_meta, clauses, text, digest)


def document_to_json(doc: Document) -> dict[str, object]:
    return {
        "title": doc.title,
        "meta": dict(doc.meta),
        "clauses": [[c.label, c.kind, list(c.path), c.text] for c in doc.clauses],
    }


def document_from_json(data: Mapping[str, Any]) -> Document:
    """Rebuild a stored Document exactly (no re-normalisation: old versions diff as they were stored)."""
    clauses = tuple(
        Clause(str(label), str(kind), tuple(path), str(text)) for label, kind, path, text in data.get("clauses", [])
    )
    return Document(str(data.get("title", "")), dict(data.get("meta", {})), clauses)
