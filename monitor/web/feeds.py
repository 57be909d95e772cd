"""Atom and RSS feeds of events (feedgen): all, per region, per source, per event type, and per
subscriber's filter. Each entry says what the alert says — notifier.compose decides the wording and
notifier.render writes it as plain text (old and new marked [-…-]{+…+}) — never a second wording.
Quiet events (facts_corrected: an upgrade re-read a page) are left out, as alerts leave them out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Subscriber
from monitor.events import EVENT_LABELS, QUIET_EVENTS, policy_regions
from monitor.localtime import SHANGHAI, in_shanghai
from monitor.store.models import Event, Source, Version
from monitor.web.app import page, session, state
from monitor.web.ident import policy_path
from notifier.compose import compose
from notifier.matching import wants
from notifier.render import render_composition

router = APIRouter(tags=["feeds"])
FEED_ENTRIES = 100
SCAN_EVENTS = 2000  # the newest events looked at for one feed (filters then keep up to FEED_ENTRIES)
MEDIA = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class FeedFilter:
    region: str = ""
    source: str = ""
    types: tuple[str, ...] = ()
    subscriber: Subscriber | None = None

    def title(self) -> str:
        parts = [self.region, self.source, "、".join(EVENT_LABELS.get(t, t) for t in self.types)]
        if self.subscriber:
            parts.append(f"订阅「{self.subscriber.name}」")
        return "政策监测 · " + (" · ".join(p for p in parts if p) or "全部事件")


def _regions(event: Event) -> str:
    return policy_regions(event.policy) if event.policy else event.origin.region


def _haystack(s: Session, event: Event, sub: Subscriber) -> str:
    """What a subscriber's keywords are matched against, as when the alert was queued."""
    if event.policy is None:
        return f"{event.origin.name}\n{event.summary}"
    text = f"{event.policy.title}\n{event.summary}"
    if sub.keywords:
        latest = s.scalar(
            select(Version.text).where(Version.policy_id == event.policy.id).order_by(Version.seq.desc()).limit(1)
        )
        text += "\n" + (latest or "")
    return text


def matches(s: Session, event: Event, wanted: FeedFilter) -> bool:
    origin = event.origin
    if wanted.region and wanted.region not in _regions(event):
        return False
    if wanted.source and origin.name != wanted.source:
        return False
    if wanted.types and event.type not in wanted.types:
        return False
    sub = wanted.subscriber
    if sub is None:
        return True
    importance = (event.details or {}).get("importance", "low")
    return wants(sub, event.type, importance, _regions(event), origin.name, _haystack(s, event, sub))


def feed_events(s: Session, wanted: FeedFilter) -> list[Event]:
    stmt = select(Event).where(Event.type.not_in(QUIET_EVENTS)).order_by(Event.detected_at.desc(), Event.id.desc())
    if wanted.types:
        stmt = stmt.where(Event.type.in_(wanted.types))
    found: list[Event] = []
    for event in s.scalars(stmt.limit(SCAN_EVENTS)):
        if matches(s, event, wanted):
            found.append(event)
            if len(found) == FEED_ENTRIES:
                break
    return found


def entry_id(event: Event) -> str:
    """Stable across a rebuilt database: the event's origin and page, its kind and its time."""
    origin = event.policy.url if event.policy else event.origin.name
    seed = f"{event.origin.name}\n{origin}\n{event.type}\n{event.detected_at.astimezone(UTC).isoformat()}"
    return "urn:policywatch:event:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def build_feed(events: Sequence[Event], title: str, self_url: str, site_url: str, base_url: str) -> FeedGenerator:
    """One feed; `site_url` is this web app's root (entries link to its policy pages), `base_url`
    what alerts link to (`[report] base_url`)."""
    site = site_url.rstrip("/")
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.subtitle("政策变化、废止、施行与到期提醒")
    fg.description("政策变化、废止、施行与到期提醒")
    fg.author({"name": "policywatch"})
    fg.link(href=self_url, rel="self")
    fg.link(href=site + "/", rel="alternate")
    fg.language("zh-CN")
    fg.updated(in_shanghai(events[0].detected_at) if events else datetime(2000, 1, 1, tzinfo=SHANGHAI))
    for event in events:
        add_entry(fg, event, site, base_url)
    return fg


def add_entry(fg: FeedGenerator, event: Event, site: str, base_url: str) -> None:
    composition = compose([event], base_url)
    item = composition.items[0]
    body = render_composition(composition, "text").body
    fe = fg.add_entry(order="append")
    fe.id(entry_id(event))
    fe.title(item.headline)
    # One link (feedgen 1.0 writes every entry link without its rel, so a second would read as a
    # second "alternate"); the alert's own link is in the content, as in the alert.
    fe.link(href=site + policy_path(event.policy) if event.policy else site + "/runs")
    fe.published(in_shanghai(event.detected_at))
    fe.updated(in_shanghai(event.detected_at))
    fe.category(term=event.type, label=EVENT_LABELS.get(event.type, event.type))
    fe.summary(item.headline)
    fe.content(body, type="text")
    fe.guid(entry_id(event), permalink=False)
    fe.author({"name": (event.policy.issuer if event.policy else "") or event.origin.region or event.origin.name})


def _subscriber(request: Request, name: str) -> Subscriber | None:
    if not name:
        return None
    for sub in state(request).settings.subscribers:
        if sub.name == name:
            return sub
    raise HTTPException(404, f"no subscriber named {name!r}")


def _types(values: Iterable[str]) -> tuple[str, ...]:
    types = tuple(v for v in values if v)
    unknown = sorted(set(types) - set(EVENT_LABELS))
    if unknown:
        raise HTTPException(422, f"unknown event type(s) {unknown}; known: {sorted(EVENT_LABELS)}")
    return types


@router.get("/feeds/events.{fmt}", summary="事件订阅源(Atom/RSS):可按地区、来源、事件类型或订阅者筛选")
def events_feed(
    request: Request,
    fmt: str,
    s: Annotated[Session, Depends(session)],
    region: str = "",
    source: str = "",
    subscriber: str = "",
) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, "feeds are events.atom or events.rss")
    wanted = FeedFilter(region, source, _types(request.query_params.getlist("type")), _subscriber(request, subscriber))
    events = feed_events(s, wanted)
    web = state(request)
    fg = build_feed(events, wanted.title(), str(request.url), str(request.base_url), web.settings.report_base_url)
    xml = fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
    return Response(xml, media_type=MEDIA[fmt])


@router.get("/feeds", response_class=HTMLResponse, summary="订阅源一览")
def feeds_page(request: Request, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    sources = list(s.scalars(select(Source).order_by(Source.name)))
    regions = sorted({src.region for src in sources if src.region})
    subs = [sub.name for sub in state(request).settings.subscribers]
    context = {
        "sources": sources,
        "regions": regions,
        "subscribers": subs,
        "types": EVENT_LABELS,
        "quiet": QUIET_EVENTS,
    }
    return page(request, "feeds.html", context)
