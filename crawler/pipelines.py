"""Item pipeline: hands every item to monitor.ingest, one Ingestor per spider (source)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.context import crawl_context
from crawler.writer import WriterThread
from monitor.contracts import ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.killpoint import kill_point
from monitor.store.db import Database


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = crawl_context(crawler)
        self.db: Database | None = None
        self.ingestor: Ingestor | None = None
        self.writer = WriterThread.acquire()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        await maybe_deferred_to_future(self.writer.submit(self._open))

    def _open(self) -> None:
        context = self.context
        if not context.run_id:
            raise RuntimeError(
                "no run to record into: `policywatch run` gives one (POLICYWATCH_RUN_ID), a bare "
                "`scrapy crawl` opens one through the monitor.scrapyrun.StandaloneRun extension (crawler/settings.py)"
            )
        if context.paused:
            return  # nothing is crawled, nothing recorded
        self.db = Database(context.db_url)
        self.ingestor = Ingestor(
            self.db,
            run_id=context.run_id,
            source=self.crawler.spider.source,  # type: ignore[union-attr]
            settings=context.settings,
            today=context.today,
            dry_run=context.dry_run,
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
            kill_point("page-received")  # test seam, inert unless $POLICYWATCH_KILL_AT names it
            self.ingestor.ingest_page(item)
        return item

    async def close_spider(self) -> None:
        # A spider closed by a shutdown or an error has an incomplete list crawl: no removals.
        complete = self.crawler.stats.get_value("finish_reason") in (None, "finished")
        await maybe_deferred_to_future(self.writer.submit(self._finish, complete).addBoth(self.writer.release))

    def _finish(self, complete: bool) -> None:
        if self.ingestor is None or self.db is None:
            return  # a paused source: nothing was crawled
        self.ingestor.flush_not_modified()
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
