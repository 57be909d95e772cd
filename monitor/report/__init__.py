"""The static HTML report: index of runs, a page per run, a page per policy, a status overview.

Everything from a crawled page is autoescaped by jinja2; a policy's page is named by its identity
(monitor.addresses: the address the web app answers too and alerts link to), links are relative, no
CDN and no JavaScript is needed to read it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from multiprocessing import forkserver, get_all_start_methods, get_context
from multiprocessing.context import BaseContext, ForkServerContext
from pathlib import Path
from typing import Any, Protocol

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, defer, selectinload

from monitor.addresses import policy_page, run_page
from monitor.diff import DocumentDiff, diff_documents
from monitor.display import as_written
from monitor.events import EVENT_LABELS
from monitor.ingest.stats import SourceStats, run_troubles
from monitor.normalise import document_from_json
from monitor.store.db import Database
from monitor.store.models import Event, Policy, PolicyAlias, RepealLink, Run, Source, Version
from monitor.web.facts import status_how
from monitor.web.render import CHANGE_LABELS, RUN_STATUS_LABELS, TEMPLATES, clause_paragraphs, shanghai_time

# The report's own page layouts first, then the web app's (monitor/web/templates): the diff of two
# versions is one template for both, and both show times and codes the same way.
_ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader(Path(__file__).parent / "templates"), FileSystemLoader(TEMPLATES)]),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
_ENV.globals.update(
    EVENT_LABELS=EVENT_LABELS, CHANGE_LABELS=CHANGE_LABELS, RUN_STATUS_LABELS=RUN_STATUS_LABELS, status_how=status_how
)
_ENV.filters.update(sh=shanghai_time, zh=as_written, clauses=clause_paragraphs)
_ENV.globals["page_of"] = lambda policy: policy_page(policy.source.name, policy.url)


@dataclass(frozen=True, slots=True)
class VersionChange:
    old: Version
    new: Version
    diff: DocumentDiff


# A policy page shows each version's number, time, hash and document: the raw page, its facts and
# inputs (compressed, ~a third of the decoding) are not loaded.
_VERSIONS_SHOWN = select(Version).options(
    defer(Version.raw_html_z), defer(Version.lifecycle), defer(Version.fields), defer(Version.inputs)
)
CONTEXT_CHUNK = 500  # policy pages whose rows are loaded together: 3 queries per chunk, not per page
# The status page lists every policy and every run checks which policy pages to write: both read
# these columns as plain rows. Loading the library as ORM objects for them made each run's memory
# grow with the library (~10 KB a policy) and cost ~1 s per 10,000 policies.
_LISTED = select(
    Policy.id,
    Policy.url,
    Policy.title,
    Policy.doc_number,
    Policy.status,
    Policy.status_source,
    Policy.effective_date,
    Policy.expires_date,
    Source.name.label("source_name"),
    Source.region,
).join(Source, Policy.source_id == Source.id)
_WITH_MIRRORS = select(Policy).options(selectinload(Policy.aliases)).order_by(Policy.id)
# A first crawl's report writes a page for every policy (~0.5 ms each, on one core while the other
# idles): from this many pages a helper process writes half of them. It is forked from a server that
# has the report's modules loaded (warm_helpers, while the crawl runs): it starts in milliseconds,
# where a fresh process spent half a second importing them.
SPLIT_FROM = 500
HELPER_SHARE = 0.5


def _helper_context() -> BaseContext:
    return get_context("forkserver" if "forkserver" in get_all_start_methods() else "spawn")


def warm_helpers() -> None:
    """Start the report helpers' fork server now, with this module loaded: called while the crawl
    runs, so that the report's helper is ready the moment the crawl ends."""
    context = _helper_context()
    if isinstance(context, ForkServerContext):
        context.set_forkserver_preload([__name__])
        forkserver.ensure_running()


def _policy_contexts(session: Session, policies: list[Policy]) -> Iterator[dict[str, Any]]:
    """What each policy's page shows: its versions and the changes between them, its repeal links, its events."""
    for start in range(0, len(policies), CONTEXT_CHUNK):
        chunk = policies[start : start + CONTEXT_CHUNK]
        ids = [policy.id for policy in chunk]
        versions = _by_policy(session, _VERSIONS_SHOWN, Version.policy_id, ids, Version.seq)
        repeals = _by_policy(session, select(RepealLink), RepealLink.repealing_policy_id, ids, RepealLink.id)
        events = _by_policy(session, select(Event), Event.policy_id, ids, Event.id)
        for policy in chunk:
            mine = versions[policy.id]
            changes = [
                VersionChange(a, b, diff_documents(document_from_json(a.document), document_from_json(b.document)))
                for a, b in pairwise(mine)
            ]
            yield {
                "policy": policy,
                "versions": mine,
                "changes": list(reversed(changes)),
                "repeals": repeals[policy.id],
                "events": events[policy.id],
            }


def _by_policy(session: Session, query: Any, column: Any, ids: list[int], order: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in session.scalars(query.where(column.in_(ids)).order_by(order)):
        grouped[getattr(row, column.key)].append(row)
    return grouped


class _Dated(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def expires_date(self) -> date | None: ...


def _status_rank(policy: _Dated, today: date) -> tuple[int, str]:
    if policy.expires_date and policy.expires_date >= today and (policy.expires_date - today).days <= 90:
        return 0, policy.expires_date.isoformat()
    return 1, policy.title


def render_report(
    db: Database, out_dir: str | Path, *, today: date, since: date | None = None, run_id: int | None = None
) -> Path:
    """Write the report. With `run_id` (a run just finished) only what that run can have changed is
    re-rendered — the index, the status page, the run's page and the pages of the policies it touched
    (plus any page missing from the directory) — so a run costs what changed, not the whole library."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages_dir = _ReportDir(out)
    incremental = run_id is not None
    with db.session() as session:
        runs = list(session.scalars(select(Run).order_by(Run.id.desc())))
        if since is not None:
            runs = [r for r in runs if r.started_at.date() >= since]
        run_events: dict[int, list[Event]] = defaultdict(list)
        for event in session.scalars(select(Event).where(Event.run_id.is_not(None)).order_by(Event.id)):
            run_events[event.run_id].append(event)  # type: ignore[index]
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
        pages_dir.write("index.html", "index.html", summaries=summaries)
        for run in runs:
            if not incremental or run.id == run_id or not (out / run_page(run.id)).is_file():
                grouped: dict[str, list[Event]] = defaultdict(list)
                for event in run_events[run.id]:
                    grouped[event.origin.region or event.origin.name].append(event)
                pages_dir.write(run_page(run.id), "run.html", run=run, grouped=dict(sorted(grouped.items())))
        listed = list(session.execute(_LISTED.order_by(Policy.id)))
        pages = {row.id: policy_page(row.source_name, row.url) for row in listed}
        touched = None if run_id is None else touched_by_run(session, run_id)
        stale = [
            row.id for row in listed if touched is None or row.id in touched or not (out / pages[row.id]).is_file()
        ]
        theirs = stale[len(stale) - int(len(stale) * HELPER_SHARE) :] if len(stale) >= SPLIT_FROM else []
        with ProcessPoolExecutor(1, mp_context=_helper_context()) if theirs else nullcontext() as helper:
            their_pages = {i: pages[i] for i in theirs}
            helped = helper.submit(render_policy_pages, db.url, out, theirs, their_pages) if helper else None
            _render_policies(session, pages_dir, stale[: len(stale) - len(theirs)], pages)
            listed.sort(key=lambda p: _status_rank(p, today))
            pages_dir.write("status.html", "status.html", policies=listed, pages=pages, today=today)
            if helped is not None:
                helped.result()  # its failure is the report's
    return out / "index.html"


def render_policy_pages(db_url: str, out: Path, ids: list[int], pages: dict[int, str]) -> None:
    """The pages of policies `ids`, by a helper process of render_report."""
    db = Database(db_url)
    try:
        with db.session() as session:
            _render_policies(session, _ReportDir(out), ids, pages)
    finally:
        db.dispose()


def _render_policies(session: Session, out: _ReportDir, ids: list[int], pages: dict[int, str]) -> None:
    # Loaded a chunk at a time, with their mirrors (every page lists them): a first crawl's report
    # holds one chunk of the library in memory, not all of it.
    for start in range(0, len(ids), CONTEXT_CHUNK):
        chunk = list(session.scalars(_WITH_MIRRORS.where(Policy.id.in_(ids[start : start + CONTEXT_CHUNK]))))
        for context in _policy_contexts(session, chunk):
            out.write(pages[context["policy"].id], "policy.html", **context)
        session.expunge_all()


def touched_by_run(session: Session, run_id: int) -> set[int]:
    """Policies whose page a run can have changed: a version or an event of the run, a mirror found
    during it, and the policies whose repeal links point at one of those."""
    run = session.get(Run, run_id)
    direct = union(
        select(Version.policy_id).where(Version.run_id == run_id),
        select(Event.policy_id).where(Event.run_id == run_id, Event.policy_id.is_not(None)),
        select(PolicyAlias.policy_id).where(PolicyAlias.first_seen >= (run.started_at if run else func.now())),
    ).subquery()
    linked = select(RepealLink.repealing_policy_id).where(RepealLink.target_policy_id.in_(select(direct.c[0])))
    return set(session.scalars(select(direct.c[0]))) | set(session.scalars(linked))


class _ReportDir:
    """The report's directory: pages written as UTF-8, each directory made once (a first crawl's
    report writes ten thousand pages into a few directories)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: set[Path] = set()

    def write(self, page: str, template: str, **context: Any) -> None:
        """One page (`page` relative to the report's directory); `root` leads its links back to the top."""
        path = self.root / page
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        html = _ENV.get_template(template).render(root="../" * page.count("/"), **context)
        path.write_bytes(html.encode("utf-8"))
