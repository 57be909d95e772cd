"""A revision against the policy it replaces: the article-aligned diff of the new text against the old
one, and the facts (amounts, rates, dates, eligibility) that changed — "与被替代的《…》相比". Shown on the
new policy's page, and the three most important facts travel in its `new_policy` alert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.diff import DocumentDiff, Fact, diff_documents
from monitor.normalise import Document, document_from_json
from monitor.store.models import Policy, Version

# What a reader of a revision wants first: money, then rates, deadlines, who qualifies, what was
# added or dropped. Title, 文号 and dates of issue always differ between two documents and say nothing.
FACT_RANK = ("amount_changed", "ratio_changed", "date_changed", "scope_changed", "clause_added", "clause_removed")
ALERT_FACTS = 3


def latest(policy: Policy) -> Version | None:
    return policy.versions[-1] if policy.versions else None


def compare(old: Version, new_document: Document) -> DocumentDiff:
    return diff_documents(document_from_json(old.document), new_document)


def key_facts(facts: Sequence[Fact], limit: int | None = None) -> list[Fact]:
    """The changed facts that matter, most important kind first (text order kept within a kind)."""
    ranked = sorted((f for f in facts if f.kind in FACT_RANK), key=lambda f: FACT_RANK.index(f.kind))
    return ranked[:limit] if limit is not None else ranked


def replaced_for_alert(replaced: Sequence[tuple[Policy, str]], new_document: Document) -> list[dict[str, Any]]:
    """For a new policy's alert: each stored policy it repeals or revises (policy, kind), with the
    three most important facts that changed against it."""
    out = []
    for old_policy, kind in replaced:
        old = latest(old_policy)
        if old is None:
            continue
        facts = key_facts(compare(old, new_document).facts, ALERT_FACTS)
        out.append(
            {
                "title": old_policy.title,
                "doc_number": old_policy.doc_number,
                "kind": kind,
                "facts": [
                    {"kind": f.kind, "where": f.where, "old": f.old, "new": f.new, "summary": f.summary} for f in facts
                ],
            }
        )
    return out
