"""The application factory: one FastAPI app over one database, its routers and its page renderer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from monitor.config import Settings
from monitor.policystatus import today_in_shanghai
from monitor.store.db import Database
from monitor.web.render import make_env

SESSION_HOURS = 8


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebState:
    db: Database
    settings: Settings
    env: Environment
    clock: Callable[[], datetime] = _now
    extra: dict[str, Any] = field(default_factory=dict)  # config_file, sources_file (Paths) when given

    def today(self) -> date:
        return today_in_shanghai(self.clock())


def state(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


def session(request: Request) -> Iterator[Session]:
    """A FastAPI dependency: one database session per request (committed when the request succeeds)."""
    with state(request).db.session() as s:
        yield s


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A server-rendered page; every value from the database is autoescaped by the template."""
    from monitor.web.auth import csrf_token, is_admin

    web = state(request)
    common = {"request": request, "now": web.clock(), "csrf": csrf_token(request), "admin": is_admin(request)}
    html = web.env.get_template(template).render(**common, **context)
    return HTMLResponse(html, status_code=status_code)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Errors in words: JSON for the API and feeds, a page for people."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/api/", "/feeds/")) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return page(request, "error.html", {"status": exc.status_code, "detail": exc.detail}, exc.status_code)


def create_app(
    db: Database,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = _now,
    config_file: Path | None = None,
    sources_file: Path | None = None,
) -> FastAPI:
    from monitor.web import api, api_write, auth, feeds, policies, policy_page, runs, sources, subscribers

    app = FastAPI(
        title="policywatch",
        description="政策监测:政策检索、版本对比、事件订阅(Atom/RSS)与 JSON API。"
        "修改操作需要 `Authorization: Bearer <[web] admin_token>`。",
        version="1",
    )
    web = WebState(db, settings, make_env(), clock)
    if config_file is not None:
        web.extra["config_file"] = config_file
    if sources_file is not None:
        web.extra["sources_file"] = sources_file
    app.state.web = web
    token = auth.configured_token(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.session_secret(token, settings.web_session_secret),
        session_cookie="policywatch_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
    )
    app.add_exception_handler(HTTPException, _http_error)
    for module in (policies, policy_page, api, api_write, feeds, runs, sources, subscribers, auth):
        app.include_router(module.router)
    return app
