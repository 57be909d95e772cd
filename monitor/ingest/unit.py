"""The unit of work per fetched page, for one source in one run: triage the fetch (monitor.ingest.triage),
read the page (monitor.derive), store it (monitor.ingest.versions) — each page in one transaction, so
a crash loses at most the page being stored and never half of one. Called by the Scrapy pipeline (in
the crawl's store process, crawler/writer.py), or directly in tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from monitor.contracts import ListPageItem, PageItem
from monitor.correct import Correction
from monitor.derive import ParsedPage
from monitor.ingest import closing, versions
from monitor.ingest.base import IngestBase, log
from monitor.ingest.reading import Reading, read_page
from monitor.ingest.stats import SourceStats
from monitor.ingest.triage import Fetch
from monitor.killpoint import kill_point
from monitor.store.models import Policy, Source, Version

NOT_MODIFIED_BATCH = 500


class Ingestor(IngestBase):
    """Stores one source's pages for one run."""

    def record_list(self, item: ListPageItem) -> None:
        self.stats.list_pages += 1
        if set(item.capped) - self.capped:
            self.capped.update(item.capped)
            self.stats.capped = len(self.capped)
            self.stats.errors.append(
                f"list {item.url}: max_list_pages={self.source.max_list_pages} reached, "
                f"{len(item.capped)} further list page(s) not crawled (e.g. {item.capped[0]})"
            )
        if item.error:
            self.stats.list_failures += 1
            self.stats.errors.append(f"list {item.url}: {item.error}")
            log.warning("[%s] list page failed: %s (%s)", self.source.name, item.url, item.error)
            return
        self.listed.update(link.url for link in item.links)
        self.stats.links = len(self.listed)
        with self._session() as session:
            by_url = {link.url: link for link in item.links}
            query = select(Policy).join(Source).where(Source.name == self.source.name, Policy.url.in_(list(by_url)))
            for policy in session.scalars(query):
                policy.gone_runs = 0  # listed again: not vanished
                link = by_url[policy.url]
                policy.list_title, policy.list_date = link.title, link.date
                if link.fields:
                    policy.list_fields = dict(link.fields)

    def ingest_page(self, item: PageItem, reading: Reading | None = None) -> str:
        """Returns what happened: new, changed, unchanged, held, mirrored, failed or gone. `reading`:
        the page read already (monitor.ingest.reading, in the crawl process), else it is read here."""
        self.stats.fetched += 1
        if reading is None:
            reading = read_page(item, self.source, self._list_fields(item))
        verdict = reading.verdict
        self.stats.read += verdict.read
        self.stats.empty += verdict.empty + reading.empty
        if verdict.fetch is Fetch.GONE:
            return self._gone(item, verdict.reason)
        if verdict.fetch is Fetch.NOT_MODIFIED:
            return self._not_modified(item)
        if verdict.fetch is Fetch.FAILED:
            return self._failed(item, verdict.reason)
        if reading.parsed is None:
            return self._failed(item, reading.failure)
        with self._session() as session:
            outcome = versions.store(self, session, item, reading.parsed)
            kill_point("ingest-uncommitted", session.flush)  # test seam (monitor/killpoint.py)
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        log.info("[%s] %s %s", self.source.name, outcome, item.url)
        return outcome

    def _list_fields(self, item: PageItem) -> Mapping[str, str]:
        """What the page's list entry said: this run's, else the one stored when it was last listed."""
        if item.listed is not None:
            return item.listed.fields
        if not item.text:
            return {}  # nothing to read: not worth a query
        with self._session() as session:
            known = self._policy(session, item.url)
            return dict(known.list_fields or {}) if known is not None else {}

    def correct(
        self, session: Session, policy: Policy, version: Version, again: ParsedPage, *, latest: bool
    ) -> Correction:
        """Overwrite a stored version with its re-derivation (`policywatch reprocess`)."""
        return versions.correct(self, session, policy, version, again, latest=latest)

    def finish(self, due: int = 0) -> SourceStats:
        self.flush_not_modified()
        return closing.finish(self, due)

    def _failed(self, item: PageItem, reason: str) -> str:
        self.stats.failed += 1
        self.stats.errors.append(f"{item.url}: {reason}")
        log.warning("[%s] fetch failed, nothing stored: %s (%s)", self.source.name, item.url, reason)
        with self._session() as session:
            policy = self._policy(session, item.url)
            if policy is not None:
                policy.last_fetch_status = item.status
                policy.last_fetch_error = reason
        return "failed"

    def _not_modified(self, item: PageItem) -> str:
        """304 to a conditional request: the page is as stored. Its row is updated with the next
        batch (NOT_MODIFIED_BATCH pages, or at the end of the source's crawl): a crash before that
        only makes the next run re-check these pages again."""
        self.stats.unchanged += 1
        self.not_modified.append((item.url, self.now()))
        if len(self.not_modified) >= NOT_MODIFIED_BATCH:
            self.flush_not_modified()
        return "unchanged"

    def flush_not_modified(self) -> None:
        """Write the pending 304s: seen and fetched now, not gone — one executemany UPDATE."""
        pending, self.not_modified = self.not_modified, []
        if not pending or self.dry_run:
            return
        table = cast(Table, Policy.__table__)
        stmt = (
            update(table)
            .where(table.c.source_id == bindparam("sid"), table.c.url == bindparam("page"))
            .values(
                last_seen=bindparam("at"),
                last_fetched_at=bindparam("at"),
                last_fetch_status=304,
                last_fetch_error="",
                gone_since=None,
                gone_runs=0,
            )
        )
        with self._session() as session:
            session.execute(stmt, [{"sid": self.source_id, "page": url, "at": at} for url, at in pending])

    def _gone(self, item: PageItem, reason: str = "") -> str:
        """404/410, or a 200 page saying the page does not exist: a removal only when finish()
        confirms it (off the complete lists, two runs in a row)."""
        self.stats.gone += 1
        self.gone.add(item.url)
        with self._session() as session:
            policy = self._policy(session, item.url)
            if policy is not None:
                policy.last_fetch_status = item.status
                policy.last_fetch_error = reason or f"HTTP {item.status}"
                policy.gone_since = policy.gone_since or item.fetched_at
        return "gone"
