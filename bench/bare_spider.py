"""The ceiling: a bare Scrapy spider that fetches the mirror's list and detail pages, parses each with
lxml and hashes its text — nothing stored. Same concurrency as the policywatch source.

    python bench/bare_spider.py BASE_URL CONCURRENCY
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [f"{base}/lib/index.html"]
        self.pages = 0

    def parse(self, response: scrapy.http.Response, **_: Any) -> Iterator[scrapy.Request]:
        for href in response.css("ul.list a::attr(href)").getall():
            yield response.follow(href, self.parse_detail)
        if response.url.endswith("/index.html"):
            count = int(response.css("script::text").re_first(r"createPageHTML\((\d+)") or 1)
            for n in range(1, count):
                yield response.follow(f"index_{n}.html", self.parse)

    def parse_detail(self, response: scrapy.http.Response) -> None:
        text = "\n".join(response.css(".TRS_UEDITOR p::text").getall())
        hashlib.sha256(text.encode()).hexdigest()
        self.pages += 1


if __name__ == "__main__":
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": int(sys.argv[2]),
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(BareSpider, base=sys.argv[1])
    process.start()
