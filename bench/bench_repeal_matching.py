"""Storing one page in a large library with many unresolved repeal references, side by side with the
previous matcher (every pending reference compared with every stored title by SequenceMatcher), in
one run, on SQLite (and PostgreSQL when POLICYWATCH_BENCH_PG_URL is set).

    PYTHONPATH=. python bench/bench_repeal_matching.py [POLICIES] [PENDING]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path

from sqlalchemy import select

from bench.bench_crawl import database
from monitor.store.db import Database
from monitor.store.models import Policy, RepealLink
from monitor.titlekey import TITLE_MATCH_THRESHOLD
from tests.test_repeal_matching import library, new_page_ingestor, page


def previous_matcher(db: Database) -> float:
    """What storing a page cost before indexed keys: each pending reference × each stored title."""
    start = time.perf_counter()
    with db.session() as s:
        titles = [p.title_key for p in s.scalars(select(Policy))]
        for link in s.scalars(select(RepealLink).where(RepealLink.target_policy_id.is_(None))):
            for key in titles:
                if SequenceMatcher(None, link.target_key, key, autojunk=False).ratio() >= TITLE_MATCH_THRESHOLD:
                    break
    return time.perf_counter() - start


def store_one_page(db: Database) -> float:
    ingestor = new_page_ingestor(db)
    start = time.perf_counter()
    ingestor.ingest_page(page())
    return time.perf_counter() - start


def main() -> None:
    policies = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    pending = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    kinds = ["sqlite", "postgresql"] if os.environ.get("POLICYWATCH_BENCH_PG_URL") else ["sqlite"]
    print(f"{policies} stored policies, {pending} unresolved repeal references; one new page stored")
    print(f"{'database':<12}{'indexed keys (ms)':>20}{'previous scan (ms)':>22}{'speed-up':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in kinds:
            with database(name, Path(tmp)) as (db_url, _, _):
                db = Database(db_url)
                db.upgrade()
                library(db, policies, pending)
                new = store_one_page(db)
                old = previous_matcher(db)
                print(f"{name:<12}{new * 1000:>20.1f}{old * 1000:>22.1f}{old / new:>9.0f}×")
                db.dispose()


if __name__ == "__main__":
    main()
