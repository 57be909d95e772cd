"""Re-reading a stored version with the running code, and the quiet `facts_corrected` entry that
records what the re-reading changed. Used before a new fetch is compared with an old version (so an
upgrade never alerts) and by `policywatch reprocess`. Nothing here ever writes an outbox row."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import monitor.derive as derivation
from monitor.config import SourceConfig
from monitor.derive import (
    PageInputs,
    ParsedPage,
    decode_stored,
    derive,
    fact_changes,
    legacy_inputs,
)
from monitor.events import record_event
from monitor.normalise import document_to_json
from monitor.rules import EventSpec
from monitor.store.models import Policy, Version
from monitor.vocab import EventType


@dataclass(slots=True)
class Correction:
    """What re-reading one stored version changed."""

    seq: int
    from_derivation: int
    facts: list[dict[str, Any]]
    text_changed: bool
    status: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.facts or self.text_changed or self.status)

    def summary(self) -> str:
        parts = [f"{f['label']} {f['old'] or '未载明'} → {f['new'] or '未载明'}" for f in self.facts]
        if self.status:
            parts.append(f"状态 {self.status[0]} → {self.status[1]}")
        if self.text_changed and not parts:
            parts.append("规范化文本更新,事实不变")
        return f"v{self.seq} 由新版程序重新读取:" + "；".join(parts) + "(不推送)"

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.seq,
            "from_derivation": self.from_derivation,
            "to_derivation": derivation.DERIVATION_VERSION,
            "facts": self.facts,
            "text_changed": self.text_changed,
            "status": list(self.status) if self.status else None,
            "notes": self.notes,
            "notified": False,
        }


def rederive(policy: Policy, version: Version, source: SourceConfig) -> tuple[ParsedPage, bool]:
    """The stored version as the running code reads its raw inputs. The flag is True when the
    inputs besides the body had to be reconstructed (a version stored before they were kept)."""
    if version.inputs is not None:
        inputs, reconstructed = PageInputs.from_json(version.inputs), False
    else:
        inputs = legacy_inputs(version.document, version.fields, list(policy.list_fields or {}))
        reconstructed = True
    return derive(decode_stored(version.raw_html, version.encoding), policy.url, source, inputs), reconstructed


def attachments_alone_differ(
    policy: Policy, stored: Version, again: ParsedPage, html: str, parsed: ParsedPage, source: SourceConfig
) -> bool:
    """For a version stored before attachments' text was kept (its attachment section rebuilt from
    text the old code had already normalised): True when the new fetch differs from it only there —
    a difference that may be the code's alone."""
    if not again.inputs.attachment_blocks or again.document.content_hash == parsed.document.content_hash:
        return False
    then = derive(
        decode_stored(stored.raw_html, stored.encoding), policy.url, source, PageInputs(again.inputs.list_fields)
    )
    now = derive(html, policy.url, source, PageInputs(parsed.inputs.list_fields))
    return then.document.content_hash == now.document.content_hash


def apply_rederived(version: Version, again: ParsedPage) -> Correction:
    """Overwrite the version's derived data with the re-derived one and stamp it."""
    new_lc = again.lifecycle.to_json()
    correction = Correction(
        version.seq,
        version.derived_by,
        fact_changes(version.lifecycle or {}, new_lc),
        version.content_hash != again.document.content_hash,
    )
    doc = again.document
    version.title, version.text, version.content_hash = doc.title, doc.text, doc.content_hash
    version.document, version.lifecycle, version.fields = document_to_json(doc), new_lc, again.fields
    version.derived_by = derivation.DERIVATION_VERSION
    return correction


def record_correction(
    session: Session, policy: Policy, version: Version, correction: Correction, *, run_id: int | None, now: datetime
) -> bool:
    """A quiet history entry (no subscriber ever gets it). False when there was nothing to record."""
    if not correction.changed:
        return False
    details = correction.to_json()
    digest = hashlib.sha256(
        json.dumps([version.content_hash, version.lifecycle, details["status"]], sort_keys=True).encode()
    ).hexdigest()[:16]
    key = f"facts_corrected:{version.id}:{derivation.DERIVATION_VERSION}:{digest}"
    event = record_event(
        session,
        EventSpec(EventType.FACTS_CORRECTED, key, details),
        policy=policy,
        run_id=run_id,
        now=now,
        subscribers=(),
        version_id=version.id,
        summary=correction.summary(),
    )
    return event is not None
