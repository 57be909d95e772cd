"""Source health: is a source *failing* (blind) this run, and the transitions that alert operators.

A site redesign must never make the monitor silently blind. The rules (`failing_reasons`) are pure:
they read what one run saw of one source and say, in words, why it cannot be trusted. The edge
(`apply_health`) keeps the source's state and records one `source_failing` event when it starts
failing and one `source_recovered` event when it works again — never a duplicate while it stays
failing. While a source is failing, none of its policies is reported removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor import rules
from monitor.config import Subscriber
from monitor.events import record_source_event
from monitor.store.models import Source

NO_LINKS = "列表页未发现任何政策链接 — 网站可能改版"
# Judged by monitor/removal.py when the gone pages are counted: not removals, a blind source.
MASS_VANISHED = "超过半数政策页面同时消失(404且不在列表页中) — 网站可能改版或故障,均未判为撤下"


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """What one run saw of one source."""

    list_pages_ok: int  # list pages (or API pages) fetched without error
    links: int  # distinct detail links those lists gave
    fetched: int  # detail pages requested, whatever the outcome (200, 304, 404, failure)
    read: int  # detail pages answered 200 and read
    empty: int  # of those, with an empty body or no title
    due: int  # stored pages due for a re-check this run
    good_links: int = 0  # distinct detail links on the source's last good run (0: none yet)
    lists_complete: bool = True  # no list page failed


def failing_reasons(f: HealthFacts) -> list[str]:
    """Why the source is blind this run, in words for operators; empty when it is healthy."""
    reasons: list[str] = []
    if f.list_pages_ok and not f.links:
        reasons.append(NO_LINKS)
    elif f.list_pages_ok and f.lists_complete and f.good_links >= 2 and f.links * 2 < f.good_links:
        reasons.append(f"列表页只发现{f.links}个政策链接,不到上次正常运行({f.good_links}个)的一半 — 网站可能改版")
    if not f.fetched and f.due:
        reasons.append(f"本次未抓取到任何政策页面,但有{f.due}条已收录政策到期待复查 — 抓取可能被拦截或中断")
    if f.read and f.empty * 2 > f.read:
        reasons.append(f"超过半数政策页面正文为空或无标题({f.empty}/{f.read}) — 页面模板可能改版")
    return reasons


def apply_health(
    session: Session,
    source: Source,
    reasons: Sequence[str],
    links: int,
    *,
    run_id: int,
    now: datetime,
    subscribers: Sequence[Subscriber],
    lists_complete: bool,
) -> str:
    """Record the run's verdict on the source; returns "failing", "recovered" or "ok"."""
    if reasons:
        if source.failing_since is None:
            source.failing_since, source.failing_run_id = now, run_id
            spec = rules.source_failing(source.id, run_id, reasons, links, source.good_links)
            record_source_event(session, spec, source=source, run_id=run_id, now=now, subscribers=subscribers)
        source.failing_reason = "；".join(reasons)
        return "failing"
    verdict = "ok"
    if source.failing_since is not None:
        since = source.failing_since
        spec = rules.source_recovered(source.id, source.failing_run_id, since.isoformat(), source.failing_reason, links)
        record_source_event(session, spec, source=source, run_id=run_id, now=now, subscribers=subscribers)
        source.failing_since, source.failing_reason, source.failing_run_id = None, "", None
        verdict = "recovered"
    if lists_complete and links:
        source.good_links = links
    return verdict
