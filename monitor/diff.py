"""Article-aligned diff of two normalised documents, and the facts a policy reader cares about.

Alignment runs at three levels, each with difflib.SequenceMatcher over hashable units:
clauses (by their text without the number, so a renumbered article is not a rewrite), then the
sentences of a changed clause, then the characters of a changed sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from monitor.normalise import Clause, Document
from monitor.vocab import FACT_LABELS

ClauseChange = Literal["added", "removed", "modified", "moved"]
SegmentOp = Literal["equal", "delete", "insert"]

# Two clauses in the same changed region are "the same article, edited" above this similarity.
PAIRING_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Segment:
    op: SegmentOp
    text: str


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled, reader-level statement about a change, e.g. amount_changed 第三条 900万元 → 1000万元."""

    kind: str  # amount_changed, ratio_changed, date_changed, scope_changed, clause_added, ...
    where: str
    old: str = ""
    new: str = ""

    @property
    def summary(self) -> str:
        if self.old and self.new:
            return f"{self.where}: {self.old} → {self.new}"
        return f"{self.where}: {FACT_LABELS.get(self.kind, self.kind)}{(' ' + (self.new or self.old)) if (self.new or self.old) else ''}"


@dataclass(frozen=True, slots=True)
class ClauseDiff:
    change: ClauseChange
    old_label: str
    new_label: str
    ref: str  # how to name the clause in a sentence ("二、 第五条")
    old_text: str
    new_text: str
    segments: tuple[Segment, ...] = ()
    changed_sentences: tuple[tuple[str, str], ...] = ()  # (old, new) pairs, "" for none


@dataclass(frozen=True, slots=True)
class MetaChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class DocumentDiff:
    clauses: tuple[ClauseDiff, ...] = ()
    meta: tuple[MetaChange, ...] = ()
    facts: tuple[Fact, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.meta

    def to_json(self) -> dict[str, Any]:
        return {
            "clauses": [
                {
                    "change": c.change,
                    "article": c.ref,
                    "old_label": c.old_label,
                    "new_label": c.new_label,
                    "before": c.old_text,
                    "after": c.new_text,
                    "segments": [[s.op, s.text] for s in c.segments],
                }
                for c in self.clauses
            ],
            "meta": [asdict(m) for m in self.meta],
            "facts": [{**asdict(f), "summary": f.summary} for f in self.facts],
        }


# Numbers are compared whole: 1500 → 2000 reads as one replaced amount, not "15" → "20" + "00".
_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[A-Za-z]+|.", re.S)


# Above this many tokens in the differing middle, SequenceMatcher's exact mode can go quadratic on
# repetitive text; its autojunk heuristic keeps it fast at the cost of a coarser highlight.
EXACT_LIMIT = 4000


def _affixes(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """Lengths of the common prefix and suffix (most edits touch a small middle)."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[-1 - q] == b[-1 - q]:
        q += 1
    return p, q


def char_segments(old: str, new: str) -> tuple[Segment, ...]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    p, q = _affixes(a, b)
    out: list[Segment] = [Segment("equal", "".join(a[:p]))] if p else []
    mid_a, mid_b = a[p : len(a) - q], b[p : len(b) - q]
    exact = max(len(mid_a), len(mid_b)) <= EXACT_LIMIT
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=not exact)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a_part, b_part = "".join(mid_a[i1:i2]), "".join(mid_b[j1:j2])
        if op == "equal":
            out.append(Segment("equal", a_part))
            continue
        if a_part:
            out.append(Segment("delete", a_part))
        if b_part:
            out.append(Segment("insert", b_part))
    if q:
        out.append(Segment("equal", "".join(a[len(a) - q :])))
    return tuple(out)


def _sentence_diff(old: Clause, new: Clause) -> tuple[tuple[Segment, ...], tuple[tuple[str, str], ...]]:
    """Sentences first, characters only inside the sentences that changed (keeps it fast on long
    articles and keeps highlights inside sentence boundaries)."""
    a, b = old.sentences, new.sentences
    segments: list[Segment] = []
    changed: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        elif op == "replace":
            pairs = list(zip(a[i1:i2], b[j1:j2], strict=False))
            for x, y in pairs:
                segments.extend(char_segments(x, y))
                changed.append((x, y))
            for x in a[i1 + len(pairs) : i2]:
                segments.append(Segment("delete", x))
                changed.append((x, ""))
            for y in b[j1 + len(pairs) : j2]:
                segments.append(Segment("insert", y))
                changed.append(("", y))
        elif op == "delete":
            segments.append(Segment("delete", "".join(a[i1:i2])))
            changed.extend((x, "") for x in a[i1:i2])
        else:
            segments.append(Segment("insert", "".join(b[j1:j2])))
            changed.extend(("", y) for y in b[j1:j2])
    return tuple(_merge(segments)), tuple(changed)


def _merge(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if out and out[-1].op == seg.op:
            out[-1] = Segment(seg.op, out[-1].text + seg.text)
        elif seg.text:
            out.append(seg)
    return out


def _similarity(a: str, b: str) -> float:
    total = len(a) + len(b)
    if not total:
        return 1.0
    p, q = _affixes(a, b)
    mid_a, mid_b = a[p : len(a) - q], b[p : len(b) - q]
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=max(len(mid_a), len(mid_b)) > EXACT_LIMIT)
    # Upper bound first: cheap rejection of clauses that cannot reach the threshold.
    if 2 * (p + q + min(len(mid_a), len(mid_b))) / total < PAIRING_THRESHOLD:
        return 0.0
    if 2 * (p + q) / total + matcher.quick_ratio() * (len(mid_a) + len(mid_b)) / total < PAIRING_THRESHOLD:
        return 0.0
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * (p + q + matched) / total


def _pair_region(old: list[Clause], new: list[Clause]) -> list[tuple[Clause | None, Clause | None]]:
    """Pair edited clauses inside one changed region, keeping order (a monotone greedy match)."""
    pairs: list[tuple[Clause | None, Clause | None]] = []
    j = 0
    for o in old:
        best, best_score = -1, PAIRING_THRESHOLD
        for k in range(j, len(new)):
            score = _similarity(o.body, new[k].body)
            if score >= best_score:
                best, best_score = k, score
        if best < 0:
            pairs.append((o, None))
            continue
        pairs.extend((None, n) for n in new[j:best])
        pairs.append((o, new[best]))
        j = best + 1
    pairs.extend((None, n) for n in new[j:])
    return pairs


def diff_documents(old: Document, new: Document) -> DocumentDiff:
    a, b = old.clauses, new.clauses
    matcher = SequenceMatcher(None, [c.body for c in a], [c.body for c in b], autojunk=False)
    raw: list[tuple[Clause | None, Clause | None]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            raw.extend(_pair_region(list(a[i1:i2]), list(b[j1:j2])))
    # A clause removed in one place and added unchanged in another has moved.
    removed = {o.body: o for o, n in raw if n is None and o is not None}
    moved_bodies = {n.body for o, n in raw if o is None and n is not None and n.body in removed}
    diffs: list[ClauseDiff] = []
    for o, n in raw:
        if o is not None and n is not None:
            segments, changed = _sentence_diff(o, n)
            diffs.append(ClauseDiff("modified", o.label, n.label, n.ref, o.text, n.text, segments, changed))
        elif n is not None:
            if n.body in moved_bodies:
                src = removed[n.body]
                diffs.append(ClauseDiff("moved", src.label, n.label, n.ref, src.text, n.text))
            else:
                diffs.append(ClauseDiff("added", "", n.label, n.ref, "", n.text, (Segment("insert", n.text),)))
        elif o is not None and o.body not in moved_bodies:
            diffs.append(ClauseDiff("removed", o.label, "", o.ref, o.text, "", (Segment("delete", o.text),)))
    meta = _meta_changes(old, new)
    facts = classify(diffs, meta)
    return DocumentDiff(tuple(diffs), tuple(meta), tuple(facts))


def _meta_changes(old: Document, new: Document) -> list[MetaChange]:
    out = [MetaChange("标题", old.title, new.title)] if old.title != new.title else []
    for key in sorted(set(old.meta) | set(new.meta)):
        if old.meta.get(key, "") != new.meta.get(key, ""):
            out.append(MetaChange(key, old.meta.get(key, ""), new.meta.get(key, "")))
    return out


# --- classification -----------------------------------------------------------------------------

_QUALIFIER = r"(?:最高(?:不超过)?|不超过|不高于|最多|上限|累计|一次性)?"
AMOUNT_RE = re.compile(
    _QUALIFIER
    + r"\d+(?:\.\d+)?(?:万亿|亿|万|千)?(?:元|美元|欧元)|"
    + _QUALIFIER
    + r"\d+(?:\.\d+)?(?:万|亿)(?=支持|奖励|补贴|资助)"
)
RATIO_RE = re.compile(_QUALIFIER + r"\d+(?:\.\d+)?%|" + r"(?:[一二三四五六七八九十百]+成)")
DATE_RE = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{2}-\d{2}|\d+(?:个)?(?:日|天|个月|年)(?:内|后|以内)")
SCOPE_RE = re.compile(r"适用于|适用范围|符合.{0,12}条件|申报(?:主体|条件)|支持对象|范围内|不予支持")


def _tokens(regex: re.Pattern[str], text: str) -> list[str]:
    return regex.findall(text)


def _value_facts(kind: str, regex: re.Pattern[str], where: str, old: str, new: str) -> list[Fact]:
    a, b = _tokens(regex, old), _tokens(regex, new)
    if a == b:
        return []
    # Report the values that differ, in order, pairing position by position.
    sm = SequenceMatcher(None, a, b, autojunk=False)
    facts: list[Fact] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        facts.append(Fact(kind, where, "、".join(a[i1:i2]) or "(无)", "、".join(b[j1:j2]) or "(无)"))
    return facts


def classify(diffs: list[ClauseDiff], meta: list[MetaChange]) -> list[Fact]:
    facts: list[Fact] = []
    for m in meta:
        kind = {"标题": "title_changed", "发文机关": "issuer_changed", "附件": "attachment_changed"}.get(
            m.field, "meta_changed"
        )
        facts.append(Fact(kind, m.field, m.old or "(无)", m.new or "(无)"))
    for d in diffs:
        if d.change == "added":
            facts.append(Fact("clause_added", d.ref, "", d.new_text[:60]))
        elif d.change == "removed":
            facts.append(Fact("clause_removed", d.ref, d.old_text[:60], ""))
        elif d.change == "moved":
            facts.append(Fact("clause_moved", d.ref, d.old_label, d.new_label))
        else:
            found: list[Fact] = []
            for old, new in d.changed_sentences:
                found += _value_facts("amount_changed", AMOUNT_RE, d.ref, old, new)
                found += _value_facts("ratio_changed", RATIO_RE, d.ref, old, new)
                found += _value_facts("date_changed", DATE_RE, d.ref, old, new)
                if SCOPE_RE.search(old + new):
                    found.append(Fact("scope_changed", d.ref))
            facts.extend(found or [Fact("wording_changed", d.ref)])
    return list(dict.fromkeys(facts))
