"""Running it for real: the cron lock, a run killed mid-crawl, dry runs, and the APScheduler daemon.
Real `policywatch` processes against the demo site on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, table

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.site import DemoServer
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Run, Version

PW = [sys.executable, "-m", "monitor.cli"]


def _setup(tmp_path: Path, server: DemoServer, hook: WebhookReceiver, schedule: str | None = None) -> tuple[Path, Path]:
    sources = server.site.sources(server.base_url)
    for s in sources:
        s["download_delay"] = 0
        if schedule:
            s["schedule"] = schedule
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "policywatch.toml"
    config.write_text(
        f'[report]\ndir = "{tmp_path / "report"}"\n\n[[subscribers]]\nname = "hook"\n'
        f'urls = ["{hook.url.replace("http", "json", 1)}/a"]\n',
        encoding="utf-8",
    )
    return sources_file, config


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _baseline(db: Database, server: DemoServer, hook: WebhookReceiver) -> None:
    sources = parse_sources(server.site.sources_yaml(server.base_url))
    settings = Settings(subscribers=(Subscriber("hook", (hook.url.replace("http", "json", 1) + "/a",)),))
    run_once(db, sources, settings, report_dir=None, scrapy_overrides=DEMO_SCRAPY)


def _counts(db: Database) -> tuple[Counter[str], int, int]:
    with db.session() as s:
        events = Counter(t for (t,) in s.execute(select(Event.type)))
        versions = s.scalar(select(func.count()).select_from(Version)) or 0
        alerts = s.scalar(select(func.count()).select_from(Alert)) or 0
    return events, versions, alerts


PLANTED = Counter({"text_changed": 1, "new_policy": 1, "repealed": 1, "expiry_changed": 1, "removed": 1})


def test_second_concurrent_run_exits_with_the_lock_code(db_url: str, tmp_path: Path) -> None:
    with DemoServer(delay=0.3) as server, WebhookReceiver() as hook:
        sources_file, config = _setup(tmp_path, server, hook)
        args = [*PW, "run", "--sources", str(sources_file), "--config", str(config), "--db", db_url]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        _wait_for_running_run(db_url, first)  # it holds the lock while it crawls the slowed-down site
        second = subprocess.run(args, capture_output=True, text=True, timeout=120, env=_env())
        out, errors = first.communicate(timeout=300)
    assert second.returncode == 3, second.stdout + second.stderr
    assert "another policywatch run" in second.stderr
    assert first.returncode == 0, out + errors


def _wait_for_running_run(db_url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Poll (with a deadline) until `process` has opened its run: it holds the run lock from then on."""
    db = Database(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if any(status == "running" for *_, status in _runs(db)):
                    return
            except Exception:  # the schema is still being created by the first run
                pass
            time.sleep(0.1)
    finally:
        db.dispose()
    pytest.fail(f"the first run never started (exit code {process.poll()})")


def test_run_killed_mid_crawl_then_rerun_loses_and_duplicates_nothing(db: Database, tmp_path: Path) -> None:
    with DemoServer(delay=0.25) as server, WebhookReceiver() as hook:
        _baseline(db, server, hook)
        server.site.revision = 2
        sources_file, config = _setup(tmp_path, server, hook)
        args = [*PW, "run", "--sources", str(sources_file), "--config", str(config), "--db", db.url]
        victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
        deadline = time.time() + 60
        while time.time() < deadline and _counts(db)[1] == 20:  # wait for the first new version
            time.sleep(0.2)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        time.sleep(1.5)  # the crawl child notices its parent is gone and exits
        partial_events, _, _ = _counts(db)
        assert sum(partial_events.values()) < 5, "the run was killed too late to test anything"
        server.delay = 0
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=_env())
        assert done.returncode == 0, done.stdout + done.stderr
        again = subprocess.run(args, capture_output=True, text=True, timeout=300, env=_env())
        assert again.returncode == 0
        events, versions, alerts = _counts(db)
        assert events == PLANTED
        assert versions == 23  # 20 baseline + amount + expiry + new policy
        assert alerts == 5
        with db.session() as s:
            assert {a.status for a in s.scalars(select(Alert))} == {"sent"}
        assert len(hook.received) == 5
        assert len({r["body"]["message"].rsplit("policywatch ", 1)[-1] for r in hook.received}) == 5


def test_dry_run_reports_but_stores_and_sends_nothing(db: Database, tmp_path: Path) -> None:
    with DemoServer() as server, WebhookReceiver() as hook:
        _baseline(db, server, hook)
        server.site.revision = 2
        sources_file, config = _setup(tmp_path, server, hook)
        before = _counts(db)
        done = subprocess.run(
            [*PW, "run", "--dry-run", "--sources", str(sources_file), "--config", str(config), "--db", db.url],
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert _counts(db) == before and hook.received == []
        assert done.stdout.count("would record") == 4  # the removal needs a second run to be confirmed
        assert "text_changed: 北京市东城区推动数字经济产业高质量发展的若干措施" in done.stdout.replace("\n", "")
        with db.session() as s:
            assert s.scalar(select(Run.status).order_by(Run.id.desc()).limit(1)) == "dry-run"


def _runs(db: Database) -> list[tuple[datetime, datetime | None, str]]:
    with db.session() as s:
        return [(r.started_at, r.finished_at, r.status) for r in s.scalars(select(Run).order_by(Run.id))]


@pytest.mark.parametrize("schedule", ["*/4 * * * * *"])
def test_daemon_runs_survives_restart_and_stops_on_sigterm(db_url: str, tmp_path: Path, schedule: str) -> None:
    with DemoServer() as server, WebhookReceiver() as hook:
        sources_file, config = _setup(tmp_path, server, hook, schedule=schedule)
        # Two sources keep the test short.
        data = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
        data["sources"] = data["sources"][:2]
        sources_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        args = [*PW, "schedule", "--sources", str(sources_file), "--config", str(config), "--db", db_url]
        db = Database(db_url)
        db.upgrade()
        for _ in range(2):  # start, stop, start again: the persisted jobs must not double up
            daemon = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
            deadline = time.time() + 90
            start_count = len(_runs(db))
            while time.time() < deadline and len([r for r in _runs(db) if r[2] != "running"]) < start_count + 2:
                time.sleep(0.5)
            stopped_at = time.time()
            daemon.send_signal(signal.SIGTERM)
            _, errors = daemon.communicate(timeout=120)
            # The job in progress finishes first (a run is never cut in half): at most one run's
            # length, plus 10 s, whatever the machine's load.
            longest = max(((f - s).total_seconds() for s, f, _ in _runs(db) if s and f), default=0.0)
            assert time.time() - stopped_at < longest + 10, f"SIGTERM must stop the daemon within {longest:.0f} + 10 s"
            assert daemon.returncode == 0, errors[-3000:]
        runs = _runs(db)
        assert len(runs) >= 4
        assert all(status != "running" for _, _, status in runs), runs
        # One job at a time: no run started before the previous one finished.
        for (_, prev_end, _), (start, _, _) in pairwise(runs):
            assert prev_end is not None and start >= prev_end
        with db.session() as s:
            jobs = s.scalar(select(func.count()).select_from(table("apscheduler_jobs")))
        assert jobs == 4  # two sources + lifecycle + outbox, not doubled by the restart
        assert "scheduled crawl" in errors
        db.dispose()


def test_log_json_makes_every_stderr_line_a_json_object(db_url: str, tmp_path: Path) -> None:
    import json

    with DemoServer() as server, WebhookReceiver() as hook:
        sources_file, config = _setup(tmp_path, server, hook)
        done = subprocess.run(
            [
                *PW,
                "--log-json",
                "-v",
                "run",
                "--source",
                "demo-chaoyang",
                "--sources",
                str(sources_file),
                "--config",
                str(config),
                "--db",
                db_url,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
        )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "policywatch.ingest" and "new" in r["message"] for r in records)
    assert any(r["logger"].startswith("scrapy") for r in records)  # the crawl child's lines too
