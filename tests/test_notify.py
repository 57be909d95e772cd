"""Alerts through apprise to real peers on loopback: an aiosmtpd SMTP server, a WeCom-robot-shaped
receiver and a generic webhook; faults, retries, crashes and concurrent senders."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.addresses import policy_page
from monitor.config import Settings, Subscriber
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.smtpsink import SMTPSink, free_port
from monitor.events import record_event
from monitor.rules import EventSpec
from monitor.store.db import Database
from monitor.store.models import Alert, Policy, Source
from monitor.vocab import EventType
from notifier.channels import WECOM_MARKDOWN_LIMIT, NotifyWeComBotMarkdown
from notifier.outbox import CLAIM_LEASE, deliver_pending

FACT = "二、 第五条: 最高1500万元 → 最高2000万元"


def _event(db: Database, subscribers: tuple[Subscriber, ...], n: int = 1, long: bool = False) -> None:
    """Record n text_changed events the way ingest does (event + outbox rows in one transaction)."""
    with db.session() as s:
        source = Source(name="demo-dongcheng", region="北京市东城区")
        s.add(source)
        for i in range(n):
            policy = Policy(
                source=source,
                url=f"http://127.0.0.1:9/dongcheng/202504/t20250401_{i}.html",
                title=f"北京市东城区推动数字经济产业高质量发展的若干措施{i}",
                doc_number="东经信发〔2025〕5号",
                first_seen=datetime.now(UTC),
                last_seen=datetime.now(UTC),
            )
            s.add(policy)
            s.flush()
            body = "给予最高2000万元资金支持。" * (400 if long else 1)
            details = {
                "facts": [
                    {
                        "kind": "amount_changed",
                        "where": "二、 第五条",
                        "old": "最高1500万元",
                        "new": "最高2000万元",
                        "summary": FACT,
                    }
                ],
                "clauses": [
                    {
                        "article": "二、 第五条",
                        "change": "modified",
                        "segments": [
                            ["equal", "第五条完善数字经济产业链。给予最高"],
                            ["delete", "1500"],
                            ["insert", "2000"],
                            ["equal", "万元资金支持。" + body],
                        ],
                    }
                ],
            }
            record_event(
                s,
                EventSpec(EventType.TEXT_CHANGED, f"t:{i}", details),
                policy=policy,
                summary=FACT,
                run_id=None,
                now=datetime.now(UTC),
                subscribers=subscribers,
            )


def _statuses(db: Database) -> list[tuple[str, int, str]]:
    with db.session() as s:
        return [(a.status, a.tries, a.last_error) for a in s.scalars(select(Alert).order_by(Alert.id))]


def test_email_through_a_real_smtp_server(db: Database) -> None:
    with SMTPSink() as smtp:
        sub = Subscriber("mail", (smtp.apprise_url(to="officer@example.com"),))
        _event(db, (sub,))
        stats = deliver_pending(db, Settings(subscribers=(sub,), report_base_url="https://r.example/pw"))
    assert stats.sent == 1 and len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["subject"] == "【重要】《北京市东城区推动数字经济产业高质量发展的若干措施0》内容修改(金额变化)"
    assert msg["to"] == "officer@example.com"
    assert msg["X-Policywatch-Key"].startswith("pw-")
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert '<del style="background:#ffd6d6">1500</del>' in html and "2000</ins>" in html
    assert "给予最高[-1500-]{+2000+}万元资金支持" in text and "15002000" not in text
    assert "pw-" not in html + text
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        page = policy_page(policy.source.name, policy.url)
    assert page.startswith("policies/") and f"https://r.example/pw/{page}" in html
    assert f"https://r.example/pw/{page}" in text
    assert html.splitlines()[0].startswith("<!doctype html>")


def test_wecom_robot_gets_markdown_within_its_limit(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with WebhookReceiver() as robot:
        monkeypatch.setattr(NotifyWeComBotMarkdown, "notify_url", robot.url + "/cgi-bin/webhook/send?key={key}")
        sub = Subscriber("wecom", ("wecombot://0123456789abcdef0123",))
        _event(db, (sub,), n=2, long=True)
        stats = deliver_pending(db, Settings(subscribers=(sub,), report_base_url="https://r.example/pw"))
    assert stats.sent == 2 and len(robot.received) == 2
    for got in robot.received:
        assert got["path"] == "/cgi-bin/webhook/send?key=0123456789abcdef0123"
        body = got["body"]
        assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
        content = body["markdown"]["content"]
        assert len(content.encode("utf-8")) <= WECOM_MARKDOWN_LIMIT
        assert content.startswith("**【重要】《北京市东城区推动数字经济产业高质量发展的若干措施")
        assert "https://r.example/pw/policies/" in content and "pw-" not in content.replace("/pw/", "")


def test_generic_webhook_and_digest_mode(db: Database) -> None:
    with WebhookReceiver() as hook:
        sub = Subscriber("hook", (hook.url.replace("http", "json", 1) + "/policy",), mode="digest")
        _event(db, (sub,), n=3)
        stats = deliver_pending(db, Settings(subscribers=(sub,)))
        again = deliver_pending(db, Settings(subscribers=(sub,)))
    assert (stats.sent, again.sent) == (3, 0)
    assert len(hook.received) == 1  # one message for the three alerts
    body = hook.received[0]["body"]
    assert body["title"] == "【政策监测】3条政策变化(其中3条重要)"
    assert body["message"].startswith("**【政策监测】3条政策变化(其中3条重要)**\n北京市东城区 3条\n")
    assert body["message"].count("**【重要】《") == 3
    with db.session() as s:
        assert {a.digest_key for a in s.scalars(select(Alert))} == {body["policywatch_key"]}


def test_smtp_down_then_up_is_delivered_exactly_once(db: Database) -> None:
    port = free_port()
    sub = Subscriber("mail", (f"mailto://127.0.0.1:{port}?from=pw@localhost&to=ops@localhost&mode=insecure",))
    settings = Settings(subscribers=(sub,))
    _event(db, (sub,))
    down = deliver_pending(db, settings)
    assert (down.sent, down.failed) == (0, 1)
    [(status, tries, error)] = _statuses(db)
    assert status == "pending" and tries == 1 and error
    # Not due yet: the backoff holds it back.
    assert deliver_pending(db, settings).sent == 0
    with SMTPSink(port=port) as smtp:
        later = datetime.now(UTC) + timedelta(hours=1)
        assert deliver_pending(db, settings, now=later).sent == 1
        assert deliver_pending(db, settings, now=later + timedelta(hours=1)).sent == 0
    assert len(smtp.messages) == 1
    assert _statuses(db) == [("sent", 2, "")]


def test_webhook_500_is_retried_then_given_up_with_the_error_kept(db: Database) -> None:
    with WebhookReceiver(fail_first=100) as hook:
        sub = Subscriber("hook", (hook.url.replace("http", "json", 1) + "/x?token=SECRET123456789abc",))
        settings = Settings(subscribers=(sub,), alert_max_tries=3)
        _event(db, (sub,))
        now = datetime.now(UTC)
        for hours in (0, 1, 3, 10):
            deliver_pending(db, settings, now=now + timedelta(hours=hours))
    [(status, tries, error)] = _statuses(db)
    assert status == "failed" and tries == 3
    assert "500" in error and "SECRET123456789abc" not in error


def test_a_crash_between_send_and_record_resends_with_the_same_key(db: Database) -> None:
    with WebhookReceiver() as hook:
        sub = Subscriber("hook", (hook.url.replace("http", "json", 1) + "/x",))
        settings = Settings(subscribers=(sub,))
        _event(db, (sub,))
        deliver_pending(db, settings)
        # Simulate a process killed after the channel accepted the message but before the row
        # was recorded: the row is left claimed ("sending") and its channel not marked done.
        with db.session() as s:
            alert = s.scalar(select(Alert))
            assert alert is not None
            alert.status, alert.claimed_at, alert.channels_done = "sending", datetime.now(UTC), []
        assert deliver_pending(db, settings).sent == 0  # the claim is still fresh: nobody else sends it
        after_lease = datetime.now(UTC) + CLAIM_LEASE + timedelta(minutes=1)
        assert deliver_pending(db, settings, now=after_lease).sent == 1
    first, second = hook.received
    key = first["body"]["policywatch_key"]
    assert key.startswith("pw-") and second["body"]["policywatch_key"] == key
    assert first["headers"]["X-Policywatch-Key"] == key and first["body"]["message"] == second["body"]["message"]
    assert key not in first["body"]["message"]


def test_two_senders_at_once_send_each_alert_once(db: Database) -> None:
    with WebhookReceiver() as hook:
        sub = Subscriber("hook", (hook.url.replace("http", "json", 1) + "/x",))
        settings = Settings(subscribers=(sub,))
        _event(db, (sub,), n=6)
        threads = [threading.Thread(target=deliver_pending, args=(db, settings)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(hook.received) == 6
    assert [s for s, _, _ in _statuses(db)] == ["sent"] * 6


def test_partial_failure_retries_only_the_failed_channel(db: Database) -> None:
    port = free_port()
    with WebhookReceiver() as hook:
        sub = Subscriber(
            "both",
            (
                hook.url.replace("http", "json", 1) + "/x",
                f"mailto://127.0.0.1:{port}?from=pw@localhost&to=ops@localhost&mode=insecure",
            ),
        )
        settings = Settings(subscribers=(sub,))
        _event(db, (sub,))
        assert deliver_pending(db, settings).failed == 1  # webhook ok, SMTP down
        with SMTPSink(port=port) as smtp:
            assert deliver_pending(db, settings, now=datetime.now(UTC) + timedelta(hours=1)).sent == 1
    assert len(hook.received) == 1 and len(smtp.messages) == 1


def test_filters_decide_who_gets_an_outbox_row(db: Database) -> None:
    subs = (
        Subscriber("all", ("json://127.0.0.1:9/",)),
        Subscriber("haidian-only", ("json://127.0.0.1:9/",), regions=("海淀",)),
        Subscriber("repeals-only", ("json://127.0.0.1:9/",), events=("repealed",)),
        Subscriber("high", ("json://127.0.0.1:9/",), min_importance="high"),
        Subscriber("keyword-hit", ("json://127.0.0.1:9/",), keywords=("数字经济",)),
        Subscriber("keyword-miss", ("json://127.0.0.1:9/",), keywords=("游戏电竞",)),
    )
    _event(db, subs)
    with db.session() as s:
        assert sorted(a.subscriber for a in s.scalars(select(Alert))) == ["all", "high", "keyword-hit"]


def test_digest_and_subscribers_test_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    with WebhookReceiver() as hook:
        config = tmp_path / "policywatch.toml"
        config.write_text(
            f'[[subscribers]]\nname = "ops"\nurls = ["{hook.url.replace("http", "json", 1)}/t", "json://127.0.0.1:1/dead"]\n',
            encoding="utf-8",
        )
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "subscribers", "test", "ops", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "delivered" in done.stdout and "127.0.0.1:1" in done.stderr
    assert len(hook.received) == 1 and "测试消息" in hook.received[0]["body"]["title"]
