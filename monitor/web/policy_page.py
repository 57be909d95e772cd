"""A policy's page at its stable address: lifecycle facts and how each was read, the repeal graph,
every version, and the diff between any two versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import replaced
from monitor.diff import DocumentDiff, Fact, diff_documents
from monitor.normalise import document_from_json
from monitor.store.models import Event, Policy, RepealLink, Version
from monitor.web.app import page, session
from monitor.web.facts import lifecycle_rows
from monitor.web.ident import find_by_key, policy_path

router = APIRouter()


def versions_of(s: Session, policy: Policy) -> list[Version]:
    return list(s.scalars(select(Version).where(Version.policy_id == policy.id).order_by(Version.seq)))


def version_diff(old: Version, new: Version) -> DocumentDiff:
    return diff_documents(document_from_json(old.document), document_from_json(new.document))


def _chosen(versions: list[Version], raw_from: str, raw_to: str) -> tuple[Version, Version] | None:
    """The two versions to compare: ?from=&to= (version numbers), by default the last two."""
    if len(versions) < 2:
        return None
    by_seq = {v.seq: v for v in versions}
    new = by_seq.get(int(raw_to)) if raw_to.isdigit() else None
    new = new or versions[-1]
    old = by_seq.get(int(raw_from)) if raw_from.isdigit() else None
    if old is None:
        earlier = [v for v in versions if v.seq < new.seq]
        old = earlier[-1] if earlier else versions[0]
    return old, new


def repeal_graph(s: Session, policy: Policy) -> dict[str, list[RepealLink]]:
    """What this policy repeals or revises, and what repeals or revises it (matched links only)."""
    return {
        "repeals": list(s.scalars(select(RepealLink).where(RepealLink.repealing_policy_id == policy.id))),
        "repealed_by": list(s.scalars(select(RepealLink).where(RepealLink.target_policy_id == policy.id))),
    }


@dataclass(frozen=True, slots=True)
class Replaced:
    """This policy's text against one it repeals or revises (their latest versions)."""

    link: RepealLink
    diff: DocumentDiff
    facts: list[Fact]


def replaced_diffs(policy: Policy, links: list[RepealLink], latest: Version | None) -> list[Replaced]:
    out = []
    for link in links:
        old = replaced.latest(link.target_policy) if link.target_policy else None
        if old is None or latest is None:
            continue
        diff = replaced.compare(old, document_from_json(latest.document))
        out.append(Replaced(link, diff, replaced.key_facts(diff.facts)))
    return out


def policy_context(s: Session, policy: Policy, raw_from: str = "", raw_to: str = "") -> dict[str, Any]:
    versions = versions_of(s, policy)
    chosen = _chosen(versions, raw_from, raw_to)
    latest = versions[-1] if versions else None
    events = list(s.scalars(select(Event).where(Event.policy_id == policy.id).order_by(Event.id)))
    graph = repeal_graph(s, policy)
    return {
        "policy": policy,
        "facts": lifecycle_rows(policy, latest),
        "versions": versions,
        "latest": latest,
        "pair": chosen,
        "diff": version_diff(*chosen) if chosen else None,
        "events": events,
        "policy_path": policy_path,
        "replaced": replaced_diffs(policy, graph["repeals"], latest),
        **graph,
    }


@router.get("/policies/{source}/{digest}", response_class=HTMLResponse, summary="政策页面")
def policy_view(request: Request, source: str, digest: str, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    policy = find_by_key(s, source, digest)
    if policy is None:
        return page(request, "missing.html", {"what": f"政策 {source}/{digest}"}, 404)
    params = request.query_params
    context = policy_context(s, policy, params.get("from", ""), params.get("to", ""))
    return page(request, "policy.html", context)


@router.get("/policy-{policy_id}.html", include_in_schema=False)
def report_address(request: Request, policy_id: int, s: Annotated[Session, Depends(session)]) -> Response:
    """The static report's name of a policy page (what alerts link to under `[report] base_url`):
    sent on to the policy's stable address, so base_url may point at this app."""
    policy = s.get(Policy, policy_id)
    if policy is None:
        return page(request, "missing.html", {"what": f"政策 #{policy_id}"}, 404)
    return RedirectResponse(policy_path(policy), status_code=301)
