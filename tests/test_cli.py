"""The `policywatch` command as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from monitor.demosite import DemoSite

PW = [sys.executable, "-m", "monitor.cli"]


def pw(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PW, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_demo_then_events_json_show_exactly_the_planted_changes(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    done = pw("demo", "--workdir", str(work))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "report" / "index.html").is_file()
    assert "report:" in done.stdout
    listed = pw("events", "--json", "--db", f"sqlite:///{work / 'policywatch.db'}")
    assert listed.returncode == 0, listed.stderr
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    expected = DemoSite().expected_titles()
    assert sorted((e["type"], e["policy_title"]) for e in events) == sorted(
        (t, expected[t]) for t in ("text_changed", "new_policy", "repealed", "expiry_changed", "removed")
    )
    for e in events:
        assert {"type", "policy_title", "url", "detected_at", "details"} <= set(e)
    assert all(expected["chrome_only"] != e["policy_title"] for e in events)
    delivered = [json.loads(line) for line in (work / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(delivered) == 5


def test_bad_sources_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "- name: ok\n  start_urls: [http://127.0.0.1:9/]\n- name: broken\n  start_urls: [ftp://x]\n", encoding="utf-8"
    )
    done = pw("run", "--sources", str(bad), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2
    assert f"{bad}:3" in done.stderr and "ftp://x" in done.stderr


def test_unreachable_database_exits_2_without_leaking_the_password(tmp_path: Path) -> None:
    src = tmp_path / "sources.yaml"
    src.write_text("- name: a\n  start_urls: [http://127.0.0.1:9/]\n", encoding="utf-8")
    done = pw("run", "--sources", str(src), "--db", "postgresql://u:s3cretpw@127.0.0.1:1/db")
    assert done.returncode == 2
    assert "cannot open database" in done.stderr
    assert "s3cretpw" not in done.stderr + done.stdout


def test_help_explains_the_commands() -> None:
    done = pw("--help")
    assert done.returncode == 0
    for command in ("demo", "run", "events", "report"):
        assert command in done.stdout
