"""A policy's identity across addresses: a page that moved for good keeps its history, and a page
that is another site's copy of a policy already watched (same issuer and 文号, or same issuer and
title) becomes an alias of it — no second policy, no duplicate alerts."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.contracts import PageItem
from monitor.ingest.base import IngestBase
from monitor.lifecycle import Lifecycle
from monitor.normalise import Document
from monitor.store.models import Policy, PolicyAlias, Source
from monitor.titlekey import title_keys

log = logging.getLogger("policywatch.ingest")


def moved(unit: IngestBase, session: Session, policy: Policy | None, item: PageItem) -> Policy | None:
    """A page moved for good (301/308): the policy takes its new address and keeps its history;
    a page first met through such a move is known by its new address."""
    there = unit._policy(session, item.moved_to)
    if policy is not None and there is None:
        log.info("[%s] %s moved to %s (history kept)", unit.source.name, item.url, item.moved_to)
        policy.url = item.moved_to
    item.url = item.moved_to
    return there or policy


def mirror(
    unit: IngestBase, session: Session, source_row: Source, url: str, doc: Document, lc: Lifecycle, now: datetime
) -> str | None:
    """A page that is another URL of a policy already watched (same 文号 and issuer, or same title
    and issuer, on another source) is kept as an alias of it: no second policy, no duplicate
    alerts. Returns "mirrored"/"unchanged" when the page is (now) a mirror, None otherwise."""
    alias = session.scalar(select(PolicyAlias).where(PolicyAlias.source_id == source_row.id, PolicyAlias.url == url))
    if alias is None:
        found = identity_match(unit, session, source_row, doc, lc)
        if found is None:
            return None
        twin, how = found
        alias = PolicyAlias(
            policy=twin,
            source=source_row,
            url=url,
            content_hash=doc.content_hash,
            matched_by=how,
            first_seen=now,
            last_seen=now,
        )
        session.add(alias)
        log.info("[%s] %s is a mirror of #%s %s (by %s)", unit.source.name, url, twin.id, twin.title, how)
        return "mirrored"
    alias.last_seen = now
    if alias.content_hash != doc.content_hash:
        # Mirrors lag and re-typeset; the policy's own page is what raises events.
        log.info("[%s] mirror %s of #%s changed", unit.source.name, url, alias.policy_id)
        alias.content_hash = doc.content_hash
    return "unchanged"


def identity_match(
    unit: IngestBase, session: Session, source_row: Source, doc: Document, lc: Lifecycle
) -> tuple[Policy, str] | None:
    """A policy's identity is its (issuer, 文号) when it has one, else its title and issuer."""
    others = select(Policy).where(Policy.source_id != source_row.id)
    issuers = set(lc.issuers)
    if lc.doc_number:
        for candidate in session.scalars(others.where(Policy.doc_number == lc.doc_number)):
            if not issuers or not candidate.issuer or issuers & set(candidate.issuer.split("、")):
                return candidate, "doc_number"
        return None
    key, head, _ = title_keys(doc.title)
    for candidate in session.scalars(
        others.where(Policy.doc_number == "", Policy.title_head == head, Policy.title_key == key)
    ):
        if not issuers or not candidate.issuer or issuers & set(candidate.issuer.split("、")):
            return candidate, "title"
    return None
