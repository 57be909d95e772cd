"""Store benchmark: the store process's work alone, on SQLite and PostgreSQL side by side in one run
(issue #16: PostgreSQL within 1.2× of SQLite).

    PYTHONPATH=. python bench/bench_store.py [--pages 5000] [--db sqlite,postgresql] [--top 8]

Reads N pages of the crawl benchmark's mirror (bench.mirror) as the reader process does, then stores
them through one Ingestor in batches of crawler.storeside.BATCH_PAGES, as the store process does — no
crawl, no other process. Prints per database: ms per page (wall and CPU), SQL statements per page,
the ratio to SQLite, and the statements that took the most time (from the client: round trip and
driver included). On PostgreSQL the store waits for the server on every statement, so statements per
page is the figure to bring down."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import mirror
from bench.bench_crawl import database
from crawler.pipelines import read_for_store
from crawler.storeside import BATCH_PAGES
from monitor.config import Settings, SourceConfig
from monitor.contracts import PageItem
from monitor.ingest import Ingestor
from monitor.ingest.batch import Batch
from monitor.ingest.reading import Reading
from monitor.store.db import Database
from monitor.store.models import Run

BASE = "http://127.0.0.1:9"
SOURCE = SourceConfig(name="library", start_urls=(f"{BASE}/lib/index.html",), allow_private=True, region="北京市某区")


@dataclass
class Statements:
    """Each SQL statement's count and client-side time, keyed by its first words."""

    count: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    _started: float = 0.0

    def watch(self, db: Database) -> None:
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self._started = time.perf_counter()
        self.count[_label(statement)] += 1

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seconds[_label(statement)] += time.perf_counter() - self._started


def _label(statement: str) -> str:
    words = " ".join(statement.split())
    return words if len(words) <= 70 else words[:69] + "…"


def read_pages(root: Path, pages: int) -> list[tuple[PageItem, Reading]]:
    fetched = datetime.now(UTC)
    read = []
    for i in range(pages):
        path = mirror.detail_path(i)
        body = (root / path.lstrip("/")).read_bytes()
        item = PageItem(
            SOURCE.name, BASE + path, 200, fetched, body=body, text=body.decode(), encoding="utf-8", new_address=True
        )
        read.append(read_for_store(item, SOURCE, {}))
    return read


@dataclass
class Result:
    kind: str
    wall: float
    cpu: float
    statements: Statements


def store_all(url: str, kind: str, read: list[tuple[PageItem, Reading]]) -> Result:
    Database(url).upgrade()
    db = Database(url, savepoints=True)
    with db.session() as session:
        run = Run(started_at=datetime.now(UTC), stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    batch = Batch(db, size=BATCH_PAGES)
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 11, 28), batch=batch)
    statements = Statements()
    statements.watch(db)
    wall, cpu = time.perf_counter(), time.process_time()
    for item, reading in read:
        if ingestor.ingest_page(item, reading) != "new":
            raise SystemExit(f"{item.url} was not stored as new: the benchmark's pages are all new")
    batch.commit()
    result = Result(kind, time.perf_counter() - wall, time.process_time() - cpu, statements)
    db.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--top", type=int, default=8, help="statements listed per database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-bench-store-") as tmp_name:
        tmp = Path(tmp_name)
        mirror.build(tmp / "site", args.pages)
        read = read_pages(tmp / "site", args.pages)
        results = []
        for kind in args.db.split(","):
            with database(kind, tmp) as (url, _path, _schema):
                results.append(store_all(url, kind, read))
    n = args.pages
    first = results[0]
    print(f"{n} new pages stored in batches of {BATCH_PAGES}, one process")
    header = f"{'db':<12}{'ms/page':>9}{'CPU ms/page':>13}{'statements/page':>17}{f'× {first.kind}':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        per_page = sum(r.statements.count.values()) / n
        print(
            f"{r.kind:<12}{r.wall * 1000 / n:>9.2f}{r.cpu * 1000 / n:>13.2f}{per_page:>17.1f}{r.wall / first.wall:>11.2f}"
        )
    for r in results:
        print(f"\n{r.kind}: statements by time (per page: count, ms)")
        for label, seconds in r.statements.seconds.most_common(args.top):
            print(f"  {r.statements.count[label] / n:5.2f}  {seconds * 1000 / n:6.3f}  {label}")


if __name__ == "__main__":
    main()
