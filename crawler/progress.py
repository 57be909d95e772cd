"""Scrapy extension: pages done/total per source, sent to the parent process for a progress display."""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

INTERVAL = 0.5  # seconds between updates


class SharedRef:
    """Carries a process-shared object (a multiprocessing queue) through Scrapy's settings, which
    deep-copy their values for every crawler; a queue must not be copied or pickled there."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __copy__(self) -> SharedRef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedRef:
        return self


class ProgressExtension:
    def __init__(self, crawler: Crawler, queue: Any) -> None:
        self.crawler = crawler
        self.queue = queue
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        shared = crawler.settings.get("POLICYWATCH_PROGRESS_QUEUE")
        if shared is None:
            raise NotConfigured("no progress queue")
        ext = cls(crawler, shared.obj)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def _push(self, spider: Spider, finished: bool) -> None:
        stats = self.crawler.stats
        assert stats is not None
        done = int(stats.get_value("response_received_count", 0) or 0)
        total = max(done, int(stats.get_value("scheduler/enqueued", 0) or 0))
        source = getattr(spider, "source", None)
        self.queue.put_nowait((source.name if source else spider.name, done, total, finished))

    def opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self._push, spider, False)
        self.loop.start(INTERVAL, now=True)

    def closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self._push(spider, True)
