"""The read JSON API (`/api/…`, documented at /docs and /openapi.json): policies, one policy, events.
Times are ISO 8601 with their offset (Asia/Shanghai, +08:00); policies are named by their stable key."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.events import EVENT_LABELS, event_json
from monitor.localtime import SHANGHAI, iso_time
from monitor.store.models import Event, Policy
from monitor.web.app import session, state
from monitor.web.ident import find_by_key, policy_key, policy_path
from monitor.web.policies import BadQuery, read_query
from monitor.web.policy_page import policy_context
from monitor.web.search import PolicyQuery, search_policies

router = APIRouter(prefix="/api", tags=["API"])


class PolicySummary(BaseModel):
    id: str  # the stable key: source name / digest of the URL
    title: str
    doc_number: str | None
    issuer: str | None
    status: str
    source: str
    region: str
    published: date | None
    effective_date: date | None
    expires_date: date | None
    url: str  # the original page
    page: str  # this app's page of the policy


class PolicyList(BaseModel):
    total: int
    page: int
    pages: int
    status_counts: dict[str, int]
    items: list[PolicySummary]


class EventOut(BaseModel):
    id: int
    type: str
    label: str
    policy: str | None  # the stable key of its policy; null for a source's own event
    policy_title: str | None
    doc_number: str | None
    source: str
    region: str
    url: str | None
    detected_at: str  # ISO 8601 with offset
    run_id: int | None
    summary: str
    importance: str
    details: dict[str, Any]


class Fact(BaseModel):
    label: str
    value: str
    how: str


class VersionOut(BaseModel):
    seq: int
    fetched_at: str
    title: str
    content_hash: str


class RepealOut(BaseModel):
    kind: str  # repeal / revision
    title: str
    doc_number: str | None
    policy: str | None  # its stable key when it is a watched policy


class PolicyDetail(PolicySummary):
    facts: list[Fact]
    versions: list[VersionOut]
    repeals: list[RepealOut]
    repealed_by: list[RepealOut]
    events: list[EventOut]


def summary(policy: Policy) -> PolicySummary:
    return PolicySummary(
        id=policy_key(policy),
        title=policy.title,
        doc_number=policy.doc_number or None,
        issuer=policy.issuer or None,
        status=policy.status,
        source=policy.source.name,
        region=policy.source.region,
        published=policy.published,
        effective_date=policy.effective_date,
        expires_date=policy.expires_date,
        url=policy.url,
        page=policy_path(policy),
    )


def event_out(event: Event) -> EventOut:
    data = event_json(event)
    data.pop("policy_id", None)
    data.pop("urls", None)
    return EventOut(
        **data,
        label=EVENT_LABELS.get(event.type, event.type),
        policy=policy_key(event.policy) if event.policy else None,
    )


@router.get("/policies", response_model=PolicyList, summary="政策列表(与页面相同的检索和筛选)")
def api_policies(request: Request, s: Annotated[Session, Depends(session)]) -> PolicyList:
    try:
        query = read_query(**{k: v for k, v in request.query_params.items() if k in PolicyQuery.__slots__})
    except BadQuery as exc:
        raise HTTPException(422, str(exc)) from None
    web = state(request)
    result = search_policies(s, query, web.today(), web.clock())
    items = [summary(p) for p in result.policies]
    return PolicyList(
        total=result.total, page=query.page, pages=result.pages, status_counts=result.status_counts, items=items
    )


def _repeal(kind: str, title: str, number: str, policy: Policy | None) -> RepealOut:
    return RepealOut(kind=kind, title=title, doc_number=number or None, policy=policy_key(policy) if policy else None)


@router.get("/policies/{source}/{digest}", response_model=PolicyDetail, summary="一件政策:事实、版本、废止关系、事件")
def api_policy(source: str, digest: str, s: Annotated[Session, Depends(session)]) -> PolicyDetail:
    policy = find_by_key(s, source, digest)
    if policy is None:
        raise HTTPException(404, f"no policy {source}/{digest}")
    ctx = policy_context(s, policy)
    return PolicyDetail(
        **summary(policy).model_dump(),
        facts=[Fact(label=f.label, value=f.value, how=f.how) for f in ctx["facts"]],
        versions=[
            VersionOut(seq=v.seq, fetched_at=iso_time(v.fetched_at) or "", title=v.title, content_hash=v.content_hash)
            for v in ctx["versions"]
        ],
        repeals=[_repeal(r.kind, r.target_title, r.target_doc_number, r.target_policy) for r in ctx["repeals"]],
        repealed_by=[
            _repeal(r.kind, r.repealing_policy.title, r.repealing_policy.doc_number, r.repealing_policy)
            for r in ctx["repealed_by"]
        ],
        events=[event_out(e) for e in ctx["events"]],
    )


def parse_since(value: str) -> datetime | None:
    """An ISO date (midnight in Shanghai) or date-time (without an offset: Shanghai time)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise HTTPException(422, f"since: {value!r} is not an ISO 8601 date or date-time") from None
    if len(value.strip()) == 10:
        moment = datetime.combine(moment.date(), time(), SHANGHAI)
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(UTC)


@router.get("/events", response_model=list[EventOut], summary="事件(可按时间和类型筛选),按时间先后")
def api_events(
    s: Annotated[Session, Depends(session)],
    since: Annotated[str, Query(description="ISO 8601 date or date-time; without an offset, Asia/Shanghai")] = "",
    type: Annotated[list[str] | None, Query(description="event types, repeatable")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[EventOut]:
    unknown = sorted(set(type or ()) - set(EVENT_LABELS))
    if unknown:
        raise HTTPException(422, f"unknown event type(s) {unknown}; known: {sorted(EVENT_LABELS)}")
    stmt = select(Event).order_by(Event.detected_at, Event.id).limit(limit)
    moment = parse_since(since)
    if moment is not None:
        stmt = stmt.where(Event.detected_at >= moment)
    if type:
        stmt = stmt.where(Event.type.in_(type))
    return [event_out(e) for e in s.scalars(stmt)]
