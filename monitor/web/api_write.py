"""The API's write endpoints — what the pages can change, for scripts: pause/resume a source; add,
edit, pause/resume a subscriber and send it a test alert. They need `Authorization: Bearer <[web] admin_token>`
(or an admin session with its CSRF token in the `X-CSRF-Token` header)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from monitor.config import ALL_EVENT_TYPES
from monitor.localtime import iso_time
from monitor.secrets import mask_url
from monitor.store.models import Source
from monitor.subscriber_edit import (
    SubscriberEntry,
    SubscriberError,
    add_subscriber,
    prepare_urls,
    renamed,
    replace_subscriber,
    send_test_alert,
)
from monitor.web.app import session, state
from monitor.web.auth import require_admin
from monitor.web.subscribers import config_file_of, find_subscriber, pause_subscriber, reload_settings

router = APIRouter(prefix="/api", tags=["API (changes)"])


class SourceState(BaseModel):
    name: str
    paused_at: str | None  # ISO 8601 with offset; null when running
    paused_note: str


class SubscriberState(BaseModel):
    name: str
    paused: bool


class SubscriberIn(BaseModel):
    """A subscriber as the config file keeps it (validated as `policywatch subscribers add` does)."""

    name: str
    urls: list[str] | None = None  # apprise URLs, secrets as ${VAR}; omitted when editing: kept as stored
    events: list[str] = []  # empty: every policy event
    regions: list[str] = []
    sources: list[str] = []
    keywords: list[str] = []
    min_importance: str = "low"
    mode: str = "immediate"
    allow_plaintext_secret: bool = False


class SubscriberOut(BaseModel):
    name: str
    urls: list[str]  # masked
    events: list[str]
    regions: list[str]
    sources: list[str]
    keywords: list[str]
    min_importance: str
    mode: str
    paused: bool
    notes: list[str]  # "X is stored as Y" (a robot address stored as its apprise URL)


class TestResult(BaseModel):
    url: str  # masked
    delivered: bool
    error: str


def _admin(request: Request) -> None:
    require_admin(request, request.headers.get("x-csrf-token", ""))


def _source(s: Session, name: str) -> Source:
    source = s.scalar(select(Source).where(Source.name == name))
    if source is None:
        raise HTTPException(404, f"no source named {name!r}")
    return source


@router.post("/sources/{name}/pause", response_model=SourceState, summary="暂停信息源(运行时跳过)")
def api_pause_source(
    request: Request, name: str, s: Annotated[Session, Depends(session)], note: Annotated[str, Body(embed=True)] = ""
) -> SourceState:
    _admin(request)
    source = _source(s, name)
    source.paused_at = source.paused_at or state(request).clock()
    source.paused_note = note.strip()[:500]
    return SourceState(name=name, paused_at=iso_time(source.paused_at), paused_note=source.paused_note)


@router.post("/sources/{name}/resume", response_model=SourceState, summary="恢复信息源")
def api_resume_source(request: Request, name: str, s: Annotated[Session, Depends(session)]) -> SourceState:
    _admin(request)
    source = _source(s, name)
    source.paused_at, source.paused_note = None, ""
    return SourceState(name=name, paused_at=None, paused_note="")


def _entry(body: SubscriberIn, urls: list[str], paused: bool) -> SubscriberEntry:
    unknown = sorted(set(body.events) - set(ALL_EVENT_TYPES))
    if unknown:
        raise SubscriberError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(ALL_EVENT_TYPES)}")
    stored = prepare_urls(urls, body.allow_plaintext_secret)
    return SubscriberEntry(
        name=body.name.strip(),
        urls=tuple(stored),
        events=_words(body.events),
        regions=_words(body.regions),
        sources=_words(body.sources),
        keywords=_words(body.keywords),
        min_importance=body.min_importance,
        mode=body.mode,
        paused=paused,
        notes=renamed(urls, stored),
    )


def _words(values: list[str]) -> tuple[str, ...]:
    return tuple(w.strip() for w in values if w.strip())


def _out(entry: SubscriberEntry) -> SubscriberOut:
    return SubscriberOut(
        name=entry.name,
        urls=[mask_url(u) for u in entry.urls],
        events=list(entry.events),
        regions=list(entry.regions),
        sources=list(entry.sources),
        keywords=list(entry.keywords),
        min_importance=entry.min_importance,
        mode=entry.mode,
        paused=entry.paused,
        notes=entry.notes,
    )


@router.post("/subscribers", response_model=SubscriberOut, status_code=201, summary="添加订阅者")
def api_add_subscriber(request: Request, body: SubscriberIn) -> SubscriberOut:
    _admin(request)
    try:
        entry = _entry(body, body.urls or [], paused=False)
        add_subscriber(config_file_of(request), entry)
    except SubscriberError as exc:
        raise HTTPException(422, str(exc)) from None
    reload_settings(request)
    return _out(entry)


@router.put("/subscribers/{name}", response_model=SubscriberOut, summary="修改订阅者")
def api_edit_subscriber(request: Request, name: str, body: SubscriberIn) -> SubscriberOut:
    _admin(request)
    current = find_subscriber(request, name)
    try:
        # URLs left out are kept as stored (they were validated then, secrets included).
        entry = (
            _entry(body, body.urls, current.paused)
            if body.urls is not None
            else _entry(body.model_copy(update={"allow_plaintext_secret": True}), list(current.urls), current.paused)
        )
        replace_subscriber(config_file_of(request), name, entry)
    except SubscriberError as exc:
        raise HTTPException(422, str(exc)) from None
    reload_settings(request)
    return _out(entry)


def _set(request: Request, name: str, paused: bool) -> SubscriberState:
    _admin(request)
    pause_subscriber(request, name, paused)
    return SubscriberState(name=name, paused=paused)


@router.post("/subscribers/{name}/pause", response_model=SubscriberState, summary="暂停订阅者")
def api_pause_subscriber(request: Request, name: str) -> SubscriberState:
    return _set(request, name, True)


@router.post("/subscribers/{name}/resume", response_model=SubscriberState, summary="恢复订阅者")
def api_resume_subscriber(request: Request, name: str) -> SubscriberState:
    return _set(request, name, False)


@router.post("/subscribers/{name}/test", response_model=list[TestResult], summary="发送测试提醒")
async def api_test_subscriber(request: Request, name: str) -> list[TestResult]:
    _admin(request)
    outcomes = await run_in_threadpool(send_test_alert, find_subscriber(request, name), state(request).settings)
    return [TestResult(url=o.url, delivered=not o.error, error=o.error) for o in outcomes]
