"""The application factory: one FastAPI app over one database, its routers and its page renderer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.lifecycle import today_in_shanghai
from monitor.store.db import Database
from monitor.web.render import make_env


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebState:
    db: Database
    settings: Settings
    env: Environment
    clock: Callable[[], datetime] = _now
    extra: dict[str, Any] = field(default_factory=dict)

    def today(self) -> date:
        return today_in_shanghai(self.clock())


def state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def session(request: Request) -> Iterator[Session]:
    """A FastAPI dependency: one database session per request (committed when the request succeeds)."""
    with state(request).db.session() as s:
        yield s


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A server-rendered page; every value from the database is autoescaped by the template."""
    web = state(request)
    html = web.env.get_template(template).render(request=request, now=web.clock(), **context)
    return HTMLResponse(html, status_code=status_code)


def create_app(db: Database, settings: Settings, *, clock: Callable[[], datetime] = _now) -> FastAPI:
    from monitor.web import api, feeds, policies, policy_page

    app = FastAPI(
        title="policywatch",
        description="政策监测:政策检索、版本对比、事件订阅(Atom/RSS)与只读 JSON API。",
        version="1",
    )
    app.state.web = WebState(db, settings, make_env(), clock)
    app.include_router(policies.router)
    app.include_router(policy_page.router)
    app.include_router(api.router)
    app.include_router(feeds.router)
    return app
