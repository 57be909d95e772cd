"""Runs: each run with its events grouped by region, and each failing source with its reason and the
addresses that failed."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.models import Event, Run
from monitor.web.app import page, session
from monitor.web.ident import policy_path

router = APIRouter()
RUNS_SHOWN = 200
_ERROR = re.compile(r"^(?:list )?(https?://\S+?):\s+(.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Problem:
    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceTrouble:
    name: str
    failing: list[str]  # why the source is blind (no list page, links dropped to zero …)
    problems: list[Problem]  # each failed address and its reason


def _problems(stats: dict[str, Any]) -> list[Problem]:
    out = []
    for line in stats.get("errors") or []:
        m = _ERROR.match(str(line))
        out.append(Problem(m.group(1), m.group(2)) if m else Problem("", str(line)))
    return out


def troubles(run: Run) -> list[SourceTrouble]:
    """The run's sources that failed or are failing, with reasons and addresses."""
    out = []
    for name, st in sorted((run.stats or {}).items()):
        failed = int(st.get("failed", 0)) + int(st.get("list_failures", 0))
        if failed or st.get("failing") or not st.get("list_pages"):
            out.append(SourceTrouble(name, list(st.get("failing") or []), _problems(st)))
    return out


@router.get("/runs", response_class=HTMLResponse, summary="运行记录")
def runs_page(request: Request, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    runs = list(s.scalars(select(Run).order_by(Run.id.desc()).limit(RUNS_SHOWN)))
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    if runs:
        rows = s.execute(
            select(Event.run_id, Event.type, func.count())
            .where(Event.run_id.in_([r.id for r in runs]))
            .group_by(Event.run_id, Event.type)
        )
        for run_id, type_, n in rows:
            if run_id is None:
                continue
            counts[run_id][type_] = n
    summaries = [{"run": r, "counts": counts[r.id], "troubles": troubles(r)} for r in runs]
    return page(request, "runs.html", {"summaries": summaries})


@router.get("/runs/{run_id}", response_class=HTMLResponse, summary="一次运行")
def run_page(request: Request, run_id: int, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    run = s.get(Run, run_id)
    if run is None:
        return page(request, "missing.html", {"what": f"运行 #{run_id}"}, 404)
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in s.scalars(select(Event).where(Event.run_id == run.id).order_by(Event.id)):
        grouped[event.origin.region or event.origin.name].append(event)
    context = {
        "run": run,
        "grouped": dict(sorted(grouped.items())),
        "troubles": troubles(run),
        "policy_path": policy_path,
    }
    return page(request, "run.html", context)


@router.get("/run-{run_id}.html", include_in_schema=False)
def report_run_address(run_id: int) -> RedirectResponse:
    """The static report's name of a run page (source alerts link to it): sent on to /runs/{id}."""
    return RedirectResponse(f"/runs/{run_id}", status_code=301)


@router.get("/index.html", include_in_schema=False)
def report_index() -> RedirectResponse:
    return RedirectResponse("/runs", status_code=301)


@router.get("/status.html", include_in_schema=False)
def report_status() -> RedirectResponse:
    return RedirectResponse("/", status_code=301)
