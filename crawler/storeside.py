"""The store process's end of the ingest pipeline (crawler.writer): one Ingestor per source being
crawled, keyed by the pipeline that opened it. Each method is one call from the crawl process.

All sources share one connection and one transaction per database (monitor.ingest.batch): several
pages per commit, and on SQLite a second connection would wait for the first's uncommitted batch."""

from __future__ import annotations

from typing import Any

from crawler.context import CrawlContext
from monitor.config import SourceConfig
from monitor.contracts import ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.ingest.batch import Batch
from monitor.ingest.reading import Reading
from monitor.store.db import Database

BATCH_PAGES = 50  # pages per transaction at most; fewer whenever the crawl is not keeping the store busy


class StoreSide:
    def __init__(self) -> None:
        self.units: dict[int, Ingestor] = {}
        self.batches: dict[tuple[str, bool], Batch] = {}

    def open(self, key: int, context: CrawlContext, source: SourceConfig) -> None:
        batch = self.batches.get((context.db_url, context.dry_run))
        if batch is None:
            db = Database(context.db_url, savepoints=True)
            batch = self.batches[context.db_url, context.dry_run] = Batch(db, size=BATCH_PAGES, dry_run=context.dry_run)
        self.units[key] = Ingestor(
            batch.db,
            run_id=context.run_id,
            source=source,
            settings=context.settings,
            today=context.today,
            dry_run=context.dry_run,
            batch=batch,
        )

    def commit(self) -> None:
        """Nothing is waiting: make what was stored durable and visible."""
        for batch in self.batches.values():
            batch.commit()

    def close(self) -> None:
        self.commit()
        for batch in self.batches.values():
            batch.db.dispose()

    def record_list(self, key: int, item: ListPageItem) -> None:
        self.units[key].record_list(item)

    def ingest_page(self, key: int, item: PageItem, reading: Reading | None) -> str:
        """`reading`: the page as the reader process read it; None when there is nothing to read (a 304,
        a failure), then the Ingestor sorts the fetch out itself."""
        return self.units[key].ingest_page(item, reading)

    def hand_in(self, key: int, complete: bool, worker: str) -> dict[str, Any]:
        """A worker's share of the source's bookkeeping in a distributed run (crawler/distributed.py);
        the coordinator finishes the source."""
        ingestor = self.units.pop(key)
        ingestor.flush_not_modified()
        ingestor.batch.commit()  # the coordinator may finish the source as soon as it has this part
        return ingestor_part(ingestor, complete, worker)

    def finish(self, key: int, complete: bool, due: int, worker: str | None, parts: list[dict[str, Any]]) -> None:
        """The end of a source's crawl: removals only when its list crawl is complete (every
        worker's, in a distributed run)."""
        ingestor = self.units.pop(key)
        ingestor.flush_not_modified()
        if worker is not None:
            ingestor.stats.workers = {worker: ingestor.stats.fetched}
        for part in parts:
            complete = merge_part(ingestor, part) and complete
        if complete:
            ingestor.finish(due=due)
        ingestor.batch.commit()


def ingestor_part(ingestor: Ingestor, complete: bool, worker: str) -> dict[str, Any]:
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
