"""Sources: health (last good run, failing since and why, pages known, paused), and the operator's
actions — pause/resume a source (runs skip it), and `sources check` (what a run would do on it today)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import ConfigError, SourceConfig, load_sources
from monitor.store.models import Policy, Run, Source
from monitor.web.app import page, session, state
from monitor.web.auth import require_admin

router = APIRouter()
HEALTH_RUNS = 60  # the recent runs looked at for each source's last good one


@dataclass(frozen=True, slots=True)
class Health:
    source: Source
    config: SourceConfig | None  # None: in the database only (no longer in the sources file)
    pages: int
    last_ok: Run | None


def configured_sources(request: Request) -> dict[str, SourceConfig]:
    """The sources file given to `serve --sources` (or the default one); {} when it cannot be read."""
    path: Path | None = state(request).extra.get("sources_file")
    if path is None:
        return {}
    try:
        return {s.name: s for s in load_sources(path)}
    except ConfigError:
        return {}


def _ok(stats: dict[str, object] | None) -> bool:
    return bool(stats) and not stats.get("failed") and not stats.get("list_failures") and not stats.get("failing")  # type: ignore[union-attr]


def health(s: Session, configs: dict[str, SourceConfig]) -> list[Health]:
    pages = dict(s.execute(select(Policy.source_id, func.count()).group_by(Policy.source_id)).all())
    runs = list(s.scalars(select(Run).where(Run.status != "dry-run").order_by(Run.id.desc()).limit(HEALTH_RUNS)))
    out = []
    for source in s.scalars(select(Source).order_by(Source.name)):
        last_ok = next((r for r in runs if _ok((r.stats or {}).get(source.name))), None)
        out.append(Health(source, configs.get(source.name), pages.get(source.id, 0), last_ok))
    return out


@router.get("/sources", response_class=HTMLResponse, summary="信息源健康状况")
def sources_page(request: Request, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    return page(request, "sources.html", {"rows": health(s, configured_sources(request))})


def _source(s: Session, name: str) -> Source:
    source = s.scalar(select(Source).where(Source.name == name))
    if source is None:
        raise HTTPException(404, f"没有名为「{name}」的信息源")
    return source


@router.post("/sources/{name}/pause", summary="暂停信息源(运行时跳过)")
def pause_source(
    request: Request,
    name: str,
    s: Annotated[Session, Depends(session)],
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> RedirectResponse:
    require_admin(request, csrf)
    source = _source(s, name)
    source.paused_at = source.paused_at or state(request).clock()
    source.paused_note = note.strip()[:500]
    return RedirectResponse(f"/sources#source-{name}", status_code=303)


@router.post("/sources/{name}/resume", summary="恢复信息源")
def resume_source(
    request: Request, name: str, s: Annotated[Session, Depends(session)], csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    require_admin(request, csrf)
    source = _source(s, name)
    source.paused_at, source.paused_note = None, ""
    return RedirectResponse(f"/sources#source-{name}", status_code=303)


@router.post("/sources/{name}/check", response_class=HTMLResponse, summary="检查信息源(sources check)")
def check_source_now(request: Request, name: str, csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    """What a run would do on the source today; fetches its pages now, stores nothing."""
    require_admin(request, csrf)
    config = configured_sources(request).get(name)
    if config is None:
        raise HTTPException(404, f"信息源「{name}」不在来源配置文件中(serve --sources)")
    from monitor.sourcecheck import check_source

    started = datetime.now(UTC)
    report = check_source(config, details=3)
    return page(request, "source_check.html", {"config": config, "report": report, "started": started})
