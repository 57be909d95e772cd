"""The daemon restarted inside the misfire grace runs the missed source once (issue #18 item 7):
the stored job keeps its next run time instead of being recomputed from now, and the start-up log
says when each job runs next (never "next None")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from monitor.store.db import Database
from tests.fault_server import FaultSite, list_page, policy_page

pytestmark = pytest.mark.faults

PW = [sys.executable, "-m", "monitor.cli"]


def _daemon(args: list[str], until: object, timeout: float = 90) -> str:
    daemon = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until():  # type: ignore[operator]
        time.sleep(0.3)
    daemon.send_signal(signal.SIGTERM)
    _, errors = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, errors[-3000:]
    return errors


def test_restart_inside_the_misfire_grace_runs_the_missed_source_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    db = Database(db_url)
    db.upgrade()
    with FaultSite() as site:
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html"]))
        site.publish("/zcwj/202501/t1.html", policy_page(1))
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f'sources:\n  - name: site\n    start_urls: ["{site.base}/zcwj/index.html"]\n    allow_private: true\n'
            '    download_delay: 0\n    schedule: "10 2 * * *"\n',
            encoding="utf-8",
        )
        args = [*PW, "schedule", "--sources", str(sources), "--db", db_url]
        store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
        first = _daemon(args, until=lambda: store.lookup_job("source:site") is not None, timeout=60)
        assert "next None" not in first and "scheduled crawl site: next 20" in first
        assert site.hits("/zcwj/index.html") == 0  # due at 02:10, not now

        # The daemon was down when the job was due 10 minutes ago (inside the one-hour grace).
        job = store.lookup_job("source:site")
        state = job.__getstate__()
        state["next_run_time"] = datetime.now(UTC) - timedelta(minutes=10)
        job.__setstate__(state)
        store.update_job(job)
        second = _daemon(args, until=lambda: site.hits("/zcwj/202501/t1.html") > 0)
    assert "next None" not in second
    assert site.hits("/zcwj/index.html") == 1, second[-2000:]  # the missed run, once
    db.dispose()
