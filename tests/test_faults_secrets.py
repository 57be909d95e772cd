"""Secrets never appear in any output (issue #18 item 2): a planted SMTP password full of URL
delimiters and a mixed-case WeCom robot key, through a real run at -vv (urllib3's request lines
included), `status`, `subscribers list`, the stored alert errors and the report. The password is
also delivered: the SMTP server accepts only that exact password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from monitor.demo.smtpsink import SMTPSink
from monitor.secrets import mask_url, scrub
from monitor.store.db import Database
from monitor.store.models import Alert
from tests.fault_server import FaultSite, list_page, policy_page
from tests.robot_receiver import RobotReceiver

pytestmark = pytest.mark.faults

PASSWORD = "Pw#@:/?x9&Secret"
ROBOT_KEY = "AbCdEf0123456789GhIjKlMnOp"
PW = [sys.executable, "-m", "monitor.cli"]


def test_masking_keeps_the_case_of_keys_and_every_password_shape() -> None:
    assert ROBOT_KEY not in mask_url(f"wecombot://{ROBOT_KEY}")
    assert ROBOT_KEY not in mask_url(f"dingtalk://{ROBOT_KEY}/SEC0123456789abcdef")
    encoded = quote(PASSWORD, safe="")
    masked = mask_url(f"mailtos://user:{encoded}@smtp.example.com?to=a@example.com")
    assert encoded not in masked and "a@example.com" in masked
    line = f'http://127.0.0.1:80 "POST /cgi-bin/webhook/send?key={ROBOT_KEY} HTTP/1.1" 200 27'
    assert ROBOT_KEY not in scrub(line)


def _leaks(text: str) -> list[str]:
    planted = {PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD), ROBOT_KEY, ROBOT_KEY.lower(), "x9&Secret"}
    return sorted(p for p in planted if p in text)


def test_planted_password_and_robot_key_appear_in_no_output(tmp_path: Path) -> None:
    with (
        FaultSite() as site,
        RobotReceiver(script=["wecom", "dingtalk", "feishu"] * 20) as robot,  # every robot refuses, in its words
        SMTPSink(credentials=("alerts", PASSWORD)) as smtp,
    ):
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html"]))
        site.publish("/zcwj/202501/t1.html", policy_page(1))
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f'sources:\n  - name: site\n    start_urls: ["{site.base}/zcwj/index.html"]\n    allow_private: true\n    download_delay: 0\n',
            encoding="utf-8",
        )
        config = tmp_path / "policywatch.toml"
        config.write_text(
            '[alerts]\nmax_tries = 2\n[[subscribers]]\nname = "ops"\nurls = ["wecombot://${WECOM_KEY}", '
            '"dingtalk://${WECOM_KEY}", "feishu://${WECOM_KEY}", '
            f'"mailto://${{SMTP_USER}}:${{SMTP_PASS}}@127.0.0.1:{smtp.port}?from=pw@localhost&to=ops@localhost&mode=insecure"]\n'
            # A mail server that is down: its connection error (an exception inside apprise) is stored too.
            '[[subscribers]]\nname = "down"\nurls = ["mailto://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:1?to=x@localhost&mode=insecure"]\n',
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "WECOM_KEY": ROBOT_KEY,
            "SMTP_USER": "alerts",
            "SMTP_PASS": PASSWORD,
            "POLICYWATCH_WECOM_URL": robot.url + "/cgi-bin/webhook/send?key={key}",
            "POLICYWATCH_DINGTALK_URL": robot.url + "/robot/send?access_token={token}",
            "POLICYWATCH_FEISHU_URL": robot.url + "/open-apis/bot/v2/hook/{token}",
            "COLUMNS": "400",
        }
        db_url = f"sqlite:///{tmp_path / 'pw.db'}"
        common = ["--sources", str(sources), "--config", str(config), "--db", db_url]
        outputs = []

        def pw(*args: str) -> subprocess.CompletedProcess[str]:
            done = subprocess.run([*PW, *args], capture_output=True, text=True, env=env, timeout=300)
            outputs.append(f"$ {' '.join(args)}\n{done.stdout}\n{done.stderr}")
            return done

        pw("-vv", "run", *common, "--report-dir", str(tmp_path / "report"))  # baseline
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html", "/zcwj/202501/t2.html"]))
        site.publish("/zcwj/202501/t2.html", policy_page(2))
        second = pw("-vv", "run", *common, "--report-dir", str(tmp_path / "report"))
        pw("-vv", "subscribers", "test", "ops", "--config", str(config))
        site.publish("/zcwj/202501/t2.html", policy_page(2, amount=900))
        pw("--log-json", "-v", "run", *common, "--report-dir", str(tmp_path / "report"))
        pw("status", "--db", db_url, "--config", str(config))
        pw("status", "--json", "--db", db_url, "--config", str(config))
        pw("alerts", "list", "--all", "--json", "--db", db_url)
        pw("alerts", "retry", "--db", db_url, "--config", str(config))
        pw("events", "--json", "--db", db_url)
        pw("subscribers", "list", "--config", str(config))
        pw("config", "check", "--sources", str(sources), "--config", str(config))

    db = Database(db_url)
    with db.session() as s:
        stored = [(a.subscriber, a.last_error) for a in s.scalars(select(Alert))]
    errors = [e for _, e in stored]
    db.dispose()
    report = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "report").rglob("*.html"))
    received = [*robot.bodies, *(m.as_string() for m in smtp.messages)]  # the alert bodies themselves
    everything = "\n".join([*outputs, *errors, report, *received])

    # The run really reached both channels: the robot refused (errcode), the SMTP server took the
    # password with all its delimiters and got the mail.
    assert "urllib3" in second.stderr and "/cgi-bin/webhook/send?key=" in second.stderr  # -vv was on
    ops, down = [e for who, e in stored if who == "ops"], [e for who, e in stored if who == "down"]
    assert ops and all("45009" in e and "310000" in e and "19021" in e for e in ops), ops
    assert down and all("mailto://" in e for e in down), down
    assert smtp.logins and all(ok for _, ok in smtp.logins) and len(smtp.messages) >= 2
    assert robot.bodies
    assert _leaks(everything) == [], everything[-3000:]
