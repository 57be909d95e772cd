"""Two entry points, one behaviour: `scrapy crawl policy -a source=NAME` (a real subprocess, its
scrapy.cfg pointing at a settings module that names a temporary config and database) records the
same versions and events as `policywatch run --source NAME` against a second database, over three
runs of a site in two revisions — conditional requests, incremental re-checks, removal detection
(confirmed by the third run) and a finished run row included."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import load_settings, load_sources
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Run, Version
from tests.fault_server import list_page, policy_page
from tests.fixture_server import Fixture, FixtureServer

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _revision(n: int) -> dict[str, Fixture]:
    """Revision 1: policies 1–4. Revision 2: 1's amount changed, 2 gone (404, off the list),
    3's expiry moved, 4 as it was, 5 new."""
    pages = {1: policy_page(1), 2: policy_page(2), 3: policy_page(3), 4: policy_page(4)}
    if n == 2:
        pages[1] = policy_page(1, amount=800)
        del pages[2]
        pages[3] = policy_page(3, expiry="有效期至2029年12月31日")
        pages[5] = policy_page(5)
    paths = {i: f"/zcwj/202501/t20250102_{i}.html" for i in pages}
    site = {path: Fixture(pages[i].encode(), etag=True) for i, path in paths.items()}
    site["/zcwj/index.html"] = Fixture(list_page(list(paths.values())).encode())
    site["/robots.txt"] = Fixture(b"User-agent: *\nAllow: /\n", "text/plain")
    return site


def _files(tmp: Path, name: str, base: str) -> Path:
    """A config (database, report dir) and the sources file for one side of the comparison."""
    side = tmp / name
    side.mkdir()
    (side / "sources.yaml").write_text(
        f'- name: own\n  region: 某区\n  start_urls: ["{base}/zcwj/index.html"]\n  allow_private: true\n  download_delay: 0\n',
        encoding="utf-8",
    )
    (side / "policywatch.toml").write_text(
        f'[database]\nurl = "sqlite:///{side / "pw.db"}"\n\n[report]\ndir = "{side / "report"}"\n', encoding="utf-8"
    )
    return side


def _scrapy_project(side: Path) -> None:
    """scrapy.cfg → a settings module: the project's, with this side's files and the demo's pace."""
    (side / "scrapy.cfg").write_text("[settings]\ndefault = parity_settings\n", encoding="utf-8")
    pace = "".join(f"{key} = {value!r}\n" for key, value in DEMO_SCRAPY.items())
    (side / "parity_settings.py").write_text(
        "from crawler.settings import *  # noqa: F403\n"
        f"POLICYWATCH_CONFIG = {str(side / 'policywatch.toml')!r}\n"
        f"POLICYWATCH_SOURCES = {str(side / 'sources.yaml')!r}\n{pace}",
        encoding="utf-8",
    )


def _scrapy_crawl(side: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYWATCH_", "SCRAPY_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(side), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "policy", "-a", "source=own"],
        cwd=side,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _record(db_url: str) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """Versions' hashes per URL, events' types per policy URL, the runs' statuses."""
    db = Database(db_url)
    versions: dict[str, list[str]] = defaultdict(list)
    events: dict[str, list[str]] = defaultdict(list)
    with db.session() as session:
        for url, digest in session.execute(
            select(Policy.url, Version.content_hash).join(Version.policy).order_by(Policy.url, Version.seq)
        ):
            versions[url].append(digest)
        for url, type_ in session.execute(
            select(Policy.url, Event.type).join(Event.policy).order_by(Policy.url, Event.id)
        ):
            events[url].append(type_)
        runs = list(session.scalars(select(Run.status).order_by(Run.id)))
    db.dispose()
    return dict(versions), dict(events), runs


def test_scrapy_crawl_records_what_policywatch_run_records(tmp_path: Path) -> None:
    with FixtureServer(_revision(1)) as server:
        scrapy_side, run_side = _files(tmp_path, "scrapy", server.base), _files(tmp_path, "run", server.base)
        _scrapy_project(scrapy_side)
        settings = load_settings(run_side / "policywatch.toml")
        sources = load_sources(run_side / "sources.yaml")
        run_db = Database(str(settings.database_url))
        run_db.upgrade()
        conditional = []
        for revision in (1, 2, 2):  # the third run confirms the removal
            server.pages = _revision(revision)
            before = len(server.requests)
            crawl = _scrapy_crawl(scrapy_side)
            assert crawl.returncode == 0, crawl.stderr[-3000:]
            conditional.append([p for p, h in server.requests[before:] if "If-None-Match" in h])
            run_once(run_db, sources, settings, report_dir=settings.report_dir, scrapy_overrides=DEMO_SCRAPY)
        run_db.dispose()

    scrapy_versions, scrapy_events, scrapy_runs = _record(f"sqlite:///{scrapy_side / 'pw.db'}")
    run_versions, run_events, run_runs = _record(str(settings.database_url))
    assert scrapy_versions == run_versions
    assert scrapy_events == run_events
    assert scrapy_runs == run_runs == ["ok", "ok", "ok"]  # finished, never left "running"
    # The comparison is not between two empty records: every kind of change was seen.
    assert sorted(t for types in scrapy_events.values() for t in types) == [
        "expiry_changed",
        "new_policy",
        "removed",
        "text_changed",
    ]
    assert len(scrapy_versions[server.base + "/zcwj/202501/t20250102_1.html"]) == 2
    # Known pages were re-checked conditionally by the bare crawl too (none on the first run).
    assert conditional[0] == [] and len(conditional[1]) >= 3
    assert (scrapy_side / "report" / "index.html").is_file()


def test_scrapy_crawl_of_a_paused_source_fetches_nothing_and_finishes_its_run(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from monitor.store.models import Source

    with FixtureServer(_revision(1)) as server:
        side = _files(tmp_path, "scrapy", server.base)
        _scrapy_project(side)
        db = Database(f"sqlite:///{side / 'pw.db'}")
        db.upgrade()
        with db.session() as session:
            session.add(Source(name="own", region="某区", paused_at=datetime.now(UTC)))
        crawl = _scrapy_crawl(side)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert "source own is paused" in crawl.stderr
        assert not [p for p, _ in server.requests if p.startswith("/zcwj/")]
    versions, events, runs = _record(f"sqlite:///{side / 'pw.db'}")
    db.dispose()
    assert (versions, events, runs) == ({}, {}, ["ok"])
