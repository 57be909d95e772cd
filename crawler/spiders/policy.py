"""The `policy` spider: list pages first (read by the source's kind: crawler/kinds.py), then each
policy page and its attachments, for one configured source. It only yields items and requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.python.failure import Failure

from crawler.context import crawl_context
from crawler.kinds import source_kind
from crawler.known import KnownPage, known_pages
from monitor.config import SourceConfig
from monitor.contracts import AttachmentFile, ListedLink, ListPageItem, PageItem
from monitor.encoding import decode_html
from monitor.extract import ExtractError, attachment_links

# 404/410 reach the callback: a vanished page is information (possible removal), not an error.
GONE_STATUSES = [404, 410]


def download_slots(source: SourceConfig) -> dict[str, dict[str, Any]]:
    """The source's politeness (delay, concurrency) for its hosts, as Scrapy download slots."""
    slot: dict[str, Any] = {}
    if source.download_delay is not None:
        slot["delay"] = source.download_delay
    if source.concurrency is not None:
        slot["concurrency"] = source.concurrency
    return {urlsplit(url).hostname or "": slot for url in source.start_urls} if slot else {}


def _now() -> datetime:
    return datetime.now(UTC)


def _header(response: Response, name: bytes) -> str:
    return (response.headers.get(name) or b"").decode("latin-1")


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(self, source: SourceConfig, known: Mapping[str, KnownPage] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.kind = source_kind(source)  # how its lists are read; ConfigError when unknown or misconfigured
        # What the store knows of the source's pages: given (tests), else loaded when the crawl starts.
        self.known: dict[str, KnownPage] = dict(known or {})
        self._load_known = known is None
        self.list_pages_seen: set[str] = set()
        self.requested: set[str] = set()
        self.listed: set[str] = set()
        self._unlisted_scheduled = False
        # Distributed mode (crawler/distributed.py): the shared frontier, set by its scheduler; only
        # the seeder (the coordinator) queues the list pages and the unlisted known pages.
        self.frontier: Any = None
        self.seeder = True

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, source: SourceConfig | str | None = None, **kwargs: Any) -> Any:
        """`source`: the source itself (`policywatch run`) or its name in the sources file
        (`scrapy crawl policy -a source=NAME`, crawler/context.py says which file)."""
        if source is None:
            raise ValueError("which source? scrapy crawl policy -a source=NAME (a name in the sources file)")
        if not isinstance(source, SourceConfig):
            source = crawl_context(crawler).source(str(source))
        # The source's politeness (delay, concurrency) for its hosts; settings given explicitly win.
        slots = {**download_slots(source), **crawler.settings.getdict("DOWNLOAD_SLOTS")}
        crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        spider = super().from_crawler(crawler, *args, source=source, **kwargs)
        spider.seeder = crawler.settings.getbool("POLICYWATCH_SEEDER", True)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        context = crawl_context(self.crawler)
        if context.paused:
            return
        if self._load_known:
            # On a worker thread: the reactor keeps serving the other sources' downloads meanwhile.
            self.known = await maybe_deferred_to_future(
                threads.deferToThread(known_pages, context.db_url, self.source, context.today)
            )
        for url in self.source.start_urls if self.seeder else ():
            yield self._list_request(url)

    # --- list pages and APIs ------------------------------------------------------------------

    def _list_request(self, url: str) -> scrapy.Request:
        self.list_pages_seen.add(url)
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.list_failed,
            dont_filter=True,
            meta={"handle_httpstatus_list": GONE_STATUSES, "fetch_once": True},
        )

    def parse_list(self, response: Response) -> Iterator[Any]:
        """A list response, read by the source's kind (crawler/kinds.py)."""
        if response.status in GONE_STATUSES:
            yield ListPageItem(
                self.source.name, response.url, response.status, error=f"list page answered HTTP {response.status}"
            )
            return
        read = self.kind.read(response, self.list_pages_seen)
        if read.redirect:
            if read.redirect not in self.list_pages_seen:
                yield self._list_request(read.redirect)
            return
        # Pages past max_list_pages are reported on the list item, never dropped silently.
        yield ListPageItem(self.source.name, response.url, response.status, read.links, read.error, read.capped)
        yield from self._detail_requests(read.links)
        for page in read.next_pages:
            yield self._list_request(page)

    def _detail_requests(self, links: list[ListedLink]) -> Iterator[scrapy.Request]:
        """New pages, pages whose list entry changed, and known pages due for a re-check."""
        if self.frontier is not None:
            self.frontier.add_listed(link.url for link in links)
        for link in links:
            self.listed.add(link.url)
            if link.url in self.requested:
                continue  # listed twice (two list pages): fetched once
            known = self.known.get(link.url)
            if known is None:
                yield self._detail_request(link.url, link, None)
            elif (link.title, link.date) != (known.list_title, known.list_date) and (link.title or link.date):
                yield self._detail_request(link.url, link, None)  # the entry changed: fetch in full
            elif known.due:
                yield self._detail_request(link.url, link, known)

    def on_idle(self) -> None:
        """After the lists: known pages that no list announced any more are fetched once — that is
        how a removal (404 and off the list) or a move is noticed."""
        if self.frontier is not None:
            self._on_shared_idle()
            return
        if self._unlisted_scheduled:
            return
        self._unlisted_scheduled = True
        self._queue_unlisted(self.listed)

    def _queue_unlisted(self, listed: set[str]) -> None:
        pending = [url for url in self.known if url not in self.requested and url not in listed]
        for url in pending:
            self.crawler.engine.crawl(self._detail_request(url, None, self.known[url]))
        if pending:
            raise DontCloseSpider

    def _on_shared_idle(self) -> None:
        """This process is idle: it stops when the shared queue is empty and no other process is busy.
        The seeder first queues the unlisted known pages, once every list page has been read."""
        frontier = self.frontier
        if not self.seeder or self._unlisted_scheduled:
            frontier.mark_idle()
        if not frontier.drained():
            raise DontCloseSpider
        if self.seeder and not self._unlisted_scheduled:
            self._unlisted_scheduled = True
            self._queue_unlisted(frontier.listed())
            frontier.mark_idle()
            if not frontier.drained():
                raise DontCloseSpider

    def _detail_request(self, url: str, listed: ListedLink | None, known: KnownPage | None) -> scrapy.Request:
        self.requested.add(url)
        headers = {}
        if known is not None and known.etag:
            headers["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        # dont_filter: a redirect back to a URL already fetched (a loop) must reach the redirect limit and
        # fail with a reason, not vanish in the duplicate filter. Each URL is requested once anyway.
        return scrapy.Request(
            url,
            callback=self.parse_detail,
            errback=self.detail_failed,
            headers=headers,
            dont_filter=True,
            cb_kwargs={"listed": listed},
            meta={"handle_httpstatus_list": [*GONE_STATUSES, 304], "fetch_once": True},
        )

    # --- detail pages and attachments ---------------------------------------------------------

    def parse_detail(self, response: Response, listed: ListedLink | None = None) -> Iterator[Any]:
        # A redirected page keeps the identity of the address that was asked for (its history, its
        # removal check); a permanent move records the new address, which ingest adopts.
        asked = response.meta.get("redirect_urls") or [response.url]
        permanent = all(code in (301, 308) for code in response.meta.get("redirect_reasons", []))
        item = PageItem(
            source=self.source.name,
            url=asked[0],
            moved_to=response.url if asked[0] != response.url and permanent else "",
            status=response.status,
            fetched_at=_now(),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            content_type=_header(response, b"Content-Type"),
            listed=listed,
            new_address=asked[0] not in self.known,
        )
        if response.status != 200:
            yield item
            return
        item.body = response.body
        cut = truncated(response.body, response.flags)
        if cut:
            yield replace(item, error=cut)
            return
        item.encoding, item.text = decode_html(response.body, item.content_type)
        # The store process parses every page once (crawler/writer.py); here only a page whose HTML
        # may link a file is parsed, for the attachments to fetch with it.
        try:
            files = attachment_links(item.text, response.url)
        except ExtractError:
            files = []
        if not files:
            yield item
            return
        yield self._attachment_request(item, files)

    def _attachment_request(self, item: PageItem, files: list[tuple[str, str]]) -> scrapy.Request:
        (url, name), rest = files[0], files[1:]
        return scrapy.Request(
            url,
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,
            cb_kwargs={"item": item, "name": name, "rest": rest},
            meta={"handle_httpstatus_list": GONE_STATUSES},
        )

    def parse_attachment(
        self, response: Response, item: PageItem, name: str, rest: list[tuple[str, str]]
    ) -> Iterator[Any]:
        body = response.body if response.status == 200 else b""
        item.attachments.append(
            AttachmentFile(response.url, name, response.status, body, _header(response, b"Content-Type"))
        )
        yield self._attachment_request(item, rest) if rest else item

    def attachment_failed(self, failure: Failure) -> Iterator[PageItem]:
        # A missing attachment is content (it is gone); one that failed to download is not:
        # the whole page counts as a failed fetch so no half-read version is stored.
        item: PageItem = failure.request.cb_kwargs["item"]  # type: ignore[attr-defined]
        status, error, url = self._failure(failure)
        yield replace(item, error=f"attachment {url}: {error}", status=status or item.status)

    @staticmethod
    def _failure(failure: Failure) -> tuple[int, str, str]:
        request = getattr(failure, "request", None)
        request_url = (request.meta.get("redirect_urls") or [request.url])[0] if request is not None else ""
        if failure.check(HttpError):
            response = failure.value.response
            return response.status, f"HTTP {response.status}", request_url
        reason = _FAILURE_REASONS.get(failure.type.__name__, "")
        message = failure.getErrorMessage() or reason
        return 0, f"{failure.type.__name__}: {message}" if message else failure.type.__name__, request_url

    def list_failed(self, failure: Failure) -> Iterator[ListPageItem]:
        status, error, url = self._failure(failure)
        yield ListPageItem(self.source.name, url, status, error=error)

    def detail_failed(self, failure: Failure) -> Iterator[PageItem]:
        status, error, url = self._failure(failure)
        listed = failure.request.cb_kwargs.get("listed")  # type: ignore[attr-defined]
        yield PageItem(self.source.name, url, status, _now(), error=error, listed=listed)


# Failures whose exception carries no message of its own.
_FAILURE_REASONS = {
    "ResponseDataLossError": "the connection closed before the whole body (Content-Length) arrived",
    "IgnoreRequest": "redirect loop or too many redirects",
}


def truncated(body: bytes, flags: list[str]) -> str:
    """Why a 200 body is cut short, or "". Without a Content-Length the end of the body is the close
    of the connection (Scrapy flags it "partial"): an HTML page cut there has no closing </html>."""
    if not {"partial", "dataloss"} & set(flags):
        return ""
    head, tail = body[:1024].lower(), body[-2048:].lower()
    if b"<html" in head and b"</html" not in tail:
        return "body cut short: the connection closed before </html> (no Content-Length)"
    return ""
