"""Each fetched page's HTML is parsed once (issue #13, bug 8): the spider parses it for its attachment
links and hands the tree on; the block-page check, the 页面不存在 check and the extraction in the
unit of work read that tree. A real Scrapy response of a demo page goes through the spider's
callback and then the unit of work, with lxml's parser counted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import lxml.html
import pytest
from scrapy.http import HtmlResponse, Request

from crawler.spiders.policy import PolicySpider
from monitor.config import Settings, SourceConfig
from monitor.contracts import ListedLink, PageItem
from monitor.demo.site import DemoSite
from monitor.ingest import Ingestor
from monitor.store.db import Database
from monitor.store.models import Run

BASE = "http://127.0.0.1:9"
PATH = "/dongcheng/202504/t20250401_7.html"
SOURCE = SourceConfig(
    name="demo-dongcheng", start_urls=(f"{BASE}/dongcheng/index.html",), region="北京市东城区", allow_private=True
)


def test_a_page_is_parsed_once_from_spider_to_stored_version(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    page = DemoSite().pages(1)[PATH]
    listed = ListedLink(BASE + PATH, "某标题", "2025-04-01")
    request = Request(BASE + PATH, cb_kwargs={"listed": listed})
    response = HtmlResponse(BASE + PATH, body=page.body, headers={"Content-Type": page.content_type}, request=request)
    parses: list[int] = []
    real = lxml.html.document_fromstring

    def counted(html: Any, *args: Any, **kwargs: Any) -> Any:
        parses.append(len(html))
        return real(html, *args, **kwargs)

    monkeypatch.setattr(lxml.html, "document_fromstring", counted)
    spider = PolicySpider(source=SOURCE, known={})
    (item,) = list(spider.parse_detail(response, **request.cb_kwargs))
    assert isinstance(item, PageItem) and item.listed == listed and item.tree is not None
    with db.session() as session:
        run = Run(started_at=datetime.now(UTC), stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 11, 27))
    assert ingestor.ingest_page(item) == "new"
    # Once: before, the attachment links, the block-page check, the not-found check and the
    # extraction each parsed the page again (four parses).
    assert len(parses) == 1, parses
