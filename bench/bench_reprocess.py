"""What an upgrade costs: re-fetching unchanged pages whose stored versions were derived by older code
(each is re-derived from its stored raw inputs before the comparison) against the same re-fetch with
current stamps, and `policywatch reprocess` throughput — on SQLite, with the demo site's detail pages
stored under many URLs.

    PYTHONPATH=. python bench/bench_reprocess.py [PAGES]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from itertools import cycle, islice

from sqlalchemy import update

from monitor.config import Settings, SourceConfig
from monitor.contracts import PageItem
from monitor.demo.site import DemoSite
from monitor.ingest import Ingestor
from monitor.reprocess import reprocess
from monitor.store.db import Database
from monitor.store.models import Run, Version

SOURCE = SourceConfig(name="bench", start_urls=("http://127.0.0.1:9/",), allow_private=True, region="某区")
TODAY = date(2026, 1, 1)


def items(n: int) -> list[PageItem]:
    pages = [(p, page) for p, page in DemoSite().pages(1).items() if "/t20" in p]
    return [
        PageItem(
            "bench",
            f"http://127.0.0.1:9/{i}{path}",
            200,
            datetime.now(UTC),
            body=page.body,
            text=page.body.decode("utf-8", "replace"),
            encoding="utf-8",
        )
        for i, (path, page) in enumerate(islice(cycle(pages), n))
    ]


def crawl(db: Database, batch: list[PageItem]) -> float:
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=TODAY)
    start = time.perf_counter()
    for item in batch:
        ingestor.ingest_page(item)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    batch = items(n)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        crawl(db, batch)
        current = crawl(db, batch)
        with db.session() as s:
            s.execute(update(Version).values(derived_by=0))
        stale = crawl(db, batch)
        start = time.perf_counter()
        summary = reprocess(db, [SOURCE], Settings(), today=TODAY)
        whole = time.perf_counter() - start
        db.dispose()
    print(f"{n} pages re-fetched unchanged, ms per page")
    print(f"  current stamps (hash compare only):      {1000 * current / n:8.2f}")
    print(f"  older stamps (re-derived, then compared): {1000 * stale / n:8.2f}")
    print(f"reprocess: {summary.versions} versions in {whole:.2f} s = {summary.versions / whole:.0f} versions/s")


if __name__ == "__main__":
    main()
