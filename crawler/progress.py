"""Pages done/total of one source's crawl, from its crawler's signals, sent to the parent process for
`policywatch run`'s progress display. The crawl process attaches it to each crawler it creates
(crawler/process.py); nothing travels through Scrapy's settings."""

from __future__ import annotations

import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

INTERVAL = 0.5  # seconds between updates


class CrawlProgress:
    def __init__(self, crawler: Crawler, queue: Any, source: str) -> None:
        self.queue = queue
        self.source = source
        self.done = 0  # responses received
        self.total = 0  # requests scheduled (retries and redirects included, as responses are)
        self._sent_at = 0.0
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self._received, signal=signals.response_received)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def _push(self, finished: bool = False) -> None:
        now = time.monotonic()
        if finished or now - self._sent_at >= INTERVAL:
            self._sent_at = now
            self.queue.put_nowait((self.source, self.done, max(self.done, self.total), finished))

    def _opened(self) -> None:
        self._push()

    def _scheduled(self) -> None:
        self.total += 1
        self._push()

    def _received(self) -> None:
        self.done += 1
        self._push()

    def _closed(self) -> None:
        self._push(finished=True)
