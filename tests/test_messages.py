"""What subscribers read, exactly: every event type (and a digest) delivered through real peers on
loopback — an aiosmtpd SMTP server (both email parts), a WeCom-robot-shaped receiver and a JSON
webhook — and compared with golden files in tests/golden/messages/ (regenerate with
PW_UPDATE_GOLDEN=1 and review the diff by reading it). Hostile page text cannot inject markup,
and no plain-text output ever glues an old value to a new one."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.demo.receiver import WebhookReceiver
from monitor.demo.smtpsink import SMTPSink
from monitor.store.models import Alert
from notifier.channels import KEY_HEADER, NotifyWeComBotMarkdown, channel_kind, robot_url
from notifier.marks import as_html, as_markdown, as_text, as_wecom
from notifier.outbox import send_message
from tests.message_samples import EVENT_TYPES, REPORT, alert_for, make_event, policy, sample_event

GOLDEN = Path(__file__).parent / "golden" / "messages"
UPDATE = os.environ.get("PW_UPDATE_GOLDEN") == "1"


class Peers:
    def __init__(self, smtp: SMTPSink, robot: WebhookReceiver, hook: WebhookReceiver) -> None:
        self.smtp, self.robot, self.hook = smtp, robot, hook

    def deliver(self, alerts: list[Alert]) -> dict[str, str]:
        """Send one message to each channel; return what each peer received, as golden-file text."""
        urls = [self.smtp.apprise_url(), "wecombot://0123456789abcdefKEY", self.hook.url.replace("http", "json", 1)]
        for url in urls:
            assert send_message(url, alerts, REPORT, urls) == ""
        mail = self.smtp.messages.pop()
        robot = self.robot.received.pop()["body"]
        assert set(robot) == {"msgtype", "markdown"} and robot["msgtype"] == "markdown"
        hook = self.hook.received.pop()
        assert hook["headers"][KEY_HEADER] == hook["body"]["policywatch_key"] == mail[KEY_HEADER]
        return {
            "email.html": _lf(mail.get_body(("html",)).get_content()),
            "email.txt": _lf(f"Subject: {mail['subject']}\n\n{mail.get_body(('plain',)).get_content()}"),
            "wecom.md": robot["markdown"]["content"] + "\n",
            "webhook.json": json.dumps(hook["body"], ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        }


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.fixture(scope="module")
def peers() -> Iterator[Peers]:
    with SMTPSink() as smtp, WebhookReceiver() as robot, WebhookReceiver() as hook:
        original = NotifyWeComBotMarkdown.notify_url
        NotifyWeComBotMarkdown.notify_url = robot.url + "/cgi-bin/webhook/send?key={key}"
        try:
            yield Peers(smtp, robot, hook)
        finally:
            NotifyWeComBotMarkdown.notify_url = original


def _check_golden(name: str, got: dict[str, str]) -> None:
    for suffix, text in got.items():
        path = GOLDEN / f"{name}.{suffix}"
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs from what was delivered"


@pytest.mark.parametrize("type_", EVENT_TYPES)
def test_every_event_type_on_every_channel_matches_its_golden_file(peers: Peers, type_: str) -> None:
    got = peers.deliver([alert_for(sample_event(type_), 7)])
    _check_golden(type_, got)
    for suffix in ("email.txt", "wecom.md", "webhook.json"):
        assert "pw-" not in got[suffix].replace('"policywatch_key": "pw-1-7"', "").replace("/pw/", "/")
    assert "pw-1-7" not in got["email.html"]


def test_digest_groups_by_region_with_a_count_line(peers: Peers) -> None:
    alerts = [alert_for(sample_event(t, n), 10 + n) for n, t in enumerate(EVENT_TYPES, start=1)]
    got = peers.deliver(alerts)
    _check_golden("digest", got)
    text = got["email.txt"]
    assert "【政策监测】11条政策变化(其中5条重要)" in text
    assert "北京市东城区 3条 · 北京市海淀区 4条" in text
    assert text.count("== 北京市东城区 ==") == 1


def test_the_link_fits_the_event() -> None:
    from notifier.compose import compose_item

    links = {t: compose_item(sample_event(t), REPORT).link_text for t in EVENT_TYPES}
    assert links["text_changed"] == links["expiry_changed"] == "查看变化"
    assert links["new_policy"] == "查看新政策"
    assert links["taking_effect"] == links["expired"] == "查看原文"
    assert compose_item(sample_event("text_changed"), "").link_text == "查看原文"  # no report published


HOSTILE = '**粗体** [点我](http://evil.example/x) <font color="warning">假</font> <script>alert(1)</script> `x` # h'


def test_hostile_page_text_cannot_inject_markup(peers: Peers) -> None:
    p = policy(5, f"关于{HOSTILE}的通知", "京<b>发〔2026〕1号")
    clause = {
        "change": "modified",
        "article": "第一条<i>",
        "segments": [["equal", f"前文{HOSTILE}"], ["delete", "**旧**"], ["insert", "[新](http://evil.example)"]],
    }
    facts = [{"kind": "wording_changed", "where": "附件", "summary": f"附件: {HOSTILE}"}]
    event = make_event(p, "text_changed", "x", {"clauses": [clause], "facts": facts}, 5)
    got = peers.deliver([alert_for(event, 9)])
    html = got["email.html"]
    assert "<script>" not in html and "<font" not in html and "<b>发" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html
    for md in (got["wecom.md"], json.loads(got["webhook.json"])["message"]):
        assert "](http://evil" not in md and "<script" not in md and "**粗体**" not in md and "`x`" not in md
        assert "**旧**" not in md and 'color="warning">假' not in md
        ours = md.count("<font")
        assert ours == md.count("</font>") and all(
            f.startswith(('<font color="comment">', '<font color="info">')) for f in re.findall(r"<font[^>]*>", md)
        )
    text = got["email.txt"]
    assert f"关于{HOSTILE}的通知" in text  # plain text shows the page's words as they are


def test_a_pasted_robot_webhook_url_is_the_markdown_channel() -> None:
    full = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdefKEY"
    assert robot_url(full) == "wecombot://0123456789abcdefKEY" and channel_kind(full) == "wecom"
    assert robot_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_KEY}") == "wecombot://${WECOM_KEY}"
    assert robot_url("https://oapi.dingtalk.com/robot/send?access_token=abc123") == "dingtalk://abc123"
    assert robot_url("https://open.feishu.cn/open-apis/bot/v2/hook/abc-123") == "feishu://abc-123"
    assert channel_kind("https://example.com/hook") == "text"


def test_a_pasted_robot_url_is_delivered_as_markdown(peers: Peers, monkeypatch: pytest.MonkeyPatch) -> None:
    full = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdefKEY"
    assert send_message(full, [alert_for(sample_event("text_changed"), 3)], REPORT, [full]) == ""
    body = peers.robot.received.pop()["body"]
    assert body["msgtype"] == "markdown" and '<font color="info">2000</font>' in body["markdown"]["content"]


# --- one rendering of a change for every medium ------------------------------------------------------

_WORDS = st.text(alphabet="0123456789万元年月日以上最高不超过。,", min_size=1, max_size=8)
_SEGMENTS = st.lists(st.tuples(st.sampled_from(["equal", "delete", "insert"]), _WORDS), min_size=1, max_size=8)


def _unmark(text: str, keep: str) -> str:
    """Read the old (keep="old") or new text back out of `[-…-]{+…+}` markers."""
    deleted, inserted = r"\[-(.*?)-\]", r"\{\+(.*?)\+\}"
    if keep == "old":
        return re.sub(deleted, r"\1", re.sub(inserted, "", text))
    return re.sub(inserted, r"\1", re.sub(deleted, "", text))


@given(_SEGMENTS)
def test_plain_text_never_glues_old_and_new_values(segments: list[tuple[str, str]]) -> None:
    """Both versions can be read back from the marked text, so no old value is ever adjacent to a
    new one without a marker between them."""
    text = as_text(segments)
    old = "".join(t for op, t in segments if op != "insert")
    new = "".join(t for op, t in segments if op != "delete")
    assert _unmark(text, "old") == old and _unmark(text, "new") == new
    assert _unmark(as_markdown(segments), "old") == old


def test_each_medium_marks_a_replaced_value() -> None:
    segments = [["equal", "给予最高"], ["delete", "1500"], ["insert", "2000"], ["equal", "万元"]]
    assert as_text(segments) == "给予最高[-1500-]{+2000+}万元"
    assert as_wecom(segments) == '给予最高<font color="comment">1500</font> → <font color="info">2000</font>万元'
    assert str(as_html(segments)).count("<del") == 1 and "1500</del><ins" in str(as_html(segments))
    assert as_wecom([["insert", "第九条"]]) == '<font color="info">[新增:第九条]</font>'
    assert as_wecom([["delete", "第九条"]]) == '<font color="comment">[删去:第九条]</font>'
    assert "~~" not in as_wecom(segments)


@pytest.mark.parametrize("type_", EVENT_TYPES)
def test_every_plain_text_golden_file_keeps_old_and_new_apart(type_: str) -> None:
    for suffix in ("email.txt", "webhook.json"):
        text = (GOLDEN / f"{type_}.{suffix}").read_text(encoding="utf-8")
        for glued in ("15002000", "20272028", "2027年12月31日2028年12月31日"):
            assert glued not in text
