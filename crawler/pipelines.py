"""Item pipeline: hands every item to monitor.ingest, one Ingestor per spider (source)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.writer import WriterThread
from monitor.config import Settings
from monitor.contracts import ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.lifecycle import today_in_shanghai
from monitor.lock import RunLock
from monitor.store.db import Database, resolve_database_url
from monitor.store.models import Run


class IngestPipeline:
    def __init__(
        self, crawler: Crawler, db_url: str, run_id: int, settings: Settings, today: date, dry_run: bool = False
    ) -> None:
        self.crawler = crawler
        self.dry_run = dry_run
        self.db_url = db_url
        self.run_id = run_id
        self.settings = settings
        self.today = today
        self.db: Database | None = None
        self.ingestor: Ingestor | None = None
        self.writer = WriterThread.acquire()
        self.lock: RunLock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        # `policywatch run` sets these; a bare `scrapy crawl policy` falls back to the defaults
        # ($POLICYWATCH_DATABASE_URL or ./policywatch.db, a run row of its own, today in Shanghai).
        s = crawler.settings
        today = s.get("POLICYWATCH_TODAY")
        return cls(
            crawler,
            s.get("POLICYWATCH_DB_URL") or resolve_database_url(),
            s.getint("POLICYWATCH_RUN_ID"),
            s.get("POLICYWATCH_SETTINGS") or Settings(),
            date.fromisoformat(today) if today else today_in_shanghai(),
            s.getbool("POLICYWATCH_DRY_RUN"),
        )

    def open_spider(self) -> None:
        self.db = Database(self.db_url)
        if not self.run_id:
            # A bare `scrapy crawl` is a run of its own: it takes the run lock like `policywatch run`.
            self.db.upgrade()
            self.lock = RunLock(self.db)
            self.lock.acquire()
            with self.db.session() as session:
                run = Run(started_at=datetime.now(UTC), status="running", stats={})
                session.add(run)
                session.flush()
                self.run_id = run.id
        spider = self.crawler.spider
        self.ingestor = Ingestor(
            self.db,
            run_id=self.run_id,
            source=spider.source,  # type: ignore[union-attr]
            settings=self.settings,
            today=self.today,
            dry_run=self.dry_run,
        )

    async def process_item(self, item: Any) -> Any:
        # Extraction and the unit of work run on the writer thread, one item at a time in arrival
        # order, so a slow database or a large PDF never stalls the downloads on the reactor thread.
        return await maybe_deferred_to_future(self.writer.submit(self._ingest, item))

    def _ingest(self, item: Any) -> Any:
        assert self.ingestor is not None
        if isinstance(item, ListPageItem):
            self.ingestor.record_list(item)
        elif isinstance(item, PageItem):
            self.ingestor.ingest_page(item)
        return item

    async def close_spider(self) -> None:
        # A spider closed by a shutdown or an error has an incomplete list crawl: no removals.
        complete = self.crawler.stats.get_value("finish_reason") in (None, "finished")
        await maybe_deferred_to_future(self.writer.submit(self._finish, complete).addBoth(self.writer.release))

    def _finish(self, complete: bool) -> None:
        assert self.ingestor is not None and self.db is not None
        frontier = getattr(self.crawler.spider, "frontier", None)
        if frontier is not None and not frontier.spider.seeder:
            frontier.hand_in(ingestor_part(self.ingestor, complete, frontier.me))  # the coordinator finishes the source
            self.db.dispose()
            return
        if frontier is not None:
            self.ingestor.stats.workers = {frontier.me: self.ingestor.stats.fetched}
            for part in frontier.collect():
                complete = merge_part(self.ingestor, part) and complete
        if complete:
            known = getattr(self.crawler.spider, "known", {})
            self.ingestor.finish(due=sum(1 for page in known.values() if page.due))
        if self.lock is not None:
            with self.db.session() as session:
                run = session.get(Run, self.run_id)
                if run is not None:
                    failing = self.ingestor.stats.errors or self.ingestor.stats.failing
                    run.status = "partial" if failing else "ok"
                    run.finished_at = datetime.now(UTC)
            self.lock.release()
        self.db.dispose()


def ingestor_part(ingestor: Ingestor, complete: bool, worker: str) -> dict[str, Any]:
    """A worker's share of a source's bookkeeping in a distributed run (crawler/distributed.py)."""
    return {
        "worker": worker,
        "stats": ingestor.stats.as_dict(),
        "listed": sorted(ingestor.listed),
        "gone": sorted(ingestor.gone),
        "capped": sorted(ingestor.capped),
        "complete": complete,
    }


def merge_part(ingestor: Ingestor, part: dict[str, Any]) -> bool:
    """Adds a worker's share to the coordinator's ingestor; False when that worker stopped early
    (its crawl is incomplete, so no removals this run)."""
    stats = ingestor.stats
    stats.workers[part["worker"]] = part["stats"]["fetched"]
    for name, value in part["stats"].items():
        if name == "workers":
            continue
        if isinstance(value, list):
            getattr(stats, name).extend(value)
        elif isinstance(value, int) and name not in ("links", "capped"):
            setattr(stats, name, getattr(stats, name) + value)
    ingestor.listed.update(part["listed"])
    ingestor.gone.update(part["gone"])
    ingestor.capped.update(part["capped"])
    stats.links, stats.capped = len(ingestor.listed), len(ingestor.capped)
    return bool(part["complete"])
