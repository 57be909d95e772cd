"""AutoThrottle bounded per host, by what its sources say.

Scrapy's AutoThrottle never goes below the global DOWNLOAD_DELAY, so a source's own
`download_delay: 0.2` (a fast mirror, one's own site) never took effect; it aims at one request in
flight per host (AUTOTHROTTLE_TARGET_CONCURRENCY), so a source's `concurrency: 4` was throttled
back to one at a time; and it lowers any slot's delay after a few quick answers, so a server's
Retry-After pause was undone within seconds. Here the floor of a host is the delay its sources set
(else the global one), raised for the rest of the crawl to any pause the host asked for
(RetryAfterMiddleware records it here), and its target concurrency is its sources' `concurrency`.
A 304 counts as a normal answer, so a re-run of conditional requests speeds up like a first crawl."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class PoliteAutoThrottle(AutoThrottle):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pauses: dict[str, float] = {}  # slot key → the pause (seconds) its host asked for
        crawler.policywatch_throttle = self  # type: ignore[attr-defined]  # found by RetryAfterMiddleware

    def _spider_opened(self, spider: Spider) -> None:
        super()._spider_opened(spider)
        slots: dict[str, Any] = self.crawler.settings.getdict("DOWNLOAD_SLOTS")
        self.host_floors = {key: float(conf["delay"]) for key, conf in slots.items() if "delay" in conf}
        self.host_targets = {key: float(conf["concurrency"]) for key, conf in slots.items() if "concurrency" in conf}

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key, slot = self._get_slot(request, spider)
        if key is None or slot is None:
            return
        # AutoThrottle clamps to self.mindelay and aims at self.target_concurrency: make them this
        # host's for this adjustment.
        global_floor, global_target = self.mindelay, self.target_concurrency
        self.mindelay = max(self.host_floors.get(key, global_floor), self.pauses.get(key, 0.0))
        self.target_concurrency = self.host_targets.get(key, global_target)
        try:
            super()._response_downloaded(response, request, spider)
        finally:
            self.mindelay, self.target_concurrency = global_floor, global_target

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        # AutoThrottle only ever raises the delay on a non-200 answer (error pages are small and
        # fast); a 304 is the normal answer to a conditional re-check and must be allowed to lower
        # it, or an all-304 re-run crawls at the start delay.
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)


def hold_pause(crawler: Crawler, key: str, slot: Slot, seconds: float) -> None:
    """Hold a host's slot at `seconds` or slower for the rest of the crawl."""
    throttle: PoliteAutoThrottle | None = getattr(crawler, "policywatch_throttle", None)
    if throttle is not None:
        throttle.pauses[key] = max(seconds, throttle.pauses.get(key, 0.0))
    slot.delay = max(slot.delay, seconds)
