"""Subscribers in the web app: list (secrets masked), add, edit, pause/resume and "send a test alert",
stored in the config file given to `serve --config` with the CLI's own validation (monitor.subscriber_edit)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from monitor.config import ALL_EVENT_TYPES, DELIVERY_MODES, EVENT_TYPES, IMPORTANCE, Subscriber, load_settings
from monitor.events import EVENT_LABELS
from monitor.secrets import mask_url
from monitor.subscriber_edit import (
    SubscriberEntry,
    SubscriberError,
    add_subscriber,
    prepare_urls,
    replace_subscriber,
    send_test_alert,
    set_paused,
)
from monitor.web.app import page, state
from monitor.web.auth import require_admin

router = APIRouter()
IMPORTANCE_LABELS = {"low": "全部", "medium": "中等及以上", "high": "仅重要"}
MODE_LABELS = {"immediate": "逐条发送", "digest": "每次运行汇总一封"}


def config_file_of(request: Request) -> Path:
    path: Path | None = state(request).extra.get("config_file")
    if path is None:
        raise HTTPException(409, "订阅者保存在配置文件中:请用 policywatch serve --config FILE 启动")
    return path


def reload_settings(request: Request) -> None:
    web = state(request)
    web.settings = load_settings(config_file_of(request))


def find_subscriber(request: Request, name: str) -> Subscriber:
    sub = next((s for s in state(request).settings.subscribers if s.name == name), None)
    if sub is None:
        raise HTTPException(404, f"没有名为「{name}」的订阅者")
    return sub


def _words(value: str) -> tuple[str, ...]:
    return tuple(w for w in (x.strip() for x in re.split(r"[\n,，、;；]+", value)) if w)


def _entry(form: FormData, paused: bool) -> SubscriberEntry:
    """The form as an entry, with the URLs as they will be stored; raises SubscriberError."""
    given = [u.strip() for u in str(form.get("urls", "")).splitlines() if u.strip()]
    urls = prepare_urls(given, form.get("allow_plaintext_secret") == "on")
    events = tuple(str(e) for e in form.getlist("events") if e in ALL_EVENT_TYPES)
    return SubscriberEntry(
        name=str(form.get("name", "")).strip(),
        urls=tuple(urls),
        events=events if set(events) != set(EVENT_TYPES) else (),
        regions=_words(str(form.get("regions", ""))),
        sources=_words(str(form.get("sources", ""))),
        keywords=_words(str(form.get("keywords", ""))),
        min_importance=str(form.get("min_importance", "low")),
        mode=str(form.get("mode", "immediate")),
        paused=paused,
    )


def _view(sub: Subscriber) -> dict[str, Any]:
    """What a page may show of a subscriber: its URLs masked, never their secrets."""
    return {
        "name": sub.name,
        "urls": [mask_url(u) for u in sub.urls],
        "events": [EVENT_LABELS.get(e, e) for e in sub.events]
        if set(sub.events) != set(EVENT_TYPES)
        else ["全部政策事件"],
        "event_codes": list(sub.events),
        "regions": list(sub.regions),
        "sources": list(sub.sources),
        "keywords": list(sub.keywords),
        "min_importance": sub.min_importance,
        "mode": sub.mode,
        "paused": sub.paused,
    }


def _form_context(request: Request, values: dict[str, Any], error: str = "", editing: str = "") -> dict[str, Any]:
    return {
        "values": values,
        "error": error,
        "editing": editing,
        "event_types": {t: EVENT_LABELS.get(t, t) for t in ALL_EVENT_TYPES},
        "importance": {k: IMPORTANCE_LABELS[k] for k in IMPORTANCE},
        "modes": {k: MODE_LABELS[k] for k in DELIVERY_MODES},
        "editable": "config_file" in state(request).extra,
    }


@router.get("/subscribers", response_class=HTMLResponse, summary="订阅者")
def subscribers_page(request: Request) -> HTMLResponse:
    subs = [_view(s) for s in state(request).settings.subscribers]
    context = {"subs": subs, "editable": "config_file" in state(request).extra, "outcomes": None}
    return page(request, "subscribers.html", {**context, "importance": IMPORTANCE_LABELS, "modes": MODE_LABELS})


@router.get("/subscribers/new", response_class=HTMLResponse, summary="新增订阅者(表单)")
def new_form(request: Request) -> HTMLResponse:
    values = {"name": "", "urls": [], "event_codes": list(EVENT_TYPES), "min_importance": "low", "mode": "immediate"}
    return page(request, "subscriber_form.html", _form_context(request, values))


@router.post("/subscribers", response_model=None, summary="新增订阅者")
async def create(request: Request) -> Response:
    form = await request.form()
    require_admin(request, str(form.get("csrf", "")))
    try:
        entry = _entry(form, paused=False)
        add_subscriber(config_file_of(request), entry)
    except SubscriberError as exc:
        return page(request, "subscriber_form.html", _form_context(request, _echo(form), str(exc)), 422)
    reload_settings(request)
    return RedirectResponse(f"/subscribers#sub-{entry.name}", status_code=303)


def _echo(form: FormData) -> dict[str, Any]:
    """The form's values back, for correcting a mistake; URLs masked (a refused secret is not echoed)."""
    return {
        "name": form.get("name", ""),
        "urls": [mask_url(u.strip()) for u in str(form.get("urls", "")).splitlines() if u.strip()],
        "event_codes": form.getlist("events"),
        "regions": _words(str(form.get("regions", ""))),
        "sources": _words(str(form.get("sources", ""))),
        "keywords": _words(str(form.get("keywords", ""))),
        "min_importance": form.get("min_importance", "low"),
        "mode": form.get("mode", "immediate"),
    }


@router.get("/subscribers/{name}/edit", response_class=HTMLResponse, summary="编辑订阅者(表单)")
def edit_form(request: Request, name: str) -> HTMLResponse:
    view = _view(find_subscriber(request, name))  # URLs masked: sent back unchanged, the stored ones are kept
    return page(request, "subscriber_form.html", _form_context(request, view, editing=name))


@router.post("/subscribers/{name}", response_model=None, summary="修改订阅者")
async def update(request: Request, name: str) -> Response:
    form = await request.form()
    require_admin(request, str(form.get("csrf", "")))
    current = find_subscriber(request, name)
    try:
        keep = str(form.get("urls", "")).strip() == "\n".join(mask_url(u) for u in current.urls).strip()
        if keep:  # the masked URLs came back unchanged: keep the stored ones
            form = _with_urls(form, current.urls)
        entry = _entry(form, paused=current.paused)
        replace_subscriber(config_file_of(request), name, entry)
    except SubscriberError as exc:
        return page(request, "subscriber_form.html", _form_context(request, _echo(form), str(exc), name), 422)
    reload_settings(request)
    return RedirectResponse(f"/subscribers#sub-{entry.name}", status_code=303)


def _with_urls(form: FormData, urls: tuple[str, ...]) -> FormData:
    items = [(k, v) for k, v in form.multi_items() if k not in ("urls", "allow_plaintext_secret")]
    return FormData([*items, ("urls", "\n".join(urls)), ("allow_plaintext_secret", "on")])


@router.post("/subscribers/{name}/pause", summary="暂停订阅者")
async def pause(request: Request, name: str) -> RedirectResponse:
    return await _set_paused(request, name, True)


@router.post("/subscribers/{name}/resume", summary="恢复订阅者")
async def resume(request: Request, name: str) -> RedirectResponse:
    return await _set_paused(request, name, False)


async def _set_paused(request: Request, name: str, paused: bool) -> RedirectResponse:
    form = await request.form()
    require_admin(request, str(form.get("csrf", "")))
    pause_subscriber(request, name, paused)
    return RedirectResponse(f"/subscribers#sub-{name}", status_code=303)


def pause_subscriber(request: Request, name: str, paused: bool) -> None:
    """Pause or resume subscriber `name` in the config file (404 unknown, 422 refused), then reload it."""
    find_subscriber(request, name)
    try:
        set_paused(config_file_of(request), name, paused)
    except SubscriberError as exc:
        raise HTTPException(422, str(exc)) from None
    reload_settings(request)


@router.post("/subscribers/{name}/test", response_class=HTMLResponse, summary="发送测试提醒")
async def test_alert(request: Request, name: str) -> HTMLResponse:
    form = await request.form()
    require_admin(request, str(form.get("csrf", "")))
    sub = find_subscriber(request, name)
    from starlette.concurrency import run_in_threadpool

    outcomes = await run_in_threadpool(send_test_alert, sub, state(request).settings)
    subs = [_view(s) for s in state(request).settings.subscribers]
    context = {"subs": subs, "editable": "config_file" in state(request).extra, "outcomes": (name, outcomes)}
    return page(request, "subscribers.html", {**context, "importance": IMPORTANCE_LABELS, "modes": MODE_LABELS})
