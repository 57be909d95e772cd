"""Item pipeline: hands each page to the store process (crawler.writer), where one Ingestor per spider
(source) stores it (crawler.storeside). Reading a page (monitor.ingest.reading: parsing, extraction,
facts) is done where there is CPU to spare: in the store process while it keeps up with the crawl,
here on a reader thread while it is behind. Read always here, the crawl process was the slower of
the two, its reactor waiting for the GIL behind the reader; read always there, the store process
was. Placed by the store's backlog, the two share the work and use both cores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.threads import deferToThread, deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.context import crawl_context
from crawler.writer import StoreProcess
from monitor.config import SourceConfig
from monitor.contracts import ListPageItem, PageItem
from monitor.ingest.reading import Reading, read_page
from monitor.killpoint import kill_point
from monitor.store.packing import pack_body


def read_for_store(item: PageItem, source: SourceConfig, list_fields: Mapping[str, str]) -> tuple[PageItem, Reading]:
    """The page read, and the copy of its item the store process gets: the body compressed as its
    version keeps it, no attachment bodies (their text is in the reading). A third of the bytes
    pickled to the store, and zlib compresses on this thread without the GIL while the reactor
    downloads, where it cost the store process ~0.3 ms a page."""
    reading = read_page(item, source, list_fields)
    if reading.parsed is None:
        return item, reading
    body_z = pack_body(item.raw_body)
    bare = [replace(attachment, body=b"") for attachment in item.attachments]
    return replace(item, body=b"", body_z=body_z, attachments=bare), reading


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = crawl_context(crawler)
        self.store = StoreProcess.acquire()
        self.key = id(self)  # this source's Ingestor in the store process
        self.opened = False
        # One thread: pages are read in arrival order, and a large PDF never stalls the downloads.
        self.reader = ThreadPool(minthreads=1, maxthreads=1, name="policywatch-reader")
        self.read_here_from = crawler.settings.getint("POLICYWATCH_READ_HERE_FROM")

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
        self.reader.start()
        self.opened = True

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ListPageItem):
            await maybe_deferred_to_future(self.store.call("record_list", self.key, item))
        elif isinstance(item, PageItem):
            kill_point("page-received")  # test seam, inert unless $POLICYWATCH_KILL_AT names it
            source = self.crawler.spider.source  # type: ignore[union-attr]
            if item.text and self.store.waiting >= self.read_here_from:
                read = deferToThreadPool(reactor, self.reader, read_for_store, item, source, self._list_fields(item))
                sent, reading = await maybe_deferred_to_future(read)
                await maybe_deferred_to_future(self.store.call("ingest_page", self.key, sent, reading, None))
            else:  # read by the store process (a 304, a failure, a 404: nothing to parse, only triage)
                list_fields = self._list_fields(item) if item.text else {}
                await maybe_deferred_to_future(self.store.call("ingest_page", self.key, item, None, list_fields))
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
                self.reader.stop()
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
