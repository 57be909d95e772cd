"""What the crawler hands to the core: the items its spiders yield. The core owns these contracts (the
crawler depends on the core, never the reverse); plain dataclasses, which Scrapy supports as items, so
monitor.ingest can be fed the same objects in tests without a crawl."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class ListedLink:
    url: str
    title: str = ""
    date: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # e.g. 发文字号, 有效性 from a JSON API row


@dataclass(slots=True)
class ListPageItem:
    """One list page: which detail links it announced, or why it failed."""

    source: str
    url: str
    status: int
    links: list[ListedLink] = field(default_factory=list)
    error: str = ""
    capped: list[str] = field(default_factory=list)  # further list pages not followed (max_list_pages)


@dataclass(slots=True)
class AttachmentFile:
    url: str
    name: str
    status: int
    body: bytes = b""
    content_type: str = ""


@dataclass(slots=True)
class PageItem:
    """One fetched detail page (or the failure to fetch it)."""

    source: str
    url: str
    status: int  # HTTP status; 0 when no response came (timeout, DNS, connection refused); 304 unchanged
    fetched_at: datetime
    body: bytes = b""
    text: str = ""  # decoded: header → BOM → meta → detection, corrected when the label is wrong
    encoding: str = ""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    error: str = ""
    listed: ListedLink | None = None  # the list entry that led here, when there was one
    attachments: list[AttachmentFile] = field(default_factory=list)
    moved_to: str = ""  # where a permanent redirect (301/308) of `url` led: the page's new address
    # The store knew no page at `url` when the crawl started: most likely a new policy, whose pending
    # repeal references are then read with its identity lookup (monitor.ingest.identity). A hint only.
    new_address: bool = False
    # `body` compressed as its version keeps it (monitor.store.packing.pack_body), when the crawl
    # process has done that already; `body` is then left empty (crawler/pipelines.py).
    body_z: bytes = b""

    @property
    def raw_body(self) -> bytes:
        """The response as fetched (its text encoded when only the text was given, as in tests)."""
        return self.body or self.text.encode("utf-8")

    def __repr__(self) -> str:
        # Scrapy logs items on errors; a whole page body in a log line helps nobody.
        return f"PageItem({self.source!r}, {self.url!r}, status={self.status}, {len(self.body)} bytes)"
