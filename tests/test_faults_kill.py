"""Kill points (#17 part 3): a run SIGKILLed — the parent, or separately the crawl child — mid-crawl,
mid-ingest of a page, between storing events and delivering alerts, and mid-delivery; then a normal
run (and, for a claim left by the kill, the run after the 10-minute lease). Counted with a local
receiver: no duplicate or missing version, event or alert; the lock is released; the killed run is
marked interrupted (parent killed) or partial (crawl child killed). The points inside the process use
the documented test seam `POLICYWATCH_KILL_AT` (monitor/killpoint.py); the parent mid-crawl is killed
from outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from monitor.config import Settings, Subscriber
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Run, Version
from notifier.outbox import deliver_pending
from tests.fault_server import LEDGER, Fault, FaultSite, list_page, policy_page
from tests.robot_receiver import RobotReceiver

pytestmark = pytest.mark.faults

PW = [sys.executable, "-m", "monitor.cli"]
PATHS = [f"/zcwj/202501/t2025010{n}_{n}.html" for n in range(1, 5)]
NEW = "/zcwj/202501/t20250105_5.html"
EXPECTED_EVENTS = Counter({("text_changed", PATHS[0]): 1, ("new_policy", NEW): 1})
# point → (who dies, how the killed run ends up)
POINTS = {
    "parent-mid-crawl": ("parent", "interrupted"),
    "page-received#2": ("child", "partial"),
    "ingest-uncommitted#1": ("child", "partial"),
    "before-delivery": ("parent", "interrupted"),
    "delivery-accepted#1": ("parent", "interrupted"),
}
ON_POSTGRESQL = {"ingest-uncommitted#1", "delivery-accepted#1"}


class Bed:
    def __init__(self, tmp_path: Path, db_url: str, site: FaultSite, robot: RobotReceiver) -> None:
        self.site, self.robot, self.db_url = site, robot, db_url
        self.sources = tmp_path / "sources.yaml"
        self.sources.write_text(
            f'- name: site\n  start_urls: ["{site.base}/zcwj/index.html"]\n  allow_private: true\n'
            "  download_delay: 0\n  concurrency: 1\n",
            encoding="utf-8",
        )
        self.hook = robot.url.replace("http", "json", 1) + "/hook"
        self.config = tmp_path / "policywatch.toml"
        self.config.write_text(f'[[subscribers]]\nname = "ops"\nurls = ["{self.hook}"]\n', encoding="utf-8")
        site.publish("/zcwj/index.html", list_page(PATHS))
        for n, path in enumerate(PATHS, 1):
            site.publish(path, policy_page(n))

    def args(self) -> list[str]:
        return [*PW, "run", "--sources", str(self.sources), "--config", str(self.config), "--db", self.db_url]

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.args(), capture_output=True, text=True, timeout=300, env={**os.environ, **env})

    def plant(self) -> None:
        """A real change (policy 1's amount) and a new policy: two events, two alerts."""
        self.site.publish(PATHS[0], policy_page(1, amount=800))
        self.site.publish(NEW, policy_page(5))
        self.site.publish("/zcwj/index.html", list_page([*PATHS, NEW]))


def kill_parent_mid_crawl(bed: Bed) -> int:
    """Pages answer slowly; the parent is killed once the crawl child has asked for two of them."""
    for path in [*PATHS, NEW]:
        bed.site.faults[path] = Fault("delay", delay=1.5)
    before = sum(bed.site.hits(p) for p in [*PATHS, NEW])  # the baseline's requests
    victim = subprocess.Popen(bed.args(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum(bed.site.hits(p) for p in [*PATHS, NEW]) - before < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert time.monotonic() < deadline, "the crawl never reached the policy pages"
    victim.send_signal(signal.SIGKILL)
    code = victim.wait(timeout=30)
    bed.site.faults.clear()
    return code


@pytest.mark.parametrize("point", list(POINTS))
def test_a_run_killed_at_any_point_then_a_normal_run_loses_and_doubles_nothing(
    db_url: str, tmp_path: Path, point: str
) -> None:
    if db_url.startswith("postgresql") and point not in ON_POSTGRESQL:
        pytest.skip("the transaction points are enough on PostgreSQL")
    who, killed_status = POINTS[point]
    with FaultSite() as site, RobotReceiver() as robot:
        bed = Bed(tmp_path, db_url, site, robot)
        baseline = bed.run()
        assert baseline.returncode == 0, baseline.stderr
        bed.plant()
        if point == "parent-mid-crawl":
            code = kill_parent_mid_crawl(bed)
        else:
            code = bed.run(POLICYWATCH_KILL_AT=point).returncode
        # The parent died by the signal, or it outlived its killed crawl child and said so (exit 1).
        assert code == (-signal.SIGKILL if who == "parent" else 1), code
        started = time.monotonic()
        recovery = bed.run()  # the lock is free again: no "another run holds the lock" (exit 3)
        assert recovery.returncode == 0, recovery.stdout + recovery.stderr
        assert time.monotonic() - started < 120
        # A claim the kill left behind is retried once its lease is over (the next run, later on).
        deliver_pending(
            Database(db_url),
            Settings(subscribers=(Subscriber("ops", (bed.hook,)),)),
            now=datetime.now(UTC) + timedelta(minutes=11),
        )

    db = Database(db_url)
    with db.session() as s:
        statuses = [r.status for r in s.scalars(select(Run).order_by(Run.id))]
        events = Counter((e.type, "/" + e.policy.url.split("/", 3)[3]) for e in s.scalars(select(Event)))
        versions = Counter("/" + v.policy.url.split("/", 3)[3] for v in s.scalars(select(Version)))
        alerts = [a.status for a in s.scalars(select(Alert))]
    db.dispose()
    assert statuses == ["ok", killed_status, "ok"], statuses
    assert events == EXPECTED_EVENTS, events
    assert versions == Counter({PATHS[0]: 2, **dict.fromkeys(PATHS[1:], 1), NEW: 1}), versions
    assert alerts == ["sent", "sent"], alerts
    # The receiver shows each alert once; only a kill after a channel accepted one can make it send
    # that one again — with the same key, so the receiver drops the copy.
    assert robot.distinct() == 2, robot.keys()
    copies = sorted(robot.keys().values())
    assert copies == ([1, 2] if point.startswith("delivery-accepted") else [1, 1]), robot.keys()
    LEDGER.update({"kill points survived": 1, "planted changes alerted": 2, "alerts counted by a receiver": 2})


def test_a_first_start_killed_mid_migration_leaves_no_half_schema(db_url: str) -> None:
    """A first `policywatch run` killed while creating its schema (CI met it: killed 0.5 s after start)
    leaves the database as it was, and the next start creates the whole schema."""
    create = f"from monitor.store.db import Database; Database({db_url!r}).upgrade()"
    env = {**os.environ, "POLICYWATCH_KILL_AT": "schema-upgrade#12"}  # a dozen statements into migration 0001
    killed = subprocess.run([sys.executable, "-c", create], env=env, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    db = Database(db_url)
    assert inspect(db.engine).get_table_names() == []
    db.upgrade()
    assert db.at_head()
    assert {"runs", "policies", "versions", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    db.dispose()
