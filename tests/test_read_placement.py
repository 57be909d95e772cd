"""Where a page is read (crawler/pipelines.py): by the crawl process while the store process is behind,
else by the store process. Either way the same versions, facts and statuses are stored: the fixture
sites (TRS pages with PDF and DOCX attachments, mislabelled encodings, a JSON API whose rows carry the
official 有效性, a 412 challenge) crawled for real with every page read by the crawl process, and with
every page read by the store process (the list rows' fields sent along), store the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, parse_sources
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Policy, Version
from tests.fixture_server import FixtureServer
from tests.test_fixture_sites import SOURCES, TODAY, _site


def _stored(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as s:
        rows = s.execute(
            select(Policy.url, Policy.title, Policy.doc_number, Policy.status, Policy.status_source, Version)
            .join(Version, Version.policy_id == Policy.id)
            .order_by(Policy.url, Version.seq)
        )
        return [(*row[:-1], row[-1].seq, row[-1].text, row[-1].lifecycle, row[-1].inputs) for row in rows]


def test_pages_read_by_either_process_are_stored_alike(tmp_path: Path) -> None:
    stored = []
    with FixtureServer(_site()) as server:
        sources = parse_sources(SOURCES.format(base=server.base))
        for name, read_here_from in (("crawl", 0), ("store", 10**9)):
            db = Database(f"sqlite:///{tmp_path / name}.db")
            db.upgrade()
            overrides = {**DEMO_SCRAPY, "POLICYWATCH_READ_HERE_FROM": read_here_from}
            result = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides=overrides)
            assert sum(s["new"] for s in result.source_stats.values()) >= 4
            stored.append(_stored(db))
            db.dispose()
    crawl_side, store_side = stored
    official = [row for row in crawl_side if row[4] == "official_label"]  # the API row's 有效性 was read
    assert official and crawl_side == store_side
