"""Crash safety (issue #18 item 4, #17 part 3): a `policywatch run` SIGKILLed at several points leaves
no crawl child running without the lock, and the next run marks the killed run interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store.db import Database
from monitor.store.models import Run
from tests.fault_server import LEDGER, Fault, FaultSite, list_page, policy_page

pytestmark = pytest.mark.faults

PW = [sys.executable, "-m", "monitor.cli"]


def tagged_processes(tag: str) -> list[int]:
    """Crawl children (multiprocessing spawn) started under the environment marker `tag`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"PW_FAULT_TAG={tag}".encode() in environ and b"--multiprocessing-fork" in cmdline:
            found.append(int(entry.name))
    return found


def slow_site(site: FaultSite, pages: int = 6) -> list[str]:
    paths = [f"/zcwj/202501/t{n}.html" for n in range(1, pages + 1)]
    site.publish("/zcwj/index.html", list_page(paths))
    for n, path in enumerate(paths, 1):
        site.publish(path, policy_page(n))
        site.faults[path] = Fault("delay", delay=4)
    return paths


def write_sources(tmp_path: Path, site: FaultSite) -> Path:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - name: site\n    start_urls: ["{site.base}/zcwj/index.html"]\n    allow_private: true\n'
        "    download_delay: 0\n    concurrency: 1\n",
        encoding="utf-8",
    )
    return sources


# Seconds after start: before the crawl child exists, while it imports Scrapy (the window in which
# an orphan used to survive), as its first requests go out, and mid-crawl.
@pytest.mark.parametrize("kill_after", [0.5, 2.0, 2.5, 4.0])
def test_parent_killed_early_leaves_no_crawl_child_and_is_marked_interrupted(
    db_url: str, tmp_path: Path, kill_after: float
) -> None:
    if db_url.startswith("postgresql") and kill_after != 2.0:
        pytest.skip("one kill point on PostgreSQL is enough: the lock differs, the child guard does not")
    tag = uuid.uuid4().hex
    env = {**os.environ, "PW_FAULT_TAG": tag}
    with FaultSite() as site:
        paths = slow_site(site)
        args = [*PW, "run", "--sources", str(write_sources(tmp_path, site)), "--db", db_url]
        victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(kill_after)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        deadline = time.monotonic() + 10  # an orphan may still be importing Scrapy before it checks
        while tagged_processes(tag) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tagged_processes(tag) == [], "a crawl child outlived its killed parent"
        requests_after_kill = len(site.requests)
        time.sleep(2)
        assert len(site.requests) == requests_after_kill, "something still crawls for the killed run"

        site.faults.clear()
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    db = Database(db_url)
    with db.session() as s:
        statuses = [r.status for r in s.scalars(select(Run).order_by(Run.id))]
    db.dispose()
    # The killed run (if it got as far as creating its row) is interrupted, never left "running".
    assert statuses[-1] == "ok" and set(statuses[:-1]) <= {"interrupted"}
    assert all(site.hits(p) >= 1 for p in paths)
    LEDGER["kill points survived"] += 1
