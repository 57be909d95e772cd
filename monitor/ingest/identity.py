"""A policy's identity across addresses: a page that moved for good keeps its history, and a page
that is another site's copy of a policy already watched (same issuer and 文号, or same issuer and
title) becomes an alias of it — no second policy, no duplicate alerts."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from monitor.contracts import PageItem
from monitor.ingest.base import IngestBase
from monitor.lifecycle import Lifecycle
from monitor.normalise import Document
from monitor.store.models import Policy, PolicyAlias, Source
from monitor.titlekey import title_keys

log = logging.getLogger("policywatch.ingest")

# Every new page is looked up as a mirror: statements built once, read as plain rows, and only the
# match loaded as an ORM object (as in monitor.ingest.repeals).
_alias = cast(Table, PolicyAlias.__table__).c
_policy = cast(Table, Policy.__table__).c
_ALIAS_AT = select(_alias.id).where(_alias.source_id == bindparam("source"), _alias.url == bindparam("url"))
_ELSEWHERE = select(_policy.id, _policy.issuer).where(_policy.source_id != bindparam("source")).order_by(_policy.id)
_SAME_NUMBER = _ELSEWHERE.where(_policy.doc_number == bindparam("number"))
_SAME_TITLE = _ELSEWHERE.where(
    _policy.doc_number == "", _policy.title_head == bindparam("head"), _policy.title_key == bindparam("key")
)


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
    alias_id = session.scalar(_ALIAS_AT, {"source": source_row.id, "url": url})
    if alias_id is None:
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
    alias = session.get_one(PolicyAlias, alias_id)
    alias.last_seen = now
    if alias.content_hash != doc.content_hash:
        # Mirrors lag and re-typeset; the policy's own page is what raises events.
        log.info("[%s] mirror %s of #%s changed", unit.source.name, url, alias.policy_id)
        alias.content_hash = doc.content_hash
    return "unchanged"


def identity_match(
    unit: IngestBase, session: Session, source_row: Source, doc: Document, lc: Lifecycle
) -> tuple[Policy, str] | None:
    """A policy's identity is its (issuer, 文号) when it has one, else its title and issuer; the
    first stored of several that qualify."""
    if lc.doc_number:
        query, params, how = _SAME_NUMBER, {"number": lc.doc_number}, "doc_number"
    else:
        key, head, _ = title_keys(doc.title)
        query, params, how = _SAME_TITLE, {"head": head, "key": key}, "title"
    issuers = set(lc.issuers)
    for candidate_id, issuer in session.execute(query, {"source": source_row.id, **params}):
        if not issuers or not issuer or issuers & set(issuer.split("、")):
            return session.get_one(Policy, candidate_id), how
    return None
