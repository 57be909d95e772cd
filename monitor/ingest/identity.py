"""A policy's identity across addresses: a page that moved for good keeps its history, and a page
that is another site's copy of a policy already watched (same issuer and 文号, or same issuer and
title) becomes an alias of it — no second policy, no duplicate alerts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, literal_column, select, union_all
from sqlalchemy.orm import Session

from monitor.contracts import PageItem
from monitor.ingest.base import AT_ADDRESS, IngestBase
from monitor.ingest.repeals import COULD_NAME_ROWS, could_name_params
from monitor.lifecycle import Lifecycle
from monitor.normalise import Document
from monitor.store.models import Policy, PolicyAlias, Source
from monitor.titlekey import title_keys

log = logging.getLogger("policywatch.ingest")

# Every stored page is looked up by its address, and a new one as a mirror. One statement does both:
# on PostgreSQL each statement waits for the server, and three lookups were a third of a new page's
# round trips. Its parts are read as plain rows (part, id, two texts), and only the match loaded as
# an ORM object. For a page at an address the store did not know when the crawl started, the same
# statement reads the repeal references of other policies that could name it (monitor.ingest.repeals).
_alias = cast(Table, PolicyAlias.__table__).c
_policy = cast(Table, Policy.__table__).c
_BY_ADDRESS = (
    select(literal_column("'policy'"), _policy.id, literal_column("''"), literal_column("''")).where(*AT_ADDRESS),
    select(literal_column("'alias'"), _alias.id, literal_column("''"), literal_column("''")).where(
        _alias.source_id == bindparam("source"), _alias.url == bindparam("url")
    ),
)
_ELSEWHERE = select(literal_column("'twin'"), _policy.id, _policy.issuer, literal_column("''")).where(
    _policy.source_id != bindparam("source")
)
_BY_NUMBER = (*_BY_ADDRESS, _ELSEWHERE.where(_policy.doc_number == bindparam("number")))
_BY_TITLE = (
    *_BY_ADDRESS,
    _ELSEWHERE.where(
        _policy.doc_number == "", _policy.title_head == bindparam("head"), _policy.title_key == bindparam("key")
    ),
)
_LOOKUPS = {  # (by 文号, with the pending references)
    (True, False): union_all(*_BY_NUMBER),
    (False, False): union_all(*_BY_TITLE),
    (True, True): union_all(*_BY_NUMBER, COULD_NAME_ROWS),
    (False, True): union_all(*_BY_TITLE, COULD_NAME_ROWS),
}


@dataclass(frozen=True)
class Known:
    """What is stored about a fetched page's address and identity."""

    policy_id: int | None = None  # the source's policy at this address
    alias_id: int | None = None  # this address as a known mirror of a policy
    twins: tuple[tuple[int, str], ...] = ()  # other sources' policies of the same identity: (id, issuer), by id
    how: str = ""  # what the twins share: "doc_number" or "title"
    # Other policies' unresolved repeal references that could name the page, (key, 文号), when they
    # were read with the lookup: for a policy of the page's title and 文号 (`could_name_for`).
    could_name: tuple[tuple[str, str], ...] | None = None
    could_name_for: tuple[str, str] = ("", "")


def look_up(
    unit: IngestBase, session: Session, url: str, doc: Document, lc: Lifecycle, *, new_address: bool = False
) -> Known:
    """The source's policy at `url`, else the mirror known there, and the other sources' policies with
    the page's identity: its (issuer, 文号) when it has one, else its title and issuer. `new_address`:
    the page is likely new, so the references that could name it are read too."""
    key, head, tail = title_keys(doc.title)
    params = {"source": unit.source_id, "url": url, "number": lc.doc_number, "head": head, "key": key}
    if new_address:  # no policy of its own yet, so none of the references is its own (me: no id)
        params |= could_name_params(key, head, tail, lc.doc_number, me=0)
    policy_id = alias_id = None
    twins = []
    could_name = []
    for part, row_id, text, number in session.execute(_LOOKUPS[bool(lc.doc_number), new_address], params):
        if part == "policy":
            policy_id = row_id
        elif part == "alias":
            alias_id = row_id
        elif part == "twin":
            twins.append((row_id, text))
        else:
            could_name.append((text, number))
    how = "doc_number" if lc.doc_number else "title"
    if not new_address:
        return Known(policy_id, alias_id, tuple(sorted(twins)), how)
    return Known(policy_id, alias_id, tuple(sorted(twins)), how, tuple(could_name), (key, lc.doc_number))


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
    unit: IngestBase, session: Session, source_row: Source, url: str, doc: Document, lc: Lifecycle, known: Known
) -> str | None:
    """A page that is another URL of a policy already watched (same 文号 and issuer, or same title
    and issuer, on another source) is kept as an alias of it: no second policy, no duplicate
    alerts. Returns "mirrored"/"unchanged" when the page is (now) a mirror, None otherwise."""
    now = unit.now()
    if known.alias_id is None:
        twin = identity_match(session, known, lc)
        if twin is None:
            return None
        alias = PolicyAlias(
            policy=twin,
            source=source_row,
            url=url,
            content_hash=doc.content_hash,
            matched_by=known.how,
            first_seen=now,
            last_seen=now,
        )
        session.add(alias)
        log.info("[%s] %s is a mirror of #%s %s (by %s)", unit.source.name, url, twin.id, twin.title, known.how)
        return "mirrored"
    alias = session.get_one(PolicyAlias, known.alias_id)
    alias.last_seen = now
    if alias.content_hash != doc.content_hash:
        # Mirrors lag and re-typeset; the policy's own page is what raises events.
        log.info("[%s] mirror %s of #%s changed", unit.source.name, url, alias.policy_id)
        alias.content_hash = doc.content_hash
    return "unchanged"


def identity_match(session: Session, known: Known, lc: Lifecycle) -> Policy | None:
    """The first stored of the twins whose issuer agrees (or is unknown on either side)."""
    issuers = set(lc.issuers)
    for candidate_id, issuer in known.twins:
        if not issuers or not issuer or issuers & set(issuer.split("、")):
            return session.get_one(Policy, candidate_id)
    return None
