"""The `policywatch` command as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from monitor.demo.site import DemoServer, DemoSite

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
        assert e["detected_at"].endswith("+08:00")  # Asia/Shanghai, the zone shown, as the web API gives it
    assert all(expected["chrome_only"] != e["policy_title"] for e in events)
    delivered = [json.loads(line) for line in (work / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(delivered) == 5
    shown = pw("diff", "东经信发〔2025〕5号", "--db", f"sqlite:///{work / 'policywatch.db'}")
    assert shown.returncode == 0, shown.stderr
    assert "第五条: 最高1500万元 → 最高2000万元" in shown.stdout
    assert "给予最高[-1500-]{+2000+}万元资金支持" in shown.stdout and "15002000" not in shown.stdout  # a pipe
    unknown = pw("diff", "no-such-policy", "--db", f"sqlite:///{work / 'policywatch.db'}")
    assert unknown.returncode == 2 and "no policy matches" in unknown.stderr


def test_a_run_leaves_its_database_closed_and_opens_no_remote_control(tmp_path: Path) -> None:
    """A run ends with its SQLite database checkpointed and closed (no write-ahead log beside it: the
    file alone holds everything), and its crawl opens no listening endpoint: Scrapy ≥ 2.19 starts a
    code-executing remote control per crawl unless it is turned off."""
    sources, db = tmp_path / "sources.yaml", tmp_path / "pw.db"
    with DemoServer() as server:
        sources.write_text(server.site.sources_yaml(server.base_url), encoding="utf-8")
        run = ("-v", "run", "--sources", str(sources), "--db", f"sqlite:///{db}", "--report-dir", str(tmp_path / "r"))
        done = pw(*run)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Spider closed (finished)" in done.stderr  # the crawl's log is here: the check below can fail
    assert "Remote control" not in done.stderr + done.stdout
    assert db.is_file() and not Path(f"{db}-wal").exists()
    with sqlite3.connect(db) as stored:  # the file alone holds the run
        assert stored.execute("SELECT count(*) FROM policies").fetchone() == (20,)


def test_extract_json_contract_on_html_gbk_and_text(tmp_path: Path) -> None:
    site = DemoSite()
    html_file = tmp_path / "p16.html"
    html_file.write_bytes(site.pages(1)["/shijingshan/202504/t20250422_16.html"].body)
    done = pw("extract", str(html_file), "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert set(got) == {"title", "doc_number", "issuers", "published", "effective", "expires", "repeals", "status"}
    assert got["doc_number"] == "石发改发〔2025〕12号"
    assert got["effective"] == {"date": "2025-05-18", "rule": "自印发之日起30日后施行"}
    assert got["expires"] == {"date": "2028-05-17", "rule": "有效期三年"}
    assert got["issuers"] == ["北京市石景山区发展和改革委员会"]

    gbk_file = tmp_path / "chaoyang.html"
    gbk_file.write_bytes(site.pages(1)["/chaoyang/202507/t20250703_18.html"].body)
    got = json.loads(pw("extract", str(gbk_file), "--json").stdout)
    assert (
        got["title"] == "朝阳区关于支持互联网3.0创新发展的若干措施(试行)" and got["doc_number"] == "朝科信发〔2025〕7号"
    )

    text_file = tmp_path / "policy.txt"
    text_file.write_text(
        "关于支持某产业发展的若干措施\n一、支持企业创新。\n本措施自发布之日起施行,有效期两年。"
        "《关于支持某产业发展的暂行办法》(京某发〔2023〕3号)同时废止。\n",
        encoding="utf-8",
    )
    got = json.loads(pw("extract", str(text_file), "--published", "2025-03-05", "--json").stdout)
    assert got["effective"]["date"] == "2025-03-05" and got["expires"]["date"] == "2027-03-04"
    assert got["repeals"][0]["title"] == "关于支持某产业发展的暂行办法"
    assert got["repeals"][0]["doc_number"] == "京某发〔2023〕3号"
    missing = pw("extract", str(tmp_path / "nope.html"), "--json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_bad_sources_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "- name: ok\n  start_urls: [http://127.0.0.1:9/]\n  allow_private: true\n- name: broken\n  start_urls: [ftp://x]\n",
        encoding="utf-8",
    )
    done = pw("run", "--sources", str(bad), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2
    assert f"{bad}:5: source 'broken'" in done.stderr and "ftp://x" in done.stderr


def test_unreachable_database_exits_2_without_leaking_the_password(tmp_path: Path) -> None:
    src = tmp_path / "sources.yaml"
    src.write_text("- name: a\n  start_urls: [http://127.0.0.1:9/]\n  allow_private: true\n", encoding="utf-8")
    done = pw("run", "--sources", str(src), "--db", "postgresql://u:s3cretpw@127.0.0.1:1/db")
    assert done.returncode == 2
    assert "cannot open database" in done.stderr
    assert "s3cretpw" not in done.stderr + done.stdout


def test_help_explains_the_commands() -> None:
    done = pw("--help")
    assert done.returncode == 0
    for command in ("demo", "run", "events", "report"):
        assert command in done.stdout


def test_subscribers_add_list_remove_keep_the_file_and_mask_secrets(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text("# my settings\n[alerts]\nmax_tries = 3  # keep this comment\n", encoding="utf-8")
    added = pw(
        "subscribers",
        "add",
        "ops",
        "--url",
        "wecombot://0123456789abcdefSECRET",
        "--url",
        "mailtos://user:pa55word@smtp.example.com?to=a@example.com",
        "--allow-plaintext-secret",
        "--region",
        "海淀",
        "--mode",
        "digest",
        "--config",
        str(config),
    )
    assert added.returncode == 0, added.stderr
    text = config.read_text(encoding="utf-8")
    assert "# keep this comment" in text and 'mode = "digest"' in text
    listed = pw("subscribers", "list", "--config", str(config))
    assert listed.returncode == 0 and "ops" in listed.stdout
    assert "0123456789abcdefSECRET" not in listed.stdout and "pa55word" not in listed.stdout
    assert pw("config", "check", "--config", str(config)).returncode == 0
    duplicate = pw("subscribers", "add", "ops", "--url", "json://x", "--config", str(config))
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    removed = pw("subscribers", "remove", "ops", "--config", str(config))
    assert removed.returncode == 0 and "[[subscribers]]" not in config.read_text(encoding="utf-8")
    assert "# keep this comment" in config.read_text(encoding="utf-8")


def test_config_check_names_the_line_of_every_mistake(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text(
        '[alerts]\nmax_tries = 0\n\n[[subscribers]]\nname = "a"\nurls = ["json://x"]\n'
        'events = ["text_changed", "nope"]\nmode = "weekly"\n',
        encoding="utf-8",
    )
    done = pw("config", "check", "--config", str(config))
    assert done.returncode == 2
    assert f"{config}:2:" in done.stderr and f"{config}:7:" in done.stderr and f"{config}:8:" in done.stderr
