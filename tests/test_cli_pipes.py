"""The command line in pipes, scripts, cron and monitoring: --json on every listing, Nagios-style
`status`, the alert outbox commands, input validation. In-process (click's CliRunner: its output
is not a terminal, like a pipe) unless a real process is the point."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from monitor.cli import cli
from monitor.config import Subscriber
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.smtpsink import free_port
from monitor.events import record_event
from monitor.rules import EventSpec
from monitor.store.db import Database, resolve_database_url
from monitor.store.models import Alert, Policy, PolicyAlias, Run, Source
from monitor.vocab import EventType
from tests.message_samples import AMOUNT_CLAUSE, AMOUNT_FACT

LONG_TITLE = "北京市东城区推动数字经济产业高质量发展的若干措施(一个很长很长的标题,在管道里也不能被截断成几个字)"


def pw(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _store(db: Database, hook_url: str, run_stats: dict[str, dict[str, object]], n: int = 2) -> None:
    """A run, n policies with a text_changed event each, and an alert per event for `hook`."""
    sub = Subscriber("hook", (hook_url,))
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(Run(started_at=now, finished_at=now, status="ok", stats=run_stats))
        source = Source(name="dongcheng", region="北京市东城区")
        for i in range(n):
            policy = Policy(source=source, url=f"http://127.0.0.1:9/p{i}.html", title=f"{LONG_TITLE}{i}")
            policy.doc_number, policy.first_seen, policy.last_seen = f"东经信发〔2025〕{i}号", now, now
            s.add(policy)
            s.flush()
            details = {"clauses": [AMOUNT_CLAUSE], "facts": [AMOUNT_FACT]}
            record_event(
                s,
                EventSpec(EventType.TEXT_CHANGED, f"t:{i}", details),
                policy=policy,
                summary=AMOUNT_FACT["summary"],
                run_id=None,
                now=now,
                subscribers=(sub,),
            )


OK_STATS = {"dongcheng": {"list_pages": 1, "failed": 0, "list_failures": 0, "errors": []}}
FAILING_STATS = {
    **OK_STATS,
    "dead": {"list_pages": 0, "failed": 0, "list_failures": 1, "errors": ["list http://127.0.0.1:9/: refused"]},
}


def _config(tmp_path: Path, hook_url: str, max_tries: int = 5) -> Path:
    config = tmp_path / "policywatch.toml"
    config.write_text(f'[alerts]\nmax_tries = {max_tries}\n\n[[subscribers]]\nname = "hook"\nurls = ["{hook_url}"]\n')
    return config


def test_every_listing_speaks_json_in_a_pipe_and_tables_are_never_cut(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    hook = "json://127.0.0.1:9/x"
    _store(db, hook, OK_STATS)
    config = _config(tmp_path, hook)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "- name: a\n  region: 北京市东城区\n  start_urls: [http://127.0.0.1:9/]\n  allow_private: true\n",
        encoding="utf-8",
    )
    outputs = {
        "status": pw("status", "--db", str(db_file), "--json"),
        "policies": pw("policies", "--db", str(db_file), "--json"),
        "history": pw("history", "1", "--db", str(db_file), "--json"),
        "sources list": pw("sources", "list", "--sources", str(sources), "--json"),
        "subscribers list": pw("subscribers", "list", "--config", str(config), "--json"),
        "alerts list": pw("alerts", "list", "--db", str(db_file), "--json"),
        "events": pw("events", "--db", str(db_file), "--json"),
    }
    parsed = {}
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        parsed[name] = [json.loads(line) for line in result.stdout.splitlines()]
        assert parsed[name], name
    assert parsed["status"][0]["state"] == "OK" and parsed["status"][0]["alerts"] == {"pending": 2}
    assert [p["title"] for p in parsed["policies"]] == [f"{LONG_TITLE}0", f"{LONG_TITLE}1"]
    assert [h["what"] for h in parsed["history"]] == ["text_changed"] and "UTC+08:00" in parsed["history"][0]["when"]
    assert parsed["sources list"][0]["name"] == "a" and parsed["subscribers list"][0]["name"] == "hook"
    assert {a["status"] for a in parsed["alerts list"]} == {"pending"} and len(parsed["alerts list"]) == 2
    table = pw("policies", "--db", str(db_file))
    assert f"{LONG_TITLE}0" in table.stdout  # a pipe gets the whole title, not "北京…"


def test_status_exit_codes_follow_the_nagios_convention(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    empty = pw("status", "--db", str(db_file))
    assert empty.exit_code == 2 and "no database" in empty.stderr and not db_file.exists()
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    none_yet = pw("status", "--db", str(db_file))
    assert none_yet.exit_code == 1 and none_yet.stdout.startswith("WARNING: no run yet")
    with db.session() as s:
        s.add(Run(started_at=datetime.now(UTC), status="ok", stats=OK_STATS))
    ok = pw("status", "--db", str(db_file))
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: ")
    with db.session() as s:
        s.add(Run(started_at=datetime.now(UTC), status="partial", stats=FAILING_STATS))
    failing = pw("status", "--db", str(db_file))
    assert failing.exit_code == 1 and failing.stdout.startswith("WARNING: 1 source(s) failing (dead)")
    _store(db, "json://127.0.0.1:9/x", FAILING_STATS, n=1)
    with db.session() as s:
        alert = s.scalar(select(Alert))
        assert alert is not None
        alert.status, alert.tries, alert.last_error = "failed", 5, "json://127.0.0.1:9/x: refused"
    critical = pw("status", "--db", str(db_file))
    assert critical.exit_code == 2 and critical.stdout.startswith("CRITICAL: 1 alert(s) could not be delivered")


def test_alerts_retry_delivers_once_the_receiver_is_back(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    port = free_port()
    hook = f"json://127.0.0.1:{port}/alerts"
    _store(db, hook, OK_STATS)
    config = _config(tmp_path, hook, max_tries=1)
    down = pw("alerts", "retry", "--db", str(db_file), "--config", str(config))
    assert down.exit_code == 1 and "2 delivered" not in down.stdout
    failed = [
        json.loads(line)
        for line in pw("alerts", "list", "--failed", "--db", str(db_file), "--json").stdout.splitlines()
    ]
    assert [a["status"] for a in failed] == ["failed", "failed"] and all(
        f"127.0.0.1:{port}" in a["error"] for a in failed
    )
    with WebhookReceiver(port=port) as receiver:
        back = pw("alerts", "retry", str(failed[0]["id"]), "--db", str(db_file), "--config", str(config))
        assert back.exit_code == 0 and "1 delivered, 0 failed" in back.stdout
        rest = pw("alerts", "retry", "--db", str(db_file), "--config", str(config))
        assert rest.exit_code == 0 and "1 delivered" in rest.stdout
    assert len(receiver.received) == 2
    assert pw("alerts", "list", "--db", str(db_file), "--json").stdout == ""
    assert pw("status", "--db", str(db_file)).exit_code == 0


def test_export_csv_for_excel_has_a_bom_and_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    _store(db, "json://127.0.0.1:9/x", OK_STATS, n=3)
    excel = pw("export", "--excel", "--db", str(db_file), "--out", str(tmp_path / "p.csv"))
    assert excel.exit_code == 0
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,title,") and LONG_TITLE.encode() in raw and b"\r\n" in raw
    plain = pw("export", "--format", "csv", "--db", str(db_file))
    assert plain.stdout.startswith("id,title,")
    # `policywatch export | head -0`: the reader is gone before anything is written.
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "export", "--db", str(db_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    errors = proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and b"Traceback" not in errors and b"BrokenPipe" not in errors


def test_values_are_validated_and_reading_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for args in (["events"], ["policies"], ["alerts", "list"], ["export"], ["diff", "1"], ["history", "1"]):
        done = pw(*args, "--db", str(missing))
        assert done.exit_code == 2 and "no database at" in done.stderr, args
    assert not missing.exists()
    bogus = pw("policies", "--status", "bogus", "--db", str(missing))
    assert bogus.exit_code == 2 and "现行有效" in bogus.stderr
    assert resolve_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_database_url("data/pw.db") == f"sqlite:///{Path('data/pw.db').resolve()}"


def test_yaml_mistakes_point_at_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("- name: a\n  start_urls: http://x/\n   region: 海淀\n", encoding="utf-8")
    done = pw("sources", "list", "--sources", str(bad))
    assert done.exit_code == 2
    assert f"{bad}:3:10: invalid YAML: mapping values are not allowed here" in done.stderr
    assert "       region: 海淀\n" in done.stderr and "Traceback" not in done.stderr


def test_extract_reads_pdf_and_docx_and_refuses_binary(tmp_path: Path) -> None:
    from tests.test_fixture_sites import _docx, _pdf

    text = "关于支持某产业发展的若干措施\n一、支持企业创新。\n本措施自2025年3月1日起施行,有效期至2027年2月28日。"
    for name, body in (("p.pdf", _pdf(text)), ("p.docx", _docx(text))):
        (tmp_path / name).write_bytes(body)
        done = pw("extract", str(tmp_path / name), "--json")
        assert done.exit_code == 0, done.output
        got = json.loads(done.stdout)
        assert got["title"] == "关于支持某产业发展的若干措施" and got["expires"]["date"] == "2027-02-28", name
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 64)
    binary = pw("extract", str(tmp_path / "blob.bin"), "--json")
    assert binary.exit_code == 2 and "binary data" in binary.stderr and binary.stdout == ""


def test_subscribers_add_refuses_written_out_secrets_and_reads_robot_urls(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    full = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdefSECRET"
    refused = pw("subscribers", "add", "ops", "--url", full, "--config", str(config))
    assert (
        refused.exit_code == 2
        and "${WECOM_ROBOT_KEY}" in refused.stderr
        and "0123456789abcdefSECRET" not in refused.stderr
    )
    assert not config.exists()
    pasted = full.replace("0123456789abcdefSECRET", "${WECOM_ROBOT_KEY}")
    added = pw("subscribers", "add", "ops", "--url", pasted, "--config", str(config))
    assert added.exit_code == 0 and 'urls = ["wecombot://${WECOM_ROBOT_KEY}"]' in config.read_text(encoding="utf-8")
    invalid = pw(
        "subscribers",
        "add",
        "x",
        "--url",
        "mailtos://${U}:${P}@smtp.example.com?to=not-an-address",
        "--config",
        str(config),
    )
    assert invalid.exit_code == 2 and "apprise" in invalid.stderr
    config.write_text('[[subscribers]]\nname = "bad"\nurls = ["nosuchscheme://x", "json://127.0.0.1:9/"]\n')
    check = pw("config", "check", "--config", str(config))
    assert check.exit_code == 2 and "nosuchscheme://" in check.stderr and "json://127.0.0.1:9/" not in check.stderr


@pytest.mark.parametrize("where", ["issuer", "mirror"])
def test_region_filters_match_the_policys_region_not_only_its_source(db: Database, where: str) -> None:
    sub = Subscriber("haidian", ("json://127.0.0.1:9/",), regions=("海淀",))
    now = datetime.now(UTC)
    with db.session() as s:
        aggregator = Source(name="city-library", region="北京市")
        policy = Policy(
            source=aggregator, url="http://127.0.0.1:9/a.html", title="海淀区某措施", first_seen=now, last_seen=now
        )
        if where == "issuer":
            policy.issuer = "北京市海淀区商务局"
        else:
            district = Source(name="haidian", region="北京市海淀区")
            policy.aliases.append(
                PolicyAlias(source=district, url="http://127.0.0.1:9/h.html", first_seen=now, last_seen=now)
            )
        s.add(policy)
        s.flush()
        record_event(
            s,
            EventSpec(EventType.NEW_POLICY, "n", {}),
            policy=policy,
            summary="x",
            run_id=None,
            now=now,
            subscribers=(sub,),
        )
    with db.session() as s:
        assert [a.subscriber for a in s.scalars(select(Alert))] == ["haidian"]


def test_serve_on_a_busy_port_says_so_without_a_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = CliRunner().invoke(cli, ["serve", "--dir", str(tmp_path), "--port", str(port)])
    assert done.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_listings_show_a_page_at_a_time_and_say_how_many_more(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    _store(db, "json://127.0.0.1:9/x", OK_STATS, n=120)
    first = pw("policies", "--db", str(db_file))
    assert "120 policy(ies), 1–50 shown" in first.stdout and first.stdout.count(LONG_TITLE) == 50
    assert "70 more: --page 2 (--limit 0 lists every row)" in first.stderr
    last = pw("policies", "--db", str(db_file), "--page", "3")
    assert "120 policy(ies), 101–120 shown" in last.stdout and f"{LONG_TITLE}119" in last.stdout
    assert "more:" not in last.stderr
    events = pw("events", "--db", str(db_file), "--limit", "100")
    assert "120 event(s), 1–100 shown" in events.stdout and "20 more: --page 2" in events.stderr
    alerts = pw("alerts", "list", "--db", str(db_file), "--page", "2", "--limit", "30")
    assert "120 alert(s), 31–60 shown" in alerts.stdout and "60 more: --page 3" in alerts.stderr
    # Scripts get every row, one JSON object per line, unless they ask for a page.
    every = pw("policies", "--db", str(db_file), "--json")
    assert [json.loads(line)["title"] for line in every.stdout.splitlines()] == [f"{LONG_TITLE}{i}" for i in range(120)]
    assert every.stderr == ""
    page = pw("events", "--db", str(db_file), "--json", "--limit", "7", "--page", "2")
    assert [json.loads(line)["id"] for line in page.stdout.splitlines()] == list(range(8, 15))
