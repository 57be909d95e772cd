"""Several pages in one transaction (monitor.ingest.batch), each in a savepoint: a page that fails is
rolled back alone — its rows, those written past the unit of work (monitor.store.rows) included, and
their objects in the session — and the pages before and after it are stored. On SQLite the next row
takes the id of the rolled-back one: no object of the failed page may stand in for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

import monitor.ingest.batch as batch_module
import monitor.ingest.versions as versions
from monitor.config import Settings, SourceConfig
from monitor.contracts import PageItem
from monitor.ingest import Ingestor
from monitor.ingest.batch import Batch
from monitor.ingest.reading import read_page
from monitor.store.db import Database
from monitor.store.models import Policy, Run, Version

SOURCE = SourceConfig(name="batch", start_urls=("http://127.0.0.1:9/list/",), allow_private=True)


def _page(n: int) -> PageItem:
    html = (
        f'<html><head><meta name="ArticleTitle" content="某区关于第{n}项措施的通知"></head><body>'
        f'<div class="TRS_Editor"><p>第一条 第{n}项措施给予最高{n}00万元支持。</p>'
        "<p>第二条 本措施自2025年1月1日起施行。</p></div></body></html>"
    )
    return PageItem(SOURCE.name, f"http://127.0.0.1:9/a/t20250101_{n}.html", 200, datetime.now(UTC), text=html)


def test_a_failing_page_is_rolled_back_alone(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(db_url, savepoints=True)
    db.upgrade()
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    batch = Batch(db, size=10)
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 1, 1), batch=batch)
    real = versions.link_repeals
    kept: list[Policy] = []  # as a logged traceback would: the failed page's objects outlive the failure

    def fails_for_page_2(unit: Any, session: Any, policy: Policy, *args: Any, **kwargs: Any) -> None:
        if "第2项" in policy.title:  # after its policy and version rows are written
            kept.append(policy)
            raise RuntimeError("page 2 breaks")
        real(unit, session, policy, *args, **kwargs)

    monkeypatch.setattr(versions, "link_repeals", fails_for_page_2)
    assert ingestor.ingest_page(_page(1)) == "new"
    with pytest.raises(RuntimeError, match="page 2 breaks"):
        ingestor.ingest_page(_page(2))
    assert ingestor.ingest_page(_page(3)) == "new"  # may take page 2's rolled-back ids
    changed = _page(3)
    changed.text = changed.text.replace("300万元", "350万元")
    assert ingestor.ingest_page(changed) == "changed"  # page 3's policy, found by its id
    batch.commit()
    with db.session() as s:
        stored = {p.title: sorted(v.seq for v in p.versions) for p in s.scalars(select(Policy))}
        assert stored == {"某区关于第1项措施的通知": [1], "某区关于第3项措施的通知": [1, 2]}
        assert s.scalar(select(Version).where(Version.text.contains("350万元"))) is not None
    db.dispose()


def test_on_postgresql_a_new_page_costs_three_round_trips(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new page at an address the crawl did not know, without repeal sentences: its savepoint (with
    the previous page's RELEASE, monitor.store.savepoints), its identity lookup (with the references
    that could name it, monitor.ingest.identity) and its policy with its first version in one
    INSERT (monitor.store.rows.insert_new_with). The batch's COMMIT ends the last savepoint."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite runs in the process: a statement is no round trip")
    import psycopg

    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(" ".join(str(query).split()))
        return execute(self, query, *args, **kwargs)

    db = Database(db_url, savepoints=True)
    db.upgrade()
    batch = Batch(db, size=10)
    ingestor = Ingestor(db, run_id=None, source=SOURCE, settings=Settings(), today=date(2026, 1, 1), batch=batch)
    pages = [replace(_page(n), new_address=True) for n in range(1, 6)]
    read = [read_page(page, SOURCE, {}) for page in pages]  # as the reader process does
    assert ingestor.ingest_page(pages[0], read[0]) == "new"
    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    for page, reading in zip(pages[1:], read[1:], strict=True):
        assert ingestor.ingest_page(page, reading) == "new"
    batch.commit()  # no RELEASE before it
    monkeypatch.undo()
    assert len(sent) == 4 * 3, sent
    assert all(q.startswith("RELEASE SAVEPOINT") and "; SAVEPOINT" in q for q in sent[::3])
    assert all("'twin'" in q and "pending_head" in q for q in sent[1::3])
    assert all(q.startswith("WITH parent AS (INSERT INTO policies") and "INSERT INTO versions" in q for q in sent[2::3])
    with db.session() as s:
        assert [sorted(v.seq for v in p.versions) for p in s.scalars(select(Policy))] == [[1]] * 5
    db.dispose()


def test_on_postgresql_a_crawl_refreshes_the_statistics_of_the_tables_it_fills(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables a crawl fills have no planner statistics until ANALYZE (autovacuum may be off or not
    yet come): the batch refreshes them when the pages it committed reach ANALYZE_FROM, and at
    each doubling after."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite plans without statistics")
    monkeypatch.setattr(batch_module, "ANALYZE_FROM", 3)
    db = Database(db_url, savepoints=True)
    db.upgrade()
    batch = Batch(db, size=2)
    ingestor = Ingestor(db, run_id=None, source=SOURCE, settings=Settings(), today=date(2026, 1, 1), batch=batch)

    def analysed() -> list[float]:
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid IN ('policies'::regclass, 'versions'::regclass) ORDER BY oid"
            )
            return [row[0] for row in rows]

    assert analysed() == [-1, -1]  # never analysed
    for n in range(1, 3):  # with the source's own unit, 3 committed units
        assert ingestor.ingest_page(_page(n), read_page(_page(n), SOURCE, {})) == "new"
    batch.commit()
    assert analysed() == [2, 2]
    for n in range(3, 6):
        assert ingestor.ingest_page(_page(n), read_page(_page(n), SOURCE, {})) == "new"
    batch.commit()
    assert analysed() == [5, 5]  # 6 units: doubled
    db.dispose()
