"""Alert delivery under failing receivers (issue #18 item 5, #17 part 2): slow, down, HTTP 500, and
HTTP 200 with a robot's error code. Exactly one distinct delivery per alert, counted by a real
receiver that reads each message's pw-… key; a slow receiver gets no copy at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Settings, Subscriber
from monitor.demo.smtpsink import free_port
from monitor.store.db import Database
from notifier.channels import NotifyWeComBotMarkdown
from notifier.outbox import UNKNOWN, deliver_pending
from tests.robot_receiver import RobotReceiver
from tests.test_notify import _event, _statuses

pytestmark = pytest.mark.faults


def _json(robot: RobotReceiver) -> str:
    return robot.url.replace("http", "json", 1) + "/hook"


def test_a_receiver_slower_than_apprises_default_timeout_gets_one_copy(db: Database) -> None:
    with RobotReceiver(script=[("slow", 6)]) as robot:  # apprise alone gives up after 4 s
        sub = Subscriber("hook", (_json(robot),))
        _event(db, (sub,))
        stats = deliver_pending(db, Settings(subscribers=(sub,)))
        later = deliver_pending(db, Settings(subscribers=(sub,)), now=datetime.now(UTC) + timedelta(hours=2))
    assert (stats.sent, stats.failed, later.sent) == (1, 0, 0)
    assert len(robot.bodies) == 1 and robot.distinct() == 1
    assert _statuses(db) == [("sent", 1, "")]


def test_no_answer_in_time_is_unknown_then_resent_with_the_same_key(db: Database) -> None:
    with RobotReceiver(script=[("slow", 4)]) as robot:
        sub = Subscriber("hook", (_json(robot),))
        settings = Settings(subscribers=(sub,), alert_timeout=1, alert_max_tries=3)
        _event(db, (sub,))
        first = deliver_pending(db, settings)
        [(status, tries, error)] = _statuses(db)
        assert (first.sent, status, tries) == (0, "pending", 1) and UNKNOWN in error
        deliver_pending(db, settings, now=datetime.now(UTC) + timedelta(hours=1))
    # The receiver got it twice (it did arrive the first time) under one key: a receiver that drops
    # copies by key shows it once, and the outbox knows it was delivered.
    assert len(robot.accepted) == 2 and robot.distinct() == 1 and set(robot.keys().values()) == {2}
    assert _statuses(db)[0][0] == "sent"


def test_never_answering_is_unconfirmed_not_failed(db: Database) -> None:
    with RobotReceiver(script=[("slow", 3)] * 3) as robot:
        sub = Subscriber("hook", (_json(robot),))
        settings = Settings(subscribers=(sub,), alert_timeout=1, alert_max_tries=2)
        _event(db, (sub,))
        now = datetime.now(UTC)
        for hours in (0, 1):
            deliver_pending(db, settings, now=now + timedelta(hours=hours))
    [(status, tries, error)] = _statuses(db)
    assert (status, tries) == ("unconfirmed", 2) and UNKNOWN in error


@pytest.mark.parametrize("fault", ["500", "wecom", "down"])
def test_failing_robot_is_retried_and_delivered_exactly_once(
    db: Database, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    key = "AbCdEf0123456789GhIjKlMnOp"
    with RobotReceiver(script=[fault, fault]) as robot:
        port = robot.server.server_address[1]
        endpoint = robot.url if fault != "down" else f"http://127.0.0.1:{free_port()}"
        monkeypatch.setattr(NotifyWeComBotMarkdown, "notify_url", endpoint + "/cgi-bin/webhook/send?key={key}")
        sub = Subscriber("robot", (f"wecombot://{key}",))
        settings = Settings(subscribers=(sub,), alert_max_tries=5)
        _event(db, (sub,), n=2)
        now = datetime.now(UTC)
        outcomes = []
        for hours in (0, 1, 2, 4, 8):
            if fault == "down" and hours == 2:  # the robot comes back
                monkeypatch.setattr(NotifyWeComBotMarkdown, "notify_url", robot.url + "/x?key={key}")
            stats = deliver_pending(db, settings, now=now + timedelta(hours=hours))
            outcomes.append((stats.sent, stats.failed))
        errors_seen = robot.bodies
    assert port
    assert sum(sent for sent, _ in outcomes) == 2 and outcomes[0] == (0, 2)
    assert [s for s, _, _ in _statuses(db)] == ["sent", "sent"]
    assert len(robot.accepted) == 2 and robot.distinct() == 2  # each alert once, none twice
    if fault == "wecom":
        assert len(errors_seen) == 4  # 2 refused with errcode 45009, then 2 accepted


# Each robot: its apprise URL, the relay variable that points it at our receiver, and the path it posts to.
ROBOTS = {
    "wecom": ("wecombot://${ROBOT_KEY}", "POLICYWATCH_WECOM_URL", "/cgi-bin/webhook/send?key={key}"),
    "dingtalk": ("dingtalk://${ROBOT_KEY}", "POLICYWATCH_DINGTALK_URL", "/robot/send?access_token={token}"),
    "feishu": ("feishu://${ROBOT_KEY}", "POLICYWATCH_FEISHU_URL", "/open-apis/bot/v2/hook/{token}"),
}
REFUSALS = {  # the 200 answer → what the outbox must record and `status` show
    "wecom": ("wecom", "errcode=45009 errmsg=api freq out of limit"),
    "dingtalk": ("dingtalk", "errcode=310000 errmsg=sign not match"),
    "feishu": ("feishu", "code=19021 msg=sign match fail"),
    "feishu-9499": ("feishu", "code=9499 msg=Bad Request"),
    "feishu-status": ("feishu", "StatusCode=19001 StatusMessage=param invalid"),
}


@pytest.mark.parametrize("answer", list(REFUSALS))
def test_http_200_with_a_robot_error_code_is_a_failed_delivery_retried_then_sent_once(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    robot_kind, shown = REFUSALS[answer]
    url, relay, path = ROBOTS[robot_kind]
    key = "AbCdEf0123456789GhIjKlMnOp"
    monkeypatch.setenv("ROBOT_KEY", key)
    with RobotReceiver(script=[answer] * 4) as robot:  # two alerts refused twice each, then accepted
        monkeypatch.setenv(relay, robot.url + path)
        sub = Subscriber("robot", (url,))
        settings = Settings(subscribers=(sub,), alert_max_tries=5)
        _event(db, (sub,), n=2)
        now = datetime.now(UTC)
        first = deliver_pending(db, settings, now=now)
        errors = [e for _, _, e in _statuses(db)]
        status = CliRunner().invoke(cli, ["status", "--db", db_url])
        outcomes = [(first.sent, first.failed)]
        for hours in (1, 2, 4, 8):
            stats = deliver_pending(db, settings, now=now + timedelta(hours=hours))
            outcomes.append((stats.sent, stats.failed))
    assert outcomes[0] == (0, 2) and outcomes[1] == (0, 2), outcomes  # refused, retried with backoff
    assert sum(sent for sent, _ in outcomes) == 2 and sum(failed for _, failed in outcomes) == 4
    assert all(shown in e for e in errors), errors
    assert len(robot.bodies) == 6 and len(robot.accepted) == 2 and robot.distinct() == 2  # each alert once
    assert [s for s, _, _ in _statuses(db)] == ["sent", "sent"]
    # `status` says why in the robot's words, with its key masked.
    assert status.exit_code == 1 and "alert delivery failing (2 alert(s)): " in status.output, status.output
    assert shown in status.output and key not in status.output and key not in "".join(errors)
