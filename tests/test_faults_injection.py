"""Hostile page content (#17 part 5, #13 bug 5), end to end: a real crawl of pages whose title and text
carry `</title><script>`, `onerror=`, `javascript:` links and chat markdown (`**`, `~~`, `[x](…)`,
`<font>`), then the alerts as the real receivers got them — email (SMTP), WeCom, DingTalk and Feishu
robots, a JSON webhook — and the HTML report. Nothing the page wrote may become markup anywhere;
its words stay readable."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import date
from pathlib import Path

import lxml.html
import pytest

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.demo.smtpsink import SMTPSink
from monitor.runner import run_once
from monitor.store.db import Database
from tests.fault_server import LEDGER, FaultSite, chrome, list_page, policy_page
from tests.robot_receiver import RobotReceiver

pytestmark = pytest.mark.faults

TODAY = date(2025, 6, 1)
# What a page may say, as text (it is escaped in the page's own HTML, so these are its words).
HOSTILE = (
    "</title><script>alert(1)</script><img src=x onerror=alert(2)> **粗体** ~~删除线~~ [点我](javascript:alert(3)) "
    '<font color="warning">假警报</font> `代码` # 标题 | 表格 <a href="javascript:alert(4)">链接</a>'
)
HOSTILE_TITLE = f"某区关于{HOSTILE}的通知"
# Real markup in the page body: it must not survive into any output either.
LIVE_MARKUP = (
    '<p>第七条 <img src="x" onerror="alert(5)"><a href="javascript:alert(6)">点击领取补贴</a>'
    '<a href="JavaScript:alert(7)//附件.pdf">附件.pdf</a><script>alert(8)</script></p>'
)


def hostile_page() -> str:
    escaped = htmllib.escape(HOSTILE_TITLE)
    info = "<table><tr><td>发文字号：</td><td>某政发〔2025〕9号</td></tr><tr><td>发布日期：</td><td>2025-01-02</td></tr></table>"
    body = (
        f'{info}<h1>{escaped}</h1><div class="TRS_Editor"><p>第一条 为支持企业发展,制定本措施。</p>'
        f"<p>第二条 {htmllib.escape(HOSTILE)}</p><p>第三条 对符合条件的企业给予最高300万元奖励。</p>{LIVE_MARKUP}</div>"
    )
    return chrome(escaped, body)


def changed_page() -> str:
    """Policy 1 with one article rewritten in hostile words: a text_changed alert quoting them."""
    return policy_page(1).replace("支持第1类企业发展事项三", f"支持{htmllib.escape(HOSTILE)}事项三")


def _markdown_bodies(robot: RobotReceiver) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"wecom": [], "dingtalk": [], "feishu": [], "webhook": []}
    for path, raw in zip(robot.paths, robot.bodies, strict=True):
        data = json.loads(raw)
        if path.startswith("/cgi-bin/webhook"):
            out["wecom"].append(data["markdown"]["content"])
        elif path.startswith("/robot/send"):
            out["dingtalk"].append(data["markdown"]["text"])
        elif path.startswith("/open-apis"):
            out["feishu"].append(data["card"]["elements"][0]["text"]["content"])
        else:
            out["webhook"].append(data["message"])
    return out


def _assert_inert_markdown(channel: str, md: str) -> None:
    for bad in (
        "**粗体**",
        "~~删除线~~",
        "](javascript",
        "<script",
        "<img",
        '<font color="warning"',
        "`代码`",
        "<a href",
    ):
        assert bad.lower() not in md.lower(), f"{channel}: {bad!r} survived\n{md}"
    assert not re.search(r"^#+ *标题", md, re.M), f"{channel}: a heading from page text\n{md}"
    ours = re.findall(r"<font[^>]*>", md)
    assert all(f in ('<font color="comment">', '<font color="info">') for f in ours), (channel, ours)
    assert "粗体" in md and "假警报" in md, f"{channel}: the page's words must stay readable\n{md}"


def _assert_inert_html(where: str, page: str) -> None:
    root = lxml.html.fromstring(page)
    assert len(root.xpath("//title")) <= 1, f"{where}: a second <title>"
    assert not [s for s in root.xpath("//script") if "alert" in (s.text or "")], f"{where}: page script ran"
    assert not root.xpath(
        "//@*[starts-with(translate(normalize-space(.), 'JAVSCRIPT', 'javscript'), 'javascript:')]"
    ), where
    assert not root.xpath("//@onerror | //img[@src='x'] | //font[@color='warning']"), where


def test_hostile_page_content_is_inert_in_every_alert_and_the_report(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "AbCdEf0123456789GhIjKlMnOp"
    monkeypatch.setenv("ROBOT_KEY", key)
    with FaultSite() as site, RobotReceiver() as robot, SMTPSink() as smtp:
        monkeypatch.setenv("POLICYWATCH_WECOM_URL", robot.url + "/cgi-bin/webhook/send?key={key}")
        monkeypatch.setenv("POLICYWATCH_DINGTALK_URL", robot.url + "/robot/send?access_token={token}")
        monkeypatch.setenv("POLICYWATCH_FEISHU_URL", robot.url + "/open-apis/bot/v2/hook/{token}")
        urls = (
            "wecombot://${ROBOT_KEY}",
            "dingtalk://${ROBOT_KEY}",
            "feishu://${ROBOT_KEY}",
            robot.url.replace("http", "json", 1) + "/hook",
            smtp.apprise_url(to="officer@example.com"),
        )
        settings = Settings(subscribers=(Subscriber("all", urls),))
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html"]))
        site.publish("/zcwj/202501/t1.html", policy_page(1))
        sources = parse_sources(f'- name: site\n  start_urls: ["{site.base}/zcwj/index.html"]\n  allow_private: true\n')
        report = tmp_path / "report"

        def run() -> None:
            result = run_once(db, sources, settings, report_dir=report, today=TODAY, scrapy_overrides=DEMO_SCRAPY)
            assert result.exit_code == 0, result.source_stats

        run()  # baseline
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html", "/zcwj/202501/t2.html"]))
        site.publish("/zcwj/202501/t1.html", changed_page())
        site.publish("/zcwj/202501/t2.html", hostile_page())
        run()  # a new hostile policy, and a change quoting hostile words

    bodies = _markdown_bodies(robot)
    for channel, texts in bodies.items():
        assert len(texts) == 2, (channel, len(texts))  # new_policy + text_changed
        for md in texts:
            _assert_inert_markdown(channel, md)
    assert len(smtp.messages) == 2
    for message in smtp.messages:
        page = message.get_body(("html",)).get_content()
        _assert_inert_html("email", page)
        assert "粗体" in page and "\n" not in message["subject"]
    pages = sorted(report.rglob("*.html"))
    assert len(pages) >= 3
    for path in pages:
        _assert_inert_html(str(path.relative_to(report)), path.read_text(encoding="utf-8"))
    assert any("粗体" in p.read_text(encoding="utf-8") for p in pages)
    LEDGER.update({"planted changes alerted": 2, "alerts counted by a receiver": 10})  # 2 alerts x 5 channels
