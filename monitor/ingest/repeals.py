"""Repeal links: a policy's "…同时废止" sentences tied to the policies they name — when the repealing
policy is stored, and when a named policy is first crawled later. Matching is by index lookups (文号,
one end of the normalised title key), never a scan of the library; rapidfuzz scores only candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    bindparam,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session

from monitor import rules
from monitor.ingest.base import IngestBase
from monitor.lifecycle import Lifecycle, RepealTarget, lifecycle_from_json
from monitor.status import latest_version
from monitor.store.models import Policy, RepealLink
from monitor.store.rows import insert_new
from monitor.titlekey import best_match, length_bounds, title_keys, title_similarity

# The lookups run for every stored page, and a common title end ("…高质量发展") can have hundreds of
# candidates: they are built once, with parameters, and read as plain rows (Core columns, not ORM
# entities), which costs a fraction of loading them through the ORM.
_policy = cast(Table, Policy.__table__).c
_links = cast(Table, RepealLink.__table__)
_link = _links.c
_BY_NUMBER = (
    select(_policy.id)
    .where(_policy.id != bindparam("me"), _policy.doc_number == bindparam("number"))
    .order_by(_policy.id)
    .limit(1)
)


def _candidates(*where: ColumnElement[bool]) -> Select[tuple[int, str]]:
    """Policies sharing one end of a reference's title key: their id and key."""
    # Interpretations and press Q&As about a policy are never the policy.
    never = (~_policy.title_key.contains("解读"), ~_policy.title_key.contains("答记者问"))
    return select(_policy.id, _policy.title_key).where(_policy.id != bindparam("me"), *never, *where)


def _sharing_an_end(*where: ColumnElement[bool]) -> CompoundSelect:
    """A UNION, not an OR: each part is one range of an (end, 文号, length) index."""
    length = _policy.title_len.between(bindparam("lo"), bindparam("hi"))
    return union(
        _candidates(_policy.title_head == bindparam("head"), *where, length),
        _candidates(_policy.title_tail == bindparam("tail"), *where, length),
    )


_CANDIDATES = _sharing_an_end()
# A reference with a 文号 names no policy that has another one (one with the same was looked up first).
_UNNUMBERED_CANDIDATES = _sharing_an_end(_policy.doc_number == "")


def _pending(*could_name: ColumnElement[bool]) -> Select[tuple[str, str]]:
    """Unresolved references of other policies: their target's key and 文号."""
    unresolved = (_link.target_policy_id.is_(None), _link.repealing_policy_id != bindparam("me"))
    return select(_link.target_key, _link.target_doc_number).where(*unresolved, *could_name)


def _pending_sharing(end: str) -> Select[tuple[str, str]]:
    """Unresolved references of other policies whose title key shares one end (`end`: head or tail) and
    has a length that can match: each distinct (length, key, 文号) once. A loose index scan (a recursive
    CTE stepping from one distinct entry of the partial index to the next): a document named by
    hundreds of policies costs one step, not hundreds of index entries — on PostgreSQL each also a
    table row, since rows written during the crawl are not yet known to be visible to all."""

    def following(t: Any, *after: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        unresolved = (t.c.target_policy_id.is_(None), t.c.repealing_policy_id != bindparam("me"))
        return [t.c[f"target_{end}"] == bindparam(end), t.c.target_len <= bindparam("hi"), *unresolved, *after]

    def ordered(t: Any) -> tuple[Any, ...]:
        return t.c.target_len, t.c.target_key, t.c.target_doc_number

    first = _links.alias("first_")
    start = select(*ordered(first)).where(*following(first, first.c.target_len >= bindparam("lo")))
    seen = select(start.order_by(*ordered(first)).limit(1).subquery()).cte(f"pending_{end}", recursive=True)
    step, row = _links.alias("step_"), _links.alias("row_")
    beyond = select(step.c.id).where(*following(step, tuple_(*ordered(step)) > tuple_(*ordered(seen))))
    nearest = beyond.order_by(*ordered(step)).limit(1).scalar_subquery()
    seen = seen.union_all(select(*ordered(row)).join_from(seen, row, row.c.id == nearest))
    return select(seen.c.target_key, seen.c.target_doc_number)


# References that could name a policy: a title sharing one end of its key (and of a length that can
# match), or its 文号. A UNION, not an OR: each part is then one range of its own index.
_COULD_NAME = union(
    _pending_sharing("head"),
    _pending_sharing("tail"),
    _pending(_link.target_doc_number == bindparam("number"), bindparam("number", type_=String) != ""),
)
_could_name = _COULD_NAME.subquery("could_name")
# The same references as rows of a page's identity lookup (monitor.ingest.identity: part, id, and two
# texts), for a page at an address the store did not know: its pending references are then read in
# the lookup's round trip instead of one of their own after its rows are written.
COULD_NAME_ROWS = select(
    literal_column("'pending'"), null(), _could_name.c.target_key, _could_name.c.target_doc_number
).select_from(_could_name)


def could_name_params(title_key: str, head: str, tail: str, doc_number: str, me: int) -> dict[str, Any]:
    """The parameters of COULD_NAME_ROWS for policy `me` with these title keys and 文号."""
    shortest, longest = length_bounds(title_key)
    return {"me": me, "head": head, "tail": tail, "lo": shortest, "hi": longest, "number": doc_number}


# A policy's own links, one per repeal sentence: looked up for every sentence of every stored version.
_LINK_OF = select(RepealLink).where(
    RepealLink.repealing_policy_id == bindparam("me"),
    RepealLink.target_title == bindparam("title"),
    RepealLink.target_doc_number == bindparam("number"),
)


def find_target(session: Session, policy: Policy, target: RepealTarget) -> tuple[Policy, float, str] | None:
    """The stored policy a repeal sentence of `policy` names: (policy, score, matched by)."""
    if target.doc_number:
        if target.doc_number == policy.doc_number:
            return None  # a document cannot repeal itself
        hit = session.scalar(_BY_NUMBER, {"me": policy.id, "number": target.doc_number})
        if hit is not None:
            return session.get_one(Policy, hit), 1.0, "doc_number"
    # Candidates share one end of the title key (an index lookup); only their keys are read, and
    # only the best match is loaded.
    key, head, tail = title_keys(target.title)
    shortest, longest = length_bounds(key)
    query = _UNNUMBERED_CANDIDATES if target.doc_number else _CANDIDATES
    # Sorted by id: among equally good titles the first stored is taken, whatever the plan's order.
    candidates = sorted(
        session.execute(query, {"me": policy.id, "head": head, "tail": tail, "lo": shortest, "hi": longest})
    )
    best = best_match(key, [candidate_key for _, candidate_key in candidates])
    if best is None:
        return None
    index, score = best
    return session.get_one(Policy, candidates[index][0]), score, "title"


def link_repeals(
    unit: IngestBase, session: Session, policy: Policy, lc: Lifecycle, quiet: bool, *, new_policy: bool = False
) -> None:
    """One link per repeal sentence of `policy`, tied to its target when that is stored. `new_policy`:
    its row was written with this version, so it has no links to look up yet."""
    made: dict[tuple[str, str], RepealLink] = {}  # one document may be named twice: repealed and revised
    for target in lc.repeals:
        named = (target.title, target.doc_number)
        link = made.get(named)
        if link is None and not new_policy:
            link = session.scalar(_LINK_OF, {"me": policy.id, "title": target.title, "number": target.doc_number})
        if link is None:
            link = RepealLink(
                repealing_policy_id=policy.id,
                target_title=target.title,
                target_doc_number=target.doc_number,
                kind=target.kind,
                sentence=target.sentence,
            )
            insert_new(session, link)
        made[named] = link
        if link.target_policy_id is None:
            found = find_target(session, policy, target)
            if found is not None:
                apply_link(unit, session, link, *found, quiet=quiet)


def match_pending_links(
    unit: IngestBase,
    session: Session,
    policy: Policy,
    quiet: bool,
    could_name: Sequence[tuple[str, str]] | None = None,
) -> None:
    """A repeal read earlier whose target is only now crawled for the first time. `could_name`: the
    references that could name the policy, (key, 文号), when the identity lookup read them already."""
    if could_name is None:
        params = could_name_params(
            policy.title_key, policy.title_head, policy.title_tail, policy.doc_number or "", policy.id
        )
        could_name = [(row.target_key, row.target_doc_number) for row in session.execute(_COULD_NAME, params)]
    # Each distinct reference is scored once: a library's policies often name the same old document.
    named = [
        (key, number)
        for key, number in could_name
        if (number and number == policy.doc_number) or title_similarity(key, policy.title_key)
    ]
    if not named:
        return
    unresolved = [RepealLink.target_policy_id.is_(None), RepealLink.repealing_policy_id != policy.id]
    these = or_(*(and_(RepealLink.target_key == key, RepealLink.target_doc_number == number) for key, number in named))
    for link in session.scalars(select(RepealLink).where(*unresolved, these).order_by(RepealLink.id)):
        target = RepealTarget(link.target_title, link.target_doc_number, link.sentence, link.kind)
        found = find_target(session, link.repealing_policy, target)
        if found is not None and found[0].id == policy.id:
            apply_link(unit, session, link, *found, quiet=quiet)


def apply_link(
    unit: IngestBase, session: Session, link: RepealLink, target: Policy, score: float, how: str, *, quiet: bool
) -> None:
    """Tie the link to its target; the first repealer of a policy repeals it (one `repealed` event)."""
    link.target_policy = target
    link.match_score = score
    link.matched_by = how
    repealer = link.repealing_policy
    if target.repealed_by_id is not None:
        return
    target.repealed_by = repealer
    session.flush()
    if not (quiet or unit._quiet(target) or unit._quiet(repealer)):
        by = rules.Repealer(repealer.id, repealer.title, repealer.doc_number, repealer.url)
        unit._event(session, target, rules.repealed(target.id, by, link.kind, link.sentence, how, score))
    latest = latest_version(session, target)
    if latest is not None:
        unit._refresh(session, target, lifecycle_from_json(latest.lifecycle), quiet=True)
