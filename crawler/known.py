"""What the store knows about a source's pages, for conditional and incremental fetching: loaded by
the spider itself when its crawl starts (crawler/spiders/policy.py), so `policywatch run` and a bare
`scrapy crawl policy` fetch alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from crawler.recheck import recheck
from monitor.config import SourceConfig
from monitor.store.db import Database
from monitor.store.models import Policy, PolicyAlias, Source, Version


@dataclass(frozen=True, slots=True)
class KnownPage:
    """A stored page's validators, its last list entry, and whether it is due for a re-check."""

    etag: str = ""
    last_modified: str = ""
    list_title: str = ""
    list_date: str = ""
    due: bool = True  # its re-check interval has elapsed
    list_fields: Mapping[str, str] = field(default_factory=dict)  # what its list entry said when last listed


def known_pages(db_url: str, source: SourceConfig, today: date) -> dict[str, KnownPage]:
    """Stored pages of the source (not confirmed removed) with their validators and what the
    re-check policy (crawler/recheck.py) says about them today."""
    latest = select(Version.policy_id, func.max(Version.seq).label("seq")).group_by(Version.policy_id).subquery()
    query = (
        select(
            Policy.url,
            Policy.status,
            Policy.full_fetch_on,
            Policy.list_title,
            Policy.list_date,
            Policy.list_fields,
            Version.etag,
            Version.last_modified,
        )
        .join(Source)
        .outerjoin(latest, latest.c.policy_id == Policy.id)
        .outerjoin(Version, (Version.policy_id == Policy.id) & (Version.seq == latest.c.seq))
        .where(Source.name == source.name, Policy.removed_at.is_(None))
        .order_by(Policy.id)
    )
    out: dict[str, KnownPage] = {}
    db = Database(db_url)
    try:
        with db.session() as session:
            # Columns, not Policy objects: a whole library of ORM rows at once was 110 MB at 10,000
            # pages, and the crawl process keeps that peak for the rest of its run.
            for row in session.execute(query.execution_options(yield_per=1000)):
                plan = recheck(
                    row.url,
                    row.status,
                    row.full_fetch_on,
                    today,
                    inactive_days=source.recheck_inactive_days,
                    full_refetch_days=source.full_refetch_days,
                )
                validators = ("", "") if plan.unconditional else (row.etag or "", row.last_modified or "")
                out[row.url] = KnownPage(
                    *validators, row.list_title, row.list_date, plan.due, dict(row.list_fields or {})
                )
            for url in session.scalars(select(PolicyAlias.url).join(Source).where(Source.name == source.name)):
                out.setdefault(url, KnownPage())
    finally:
        db.dispose()
    return out
