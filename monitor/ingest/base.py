"""The state one source's unit of work shares between its parts: the database, the run, the clock,
and the few reads and writes every part needs (the source's row, a policy by URL, an event)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from monitor.config import Settings, SourceConfig
from monitor.events import record_event
from monitor.ingest.batch import Batch
from monitor.ingest.stats import SourceStats
from monitor.lifecycle import Lifecycle
from monitor.normalise import Document
from monitor.rules import EventSpec
from monitor.status import refresh_status
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Source, Version

log = logging.getLogger("policywatch.ingest")

_policies = cast(Table, Policy.__table__).c
# Every fetched page looks its policy up: a statement built once and read as an id (an ORM query
# built per call cost ~0.7 ms a page, more than the lookup), the policy loaded only when there is one.
AT_ADDRESS = (_policies.source_id == bindparam("source"), _policies.url == bindparam("url"))  # :source's policy at :url
_POLICY_AT = select(_policies.id).where(*AT_ADDRESS)


class IngestBase:
    def __init__(
        self,
        db: Database,
        *,
        run_id: int | None,
        source: SourceConfig,
        settings: Settings,
        today: date,
        clock: Callable[[], datetime] | None = None,
        dry_run: bool = False,
        batch: Batch | None = None,
    ) -> None:
        """`batch`: the transaction this unit's pages share with others (the store process's); by
        default each page is committed on its own."""
        self.db = db
        self.batch = batch or Batch(db, dry_run=dry_run)
        self.dry_run = dry_run
        self.run_id = run_id
        self.source = source
        self.settings = settings
        self.today = today
        self._clock = clock
        self.stats = SourceStats()
        self.listed: set[str] = set()
        self.gone: set[str] = set()
        self.capped: set[str] = set()  # list pages not followed because of max_list_pages
        self.source_id: int | None = None
        self._held_source: Source | None = None
        with self._session() as session:
            row = self._source_row(session)
            self.baselining = row.baselined_at is None
            self.source_id = row.id
        # Pages answered 304 (url, when), written together by flush_not_modified(): a re-check of an
        # unchanged library costs one UPDATE per batch, not a transaction and an ORM load per page.
        self.not_modified: list[tuple[str, datetime]] = []

    def _session(self) -> AbstractContextManager[Session]:
        """Policy data: one page's unit of work, kept with its batch (rolled back in a dry run)."""
        return self.batch.unit()

    def now(self) -> datetime:
        return self._clock() if self._clock else datetime.now(UTC)

    def _source_row(self, session: Session) -> Source:
        # By primary key once __init__ has found the row (a row lost to a dry run's rollback is made again).
        row = (
            session.get(Source, self.source_id)
            if self.source_id
            else session.scalar(select(Source).where(Source.name == self.source.name))
        )
        if row is None:
            row = Source(name=self.source.name, region=self.source.region)
            session.add(row)
            session.flush()
        if row.region != self.source.region:  # an unchanged assignment would still cost every page a flush
            row.region = self.source.region
        # Held: the session's identity map keeps only what something refers to, and a page's new
        # policy refers to its source by id, so the row would be read again for every page.
        self._held_source = row
        return row

    def _policy(self, session: Session, url: str) -> Policy | None:
        found = session.scalar(_POLICY_AT, {"source": self.source_id, "url": url})
        return None if found is None else session.get_one(Policy, found)

    def _nth(self, session: Session, policy: Policy, type_: str) -> int:
        """1 + how many `type_` events the policy already has: a page removed, restored and removed
        again gets a second removal (its own de-duplication key), never a lost one."""
        query = select(func.count()).select_from(Event).where(Event.policy_id == policy.id, Event.type == type_)
        return int(session.scalar(query) or 0) + 1

    def _quiet(self, policy: Policy) -> bool:
        """Baseline pages of a source's first crawl are recorded, not announced."""
        return policy.baseline and policy.first_run_id == self.run_id

    @staticmethod
    def _apply_lifecycle(policy: Policy, doc: Document, lc: Lifecycle) -> None:
        policy.title = doc.title
        policy.doc_number = lc.doc_number
        policy.issuer = "、".join(lc.issuers)
        policy.published = lc.published
        policy.effective_date, policy.effective_rule = lc.effective.date, lc.effective.rule
        policy.expires_date, policy.expires_rule = lc.expires.date, lc.expires.rule

    def _refresh(self, session: Session, policy: Policy, lc: Lifecycle, *, quiet: bool) -> None:
        refresh_status(
            session,
            policy,
            today=self.today,
            now=self.now(),
            run_id=self.run_id,
            subscribers=self.settings.subscribers,
            soon_days=self.settings.expiring_soon_days,
            quiet=quiet,
            lifecycle=lc,
        )

    def _event(self, session: Session, policy: Policy, spec: EventSpec, version: Version | None = None) -> None:
        event = record_event(
            session,
            spec,
            policy=policy,
            run_id=self.run_id,
            now=self.now(),
            subscribers=self.settings.subscribers,
            version_id=version.id if version else None,
        )
        if event is not None and self.dry_run:
            self.stats.would.append({"type": spec.type.value, "title": policy.title, "summary": event.summary})
