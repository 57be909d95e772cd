"""A run costs what changed (issue #16): a page answered 304 is written with its batch, not with a
transaction and an ORM load of its own; the report re-renders only the pages a run touched (and any
page missing). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from monitor.config import Settings, SourceConfig
from monitor.contracts import ListedLink, ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.report import policy_page, render_report
from monitor.store.db import Database
from monitor.store.models import Policy, Run, Source

SOURCE = SourceConfig(name="library", start_urls=("http://127.0.0.1:9/lib/",), allow_private=True, region="北京市某区")
PAGES = 1200
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 28)


def _url(i: int) -> str:
    return f"http://127.0.0.1:9/lib/t2025_{i}.html"


def _run(db: Database) -> int:
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        return run.id


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _library(db: Database) -> None:
    """PAGES stored policies, last fetched long ago, one of them found gone last run."""
    with db.session() as s:
        source = Source(name=SOURCE.name, region=SOURCE.region, baselined_at=LONG_AGO)
        s.add_all(
            Policy(source=source, url=_url(i), title=f"政策{i}", first_seen=LONG_AGO, last_seen=LONG_AGO)
            for i in range(PAGES)
        )
    with db.session() as s:
        gone = s.scalar(select(Policy).where(Policy.url == _url(7)))
        assert gone is not None
        gone.gone_since, gone.gone_runs, gone.last_fetch_status = LONG_AGO, 1, 404


def test_an_unchanged_library_rechecked_by_304_costs_a_few_statements(db: Database) -> None:
    _library(db)
    ingestor = Ingestor(db, run_id=_run(db), source=SOURCE, settings=Settings(), today=TODAY)
    now = datetime.now(UTC)
    with statements(db) as seen:
        for i in range(PAGES):
            assert ingestor.ingest_page(PageItem(SOURCE.name, _url(i), 304, now)) == "unchanged"
    assert len(seen) <= 2 * (PAGES // 500 + 1), len(seen)  # a batch is one UPDATE (and its commit)
    ingestor.record_list(ListPageItem(SOURCE.name, SOURCE.start_urls[0], 200, [ListedLink(_url(i)) for i in range(50)]))
    ingestor.finish()
    assert ingestor.stats.unchanged == PAGES
    with db.session() as s:
        rows = list(s.scalars(select(Policy)))
        assert all(p.last_fetch_status == 304 and p.last_fetched_at is not None for p in rows)
        assert all(p.last_seen.replace(tzinfo=UTC) > LONG_AGO + timedelta(days=1) for p in rows)
        back = next(p for p in rows if p.url == _url(7))
        assert back.gone_since is None and back.gone_runs == 0  # answered again: not gone


def test_a_dry_run_of_an_unchanged_library_writes_none_of_it(db: Database) -> None:
    _library(db)
    ingestor = Ingestor(db, run_id=_run(db), source=SOURCE, settings=Settings(), today=TODAY, dry_run=True)
    for i in range(PAGES):
        ingestor.ingest_page(PageItem(SOURCE.name, _url(i), 304, datetime.now(UTC)))
    ingestor.finish()
    with db.session() as s:
        assert all(p.last_fetch_status == 0 for p in s.scalars(select(Policy)) if p.url != _url(7))


def _page(i: int, words: str) -> PageItem:
    html = (
        f'<html><head><meta name="ArticleTitle" content="关于支持第{i}项工作的措施"></head><body>'
        f'<div class="TRS_Editor"><p>第一条 为支持第{i}项工作,{words}。</p>'
        "<p>第二条 本措施自2025年1月1日起施行。</p></div></body></html>"
    )
    return PageItem(
        SOURCE.name, _url(i), 200, datetime.now(UTC), body=html.encode(), text=html, content_type="text/html"
    )


def _crawl(db: Database, pages: list[PageItem]) -> int:
    run_id = _run(db)
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=TODAY)
    ingestor.record_list(ListPageItem(SOURCE.name, SOURCE.start_urls[0], 200, [ListedLink(_url(i)) for i in range(3)]))
    for page in pages:
        ingestor.ingest_page(page)
    ingestor.finish()
    return run_id


def test_the_report_of_a_run_rerenders_only_what_the_run_touched(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = _crawl(db, [_page(i, "给予最高100万元支持") for i in range(3)])
    render_report(db, out, today=TODAY, run_id=first)
    with db.session() as s:
        sources = {p.url: p.source.name for p in s.scalars(select(Policy))}
    pages = {i: out / policy_page(sources[_url(i)], _url(i)) for i in range(3)}
    assert all(page.is_file() for page in pages.values())
    for page in pages.values():  # a mark that survives only where nothing is re-rendered
        page.write_text(page.read_text(encoding="utf-8") + "<!-- untouched -->", encoding="utf-8")
    pages[2].unlink()  # a page lost from the directory comes back
    second = _crawl(db, [_page(0, "给予最高100万元支持"), _page(1, "给予最高200万元支持")])
    render_report(db, out, today=TODAY, run_id=second)
    assert "untouched" in pages[0].read_text(encoding="utf-8")  # fetched, unchanged: not rendered
    changed = pages[1].read_text(encoding="utf-8")
    assert "untouched" not in changed and "200万元" in changed  # changed in this run: rendered
    assert pages[2].is_file() and (out / f"run-{second}.html").is_file()
    render_report(db, out, today=TODAY)  # `policywatch report`: everything
    assert "untouched" not in pages[0].read_text(encoding="utf-8")


def test_the_report_helper_is_made_ready_only_for_a_large_report(db: Database, tmp_path: Path) -> None:
    """Starting the report's helper while the crawl runs costs a small re-check a tenth of its run: it
    is started for a source's first crawl or a report directory without its index, not otherwise."""
    from monitor.runner import _large_report

    report = tmp_path / "report"
    newcomer = SourceConfig(name="newcomer", start_urls=("http://127.0.0.1:9/new/",), allow_private=True)
    _library(db)
    assert _large_report(db, [SOURCE], report)  # no report yet: a page for every policy
    render_report(db, report, today=TODAY)
    assert not _large_report(db, [SOURCE], report)  # a re-check of a known library
    assert _large_report(db, [SOURCE, newcomer], report)  # a source's first crawl
    assert not _large_report(db, [SOURCE], None)  # no report at all
