"""Each fetched page's HTML is parsed once where it is read (issue #13, bug 8; #16): the spider parses
a page only when its HTML may link a file (for the attachments to fetch with it); the pipeline reads
it (monitor.ingest.reading) with one parse for the block-page check, the 页面不存在 check and the
extraction; the store process stores that reading without parsing again. A real Scrapy response of a
demo page goes through the spider's callback, the reading and the unit of work, with lxml's parser
counted."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from multiprocessing.reduction import ForkingPickler
from typing import Any

import lxml.html
import pytest
from scrapy.http import HtmlResponse, Request
from sqlalchemy import select

from crawler.known import KnownPage
from crawler.pipelines import read_for_store
from crawler.spiders.policy import PolicySpider
from monitor.config import Settings, SourceConfig
from monitor.contracts import ListedLink, PageItem
from monitor.demo.site import DemoSite
from monitor.ingest import Ingestor
from monitor.store.db import Database
from monitor.store.models import Run, Version
from monitor.store.packing import pack

BASE = "http://127.0.0.1:9"
PATH = "/dongcheng/202504/t20250401_7.html"
SOURCE = SourceConfig(
    name="demo-dongcheng", start_urls=(f"{BASE}/dongcheng/index.html",), region="北京市东城区", allow_private=True
)


@pytest.mark.parametrize("links_a_file", [False, True])
def test_a_page_is_parsed_once_by_the_spider_at_most_and_once_by_the_store(
    db: Database, monkeypatch: pytest.MonkeyPatch, links_a_file: bool
) -> None:
    body = DemoSite().pages(1)[PATH].body
    if links_a_file:  # a link to a file the spider must fetch with the page
        end = "本措施同步调整。</p>".encode()
        body = body.replace(end, end + '<p><a href="/files/附件1.pdf">附件1</a></p>'.encode())
    assert (b".pdf" in body) is links_a_file
    listed = ListedLink(BASE + PATH, "某标题", "2025-04-01")
    request = Request(BASE + PATH, cb_kwargs={"listed": listed})
    response = HtmlResponse(
        BASE + PATH, body=body, headers={"Content-Type": "text/html; charset=utf-8"}, request=request
    )
    parses: list[int] = []
    real = lxml.html.document_fromstring

    def counted(html: Any, *args: Any, **kwargs: Any) -> Any:
        parses.append(len(html))
        return real(html, *args, **kwargs)

    monkeypatch.setattr(lxml.html, "document_fromstring", counted)
    spider = PolicySpider(source=SOURCE, known={})
    (out,) = list(spider.parse_detail(response, **request.cb_kwargs))
    assert len(parses) == (1 if links_a_file else 0), parses
    if links_a_file:
        assert isinstance(out, Request) and out.url.endswith(".pdf")  # the attachment is fetched first
        item = out.cb_kwargs["item"]
    else:
        item = out
    assert isinstance(item, PageItem) and item.listed == listed
    # A page the store did not know: its identity lookup reads its pending references too.
    assert item.new_address
    spider = PolicySpider(source=SOURCE, known={BASE + PATH: KnownPage()})
    (again,) = list(spider.parse_detail(response, **request.cb_kwargs))
    known_item = again.cb_kwargs["item"] if links_a_file else again
    assert isinstance(known_item, PageItem) and not known_item.new_address
    parses.clear()
    sent, reading = read_for_store(item, SOURCE, listed.fields)  # the pipeline's reader thread
    assert len(parses) == 1, parses  # before, each check and the extraction parsed the page again
    # The store gets the body compressed (as its version keeps it), not the body itself.
    assert sent.body == b"" and sent.body_z and item.body and sent.new_address
    assert len(pickle.dumps(sent)) < len(pickle.dumps(item)) - len(item.body) // 2
    # As they reach the store process: through multiprocessing's pickler, with crawler.writer's reducers.
    received = ForkingPickler.loads(ForkingPickler.dumps((sent, reading)))
    assert received[1] == reading and received[1].parsed is not None
    sent, reading = received
    with db.session() as session:
        run = Run(started_at=datetime.now(UTC), stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    parses.clear()
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 11, 27))
    assert ingestor.ingest_page(sent, reading) == "new"
    assert parses == []
    with db.session() as session:
        version = session.scalars(select(Version)).one()
        # kept against its text (monitor.store.packing.pack_body): smaller than the body packed alone
        assert version.raw_html == item.body and len(version.raw_html_z) < len(pack(item.body))
    # Without a reading (a caller of the unit of work alone) the page is read there, with one parse.
    again = pickle.loads(pickle.dumps(item))
    again.url = again.url.replace("_7.html", "_77.html")
    assert ingestor.ingest_page(again) in ("new", "mirrored")
    assert len(parses) == 1, parses
