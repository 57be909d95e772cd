"""Downloader middleware: every request of a crawl — list pages, policy pages, attachments,
robots.txt and each redirect hop — goes only to http(s) hosts on public addresses, unless its
source sets `allow_private: true` (the rules are in monitor/netguard.py).

A host name is resolved in a thread (the reactor never blocks) and its verdict kept for the crawl.
A refused request fails like any failed fetch, with the reason in words (IgnoreRequest): a refused
list page makes the source fail visibly; a refused policy page is never a version nor a removal."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from monitor.netguard import host_refusal, refusal_of_url


class PublicAddressMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._hosts: dict[tuple[str, int | None], str] = {}  # host, port → refusal or ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> PublicAddressMiddleware:
        return cls(crawler)

    def _allow_private(self) -> bool:
        source = getattr(getattr(self.crawler, "spider", None), "source", None)
        return bool(getattr(source, "allow_private", False))

    async def process_request(self, request: Request, spider: object = None) -> None:
        refusal = refusal_of_url(request.url)
        if not refusal and not self._allow_private():
            parts = urlsplit(request.url)
            key = (parts.hostname or "", parts.port)
            if key not in self._hosts:
                self._hosts[key] = host_refusal(*key, resolve=False) or await maybe_deferred_to_future(
                    deferToThread(host_refusal, *key)
                )
            refusal = self._hosts[key]
        if refusal:
            raise IgnoreRequest(f"address refused: {request.url}: {refusal}")
