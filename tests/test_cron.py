"""The README's cron line, run exactly as cron would run it (sh -c, a bare environment, MAILTO set):
a clean night prints nothing, so cron mails nothing; a failing source is one line of mail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from monitor.demo.receiver import WebhookReceiver
from monitor.demo.site import DemoServer

REPO = Path(__file__).resolve().parent.parent


def readme_cron_block() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### cron\n.*?```cron\n(.*?)```", readme, re.S)
    assert block, "README has a ```cron block under ### cron"
    return block.group(1).splitlines()


def _install(tmp_path: Path, server: DemoServer, hook: WebhookReceiver, dead_source: bool = False) -> str:
    """Lay out /srv/policywatch in tmp_path and return the README line pointed at it."""
    srv = tmp_path / "srv"
    (srv / "venv" / "bin").mkdir(parents=True, exist_ok=True)
    executable = srv / "venv" / "bin" / "policywatch"  # what `pip install` puts there, for this checkout
    executable.write_text(f'#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m monitor.cli "$@"\n')
    executable.chmod(0o755)
    sources = server.site.sources(server.base_url)
    for s in sources:
        s["download_delay"] = 0
    if dead_source:
        sources.append(
            {"name": "dead", "region": "北京市", "start_urls": ["http://127.0.0.1:9/list/"], "allow_private": True}
        )
    (srv / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    (srv / "policywatch.toml").write_text(
        f'[[subscribers]]\nname = "ops"\nurls = ["{hook.url.replace("http", "json", 1)}/alerts"]\n', encoding="utf-8"
    )
    [line] = [line for line in readme_cron_block() if re.match(r"^[\d*]", line)]
    command = line.split(None, 5)[5]
    assert "/srv/policywatch" in command and "postgresql://policywatch@/policywatch" in command
    return command.replace("/srv/policywatch", str(srv)).replace(
        "postgresql://policywatch@/policywatch", f"sqlite:///{tmp_path / 'pw.db'}"
    )


def _cron(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": str(home), "MAILTO": "ops@example.invalid"}
    return subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, env=env, timeout=300)


def test_the_readme_cron_line_prints_nothing_on_clean_runs(tmp_path: Path) -> None:
    block = readme_cron_block()
    assert "CRON_TZ=Asia/Shanghai" in block and any(line.startswith("MAILTO=") for line in block)
    with DemoServer() as server, WebhookReceiver() as hook:
        command = _install(tmp_path, server, hook)
        baseline = _cron(command, tmp_path)
        assert (baseline.returncode, baseline.stdout, baseline.stderr) == (0, "", "")
        server.site.revision = 2
        for _ in range(2):  # a removal is confirmed by the second run that finds the page gone
            changes = _cron(command, tmp_path)
            assert (changes.returncode, changes.stdout, changes.stderr) == (0, "", "")
    assert len(hook.received) == 5  # the alerts went out; the operator's mailbox stayed empty


def test_a_failing_source_is_one_line_of_cron_mail(tmp_path: Path) -> None:
    with DemoServer() as server, WebhookReceiver() as hook:
        done = _cron(_install(tmp_path, server, hook, dead_source=True), tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("dead: ") and "127.0.0.1:9" in line and "Connection" in line
