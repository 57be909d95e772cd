"""Downloader middlewares: retries that honour Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

from crawler.throttle import hold_pause

MAX_RETRY_AFTER = 300.0  # seconds; a longer wait is not worth holding a nightly run for


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Retries 429/5xx like Scrapy's RetryMiddleware, and when the server says Retry-After, slows
    the whole host down to that pace first (every later request to it waits as long), so the retry
    and the rest of the crawl do not hammer a host that asked for a pause."""

    def process_response(self, request: Request, response: Response, spider: object = None) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds((response.headers.get(b"Retry-After") or b"").decode("latin-1"))
            if wait:
                self._slow_down(request, min(wait, MAX_RETRY_AFTER))
        return super().process_response(request, response)

    def _slow_down(self, request: Request, seconds: float) -> None:
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        # The slot randomises its delay by ±jitter; the server's pause is a minimum, not an average.
        jitter = min(float(getattr(slot, "jitter", 0.0) or 0.0), 0.9)
        hold_pause(self.crawler, key, slot, seconds / (1 - jitter))
