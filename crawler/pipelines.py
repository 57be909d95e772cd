"""Item pipeline: hands each fetched page to the reader process, which reads it (monitor.ingest.reading:
parsing, extraction, facts) and passes it on to the store process, where one Ingestor per spider
(source) stores it (crawler.writer, crawler.storeside). The crawl process only fetches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.context import crawl_context
from crawler.writer import StoreProcess
from monitor.config import SourceConfig
from monitor.contracts import ListPageItem, PageItem
from monitor.ingest.reading import Reading, read_page
from monitor.killpoint import kill_point
from monitor.store.packing import pack_body


def read_for_store(item: PageItem, source: SourceConfig, list_fields: Mapping[str, str]) -> tuple[PageItem, Reading]:
    """The page read, and the copy of its item the store process gets: the body compressed as its
    version keeps it, neither the decoded text (it reads the body back on the rare path that needs
    it) nor attachment bodies (their text is in the reading). A third of the bytes pickled to the
    store, compressed here rather than in the store process, the busiest of the crawl's."""
    reading = read_page(item, source, list_fields)
    if reading.parsed is None:
        return item, reading
    body_z = pack_body(item.raw_body, reading.parsed.document.text)
    bare = [replace(attachment, body=b"") for attachment in item.attachments]
    return replace(item, body=b"", text="", body_z=body_z, attachments=bare), reading


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = crawl_context(crawler)
        self.store = StoreProcess.acquire()
        self.key = id(self)  # this source's Ingestor in the store process
        self.opened = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        context = self.context
        if not context.run_id:
            raise RuntimeError(
                "no run to record into: `policywatch run` gives one (POLICYWATCH_RUN_ID), a bare "
                "`scrapy crawl` opens one through the monitor.scrapyrun.StandaloneRun extension (crawler/settings.py)"
            )
        if context.paused:
            return  # nothing is crawled, nothing recorded
        source = self.crawler.spider.source  # type: ignore[union-attr]
        await maybe_deferred_to_future(self.store.call("open", self.key, context, source))
        self.opened = True

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ListPageItem):
            await maybe_deferred_to_future(self.store.call("record_list", self.key, item))
        elif isinstance(item, PageItem):
            kill_point("page-received")  # test seam, inert unless $POLICYWATCH_KILL_AT names it
            source = self.crawler.spider.source  # type: ignore[union-attr]
            if item.text:
                answer = self.store.read_and_ingest(self.key, item, source, self._list_fields(item))
            else:  # a 304, a failure, a 404: nothing to read, only to sort out (monitor.ingest.triage)
                answer = self.store.call("ingest_page", self.key, item, None)
            await maybe_deferred_to_future(answer)
        return item

    def _list_fields(self, item: PageItem) -> Mapping[str, str]:
        """What the page's list entry said: this run's, else the one stored when it was last listed."""
        if item.listed is not None:
            return item.listed.fields
        known = getattr(self.crawler.spider, "known", {}).get(item.url)
        return known.list_fields if known is not None else {}

    async def close_spider(self) -> None:
        # A spider closed by a shutdown or an error has an incomplete list crawl: no removals.
        complete = self.crawler.stats.get_value("finish_reason") in (None, "finished")
        try:
            if self.opened:
                await self._finish(complete)
        finally:
            self.store.release(None)

    async def _finish(self, complete: bool) -> None:
        spider: Any = self.crawler.spider
        frontier = getattr(spider, "frontier", None)
        if frontier is not None and not spider.seeder:
            part = await maybe_deferred_to_future(self.store.call("hand_in", self.key, complete, frontier.me))
            await maybe_deferred_to_future(deferToThread(frontier.hand_in, part))  # the coordinator finishes the source
            return
        # The coordinator waits (off the reactor) for the other workers' shares of the bookkeeping.
        parts = await maybe_deferred_to_future(deferToThread(frontier.collect)) if frontier is not None else []
        due = sum(1 for page in getattr(spider, "known", {}).values() if page.due)
        me = frontier.me if frontier is not None else None
        await maybe_deferred_to_future(self.store.call("finish", self.key, complete, due, me, parts))
