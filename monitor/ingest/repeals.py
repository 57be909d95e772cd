"""Repeal links: a policy's "…同时废止" sentences tied to the policies they name — when the repealing
policy is stored, and when a named policy is first crawled later. Matching is by index lookups (文号,
one end of the normalised title key), never a scan of the library; rapidfuzz scores only candidates."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitor import rules
from monitor.ingest.base import IngestBase
from monitor.lifecycle import Lifecycle, RepealTarget, lifecycle_from_json
from monitor.status import latest_version
from monitor.store.models import Policy, RepealLink
from monitor.titlekey import length_bounds, title_keys, title_similarity


def find_target(session: Session, policy: Policy, target: RepealTarget) -> tuple[Policy, float, str] | None:
    """The stored policy a repeal sentence of `policy` names: (policy, score, matched by)."""
    if target.doc_number:
        if target.doc_number == policy.doc_number:
            return None  # a document cannot repeal itself
        others = select(Policy).where(Policy.id != policy.id, Policy.doc_number == target.doc_number)
        hit = session.scalar(others.order_by(Policy.id))
        if hit is not None:
            return hit, 1.0, "doc_number"
    # Candidates share one end of the title key (an index lookup); only their keys are read, and
    # only the best match is loaded.
    key, head, tail = title_keys(target.title)
    candidates = session.execute(
        select(Policy.id, Policy.title_key, Policy.doc_number).where(
            Policy.id != policy.id,
            or_(Policy.title_head == head, Policy.title_tail == tail),
            func.length(Policy.title_key).between(*length_bounds(key)),
        )
    )
    best: tuple[int, float] | None = None
    for candidate_id, candidate_key, candidate_number in candidates:
        if "解读" in candidate_key or "答记者问" in candidate_key:
            continue
        if target.doc_number and candidate_number and candidate_number != target.doc_number:
            continue
        score = title_similarity(key, candidate_key)
        if score and (best is None or score > best[1]):
            best = (candidate_id, score)
    if best is None:
        return None
    return session.get_one(Policy, best[0]), best[1], "title"


def link_repeals(unit: IngestBase, session: Session, policy: Policy, lc: Lifecycle, quiet: bool) -> None:
    """One link per repeal sentence of `policy`, tied to its target when that is stored."""
    for target in lc.repeals:
        link = session.scalar(
            select(RepealLink).where(
                RepealLink.repealing_policy_id == policy.id,
                RepealLink.target_title == target.title,
                RepealLink.target_doc_number == target.doc_number,
            )
        )
        if link is None:
            link = RepealLink(
                repealing_policy=policy,
                target_title=target.title,
                target_doc_number=target.doc_number,
                kind=target.kind,
                sentence=target.sentence,
            )
            session.add(link)
            session.flush()
        if link.target_policy_id is None:
            found = find_target(session, policy, target)
            if found is not None:
                apply_link(unit, session, link, *found, quiet=quiet)


def match_pending_links(unit: IngestBase, session: Session, policy: Policy, quiet: bool) -> None:
    """A repeal read earlier whose target is only now crawled for the first time."""
    # Only references that could name this policy: same 文号, or a title sharing one end of its key.
    could_name = [
        and_(
            or_(RepealLink.target_head == policy.title_head, RepealLink.target_tail == policy.title_tail),
            func.length(RepealLink.target_key).between(*length_bounds(policy.title_key)),
        )
    ]
    if policy.doc_number:
        could_name.append(RepealLink.target_doc_number == policy.doc_number)
    unresolved = [RepealLink.target_policy_id.is_(None), RepealLink.repealing_policy_id != policy.id]
    # Each distinct reference is scored once: a library's policies often name the same old document.
    named = [
        (key, number)
        for key, number in session.execute(
            select(RepealLink.target_key, RepealLink.target_doc_number).where(*unresolved, or_(*could_name)).distinct()
        )
        if (number and number == policy.doc_number) or title_similarity(key, policy.title_key)
    ]
    if not named:
        return
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
