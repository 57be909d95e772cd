"""The `policy` spider: list pages first, then each policy page, for one configured source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import ListPageItem, PageItem
from crawler.listing import discover
from monitor.config import SourceConfig, load_sources, sources_by_name

# 404/410 reach the callback: a vanished page is information (possible removal), not an error.
GONE_STATUSES = [404, 410]


def _now() -> datetime:
    return datetime.now(UTC)


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(
        self,
        source: SourceConfig | None = None,
        known_urls: list[str] | None = None,
        sources_file: str | None = None,
        source_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if source is None:
            # `scrapy crawl policy -a sources_file=seeds/sources.yaml -a source_name=NAME`
            if not sources_file or not source_name:
                raise ValueError("pass -a sources_file=FILE -a source_name=NAME")
            source = sources_by_name(load_sources(sources_file), [source_name])[0]
        self.source = source
        self.known_urls = list(known_urls or [])
        self.list_pages_seen: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield self._list_request(url)
        # Known policies are re-fetched every run: lists announce new items, never edits.
        for url in self.known_urls:
            yield self._detail_request(url)

    def _list_request(self, url: str) -> scrapy.Request:
        self.list_pages_seen.add(url)
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.list_failed, meta={"handle_httpstatus_list": GONE_STATUSES}
        )

    def _detail_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_detail, errback=self.detail_failed, meta={"handle_httpstatus_list": GONE_STATUSES}
        )

    def parse_list(self, response: Response) -> Iterator[Any]:
        if response.status in GONE_STATUSES or not isinstance(response, TextResponse):
            yield ListPageItem(
                self.source.name, response.url, response.status, error=f"list page answered HTTP {response.status}"
            )
            return
        listing = discover(
            response.text, response.url, allows=self.source.allows, link_selector=self.source.selectors.list_links
        )
        if listing.redirect:
            yield self._list_request(listing.redirect)
            return
        yield ListPageItem(self.source.name, response.url, response.status, listing.links)
        for link in listing.links:
            yield self._detail_request(link.url)
        for page in listing.next_pages:
            if page not in self.list_pages_seen and len(self.list_pages_seen) < self.source.max_list_pages:
                yield self._list_request(page)

    def parse_detail(self, response: Response) -> Iterator[PageItem]:
        text = response.text if isinstance(response, TextResponse) else ""
        yield PageItem(
            source=self.source.name,
            url=response.url,
            status=response.status,
            fetched_at=_now(),
            body=response.body,
            text=text,
            encoding=getattr(response, "encoding", "") or "",
            etag=response.headers.get(b"ETag", b"").decode("latin-1"),
            last_modified=response.headers.get(b"Last-Modified", b"").decode("latin-1"),
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
        )

    @staticmethod
    def _failure(failure: Failure) -> tuple[int, str, str]:
        request_url = failure.request.url if hasattr(failure, "request") else ""
        if failure.check(HttpError):
            response = failure.value.response
            return response.status, f"HTTP {response.status}", request_url
        return 0, f"{failure.type.__name__}: {failure.getErrorMessage()}", request_url

    def list_failed(self, failure: Failure) -> Iterator[ListPageItem]:
        status, error, url = self._failure(failure)
        yield ListPageItem(self.source.name, url, status, error=error)

    def detail_failed(self, failure: Failure) -> Iterator[PageItem]:
        status, error, url = self._failure(failure)
        yield PageItem(self.source.name, url, status, _now(), error=error)
