"""A policy's lifecycle facts in Chinese, each with how it was read: "据正文第十条", "据网站标注"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.store.models import Policy, Version


@dataclass(frozen=True, slots=True)
class FactRow:
    label: str
    value: str
    how: str  # how it was read, in words
    anchor: str = ""  # an element id for tests and links


def _clauses(version: Version | None) -> Sequence[Sequence[Any]]:
    return (version.document or {}).get("clauses", []) if version else []


def where_in_text(version: Version | None, passage: str) -> str:
    """ "据正文第十条" when the passage is found in a numbered article of the text, else "据正文"."""
    passage = passage.strip()
    if not passage:
        return ""
    probe = passage[:40]
    for label, _kind, path, body in _clauses(version):
        if probe in str(body):
            numbered = [str(p) for p in (*path, label) if p]
            return "据正文" + ("".join(numbered) if numbered else "")
    return "据正文"


def _dated(version: Version | None, rule: str, derived: bool) -> str:
    if not rule:
        return "正文未载明"
    if derived:
        return f"推定:{rule}"
    return f"{where_in_text(version, rule)}「{rule}」"


def status_how(policy: Policy, version: Version | None) -> str:
    source = policy.status_source or ""
    evidence = policy.status_evidence or ""
    if source.startswith("official_label"):
        return f"据网站标注「{evidence}」" if evidence else "据网站标注"
    if source.startswith("inferred_clause"):
        return f"{where_in_text(version, evidence)}「{evidence}」" if evidence else "据正文"
    if source.startswith("site"):
        return "据网站:页面已撤下(撤下不等于废止)"
    if "presumed" in source:
        return f"推定:{evidence or '未见废止或到期信息'}"
    return evidence


def lifecycle_rows(policy: Policy, version: Version | None) -> list[FactRow]:
    lc: dict[str, Any] = (version.lifecycle if version else None) or {}
    effective, expires = lc.get("effective") or {}, lc.get("expires") or {}
    official = lc.get("official_status") or ""
    rows = [
        FactRow("状态", policy.status, status_how(policy, version), "status"),
        FactRow(
            "文号", policy.doc_number or "—", "据网站信息栏或正文" if policy.doc_number else "未载明", "doc-number"
        ),
        FactRow("发文机关", policy.issuer or "—", "据网站信息栏或落款" if policy.issuer else "未载明", "issuer"),
        FactRow("发布日期", policy.published.isoformat() if policy.published else "—", "据网站发布日期", "published"),
        FactRow(
            "施行日期",
            policy.effective_date.isoformat() if policy.effective_date else "—",
            _dated(version, policy.effective_rule, bool(effective.get("derived"))),
            "effective",
        ),
        FactRow(
            "有效期至",
            policy.expires_date.isoformat() if policy.expires_date else "—",
            _dated(version, policy.expires_rule, bool(expires.get("derived"))),
            "expires",
        ),
    ]
    if official:
        rows.append(FactRow("网站标注有效性", official, "据网站标注", "official"))
    return rows
