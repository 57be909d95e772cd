"""The static HTML report: index of runs, a page per run, a page per policy, a status overview.

Everything from a crawled page is autoescaped by jinja2; files are named by ids, links are relative,
no CDN and no JavaScript is needed to read it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.addresses import policy_page
from monitor.diff import DocumentDiff, diff_documents
from monitor.events import EVENT_LABELS
from monitor.ingest.stats import SourceStats, run_troubles
from monitor.normalise import document_from_json
from monitor.store.db import Database
from monitor.store.models import Event, Policy, RepealLink, Run, Version

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals["EVENT_LABELS"] = EVENT_LABELS


@dataclass(frozen=True, slots=True)
class VersionChange:
    old: Version
    new: Version
    diff: DocumentDiff


def _policy_context(session: Session, policy: Policy) -> dict[str, Any]:
    versions = list(session.scalars(select(Version).where(Version.policy_id == policy.id).order_by(Version.seq)))
    changes = [
        VersionChange(a, b, diff_documents(document_from_json(a.document), document_from_json(b.document)))
        for a, b in pairwise(versions)
    ]
    repeals = list(session.scalars(select(RepealLink).where(RepealLink.repealing_policy_id == policy.id)))
    events = list(session.scalars(select(Event).where(Event.policy_id == policy.id).order_by(Event.id)))
    return {
        "policy": policy,
        "versions": versions,
        "changes": list(reversed(changes)),
        "repeals": repeals,
        "events": events,
    }


def _status_rank(policy: Policy, today: date) -> tuple[int, str]:
    if policy.expires_date and policy.expires_date >= today and (policy.expires_date - today).days <= 90:
        return 0, policy.expires_date.isoformat()
    return 1, policy.title


def render_report(db: Database, out_dir: str | Path, *, today: date, since: date | None = None) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        runs = list(session.scalars(select(Run).order_by(Run.id.desc())))
        if since is not None:
            runs = [r for r in runs if r.started_at.date() >= since]
        run_events: dict[int, list[Event]] = defaultdict(list)
        for event in session.scalars(select(Event).order_by(Event.id)):
            if event.run_id is not None:
                run_events[event.run_id].append(event)
        summaries = [
            {
                "run": run,
                "counts": Counter(e.type for e in run_events[run.id]),
                "errors": sum(
                    st.failed + st.list_failures for st in map(SourceStats.from_dict, (run.stats or {}).values())
                ),
                "sources": len(run.stats or {}),
                "troubles": run_troubles(run.stats),
            }
            for run in runs
        ]
        _write(out / "index.html", "index.html", summaries=summaries)
        for run in runs:
            grouped: dict[str, list[Event]] = defaultdict(list)
            for event in run_events[run.id]:
                grouped[event.origin.region or event.origin.name].append(event)
            _write(out / f"run-{run.id}.html", "run.html", run=run, grouped=dict(sorted(grouped.items())))
        policies = list(session.scalars(select(Policy).order_by(Policy.id)))
        for policy in policies:
            _write(out / policy_page(policy.id), "policy.html", **_policy_context(session, policy))
        policies.sort(key=lambda p: _status_rank(p, today))
        _write(out / "status.html", "status.html", policies=policies, today=today)
    return out / "index.html"


def _write(path: Path, template: str, **context: Any) -> None:
    path.write_text(_ENV.get_template(template).render(**context), encoding="utf-8")
