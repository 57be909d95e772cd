"""Sites that do not look like the demo, configured only with `start_urls` + `allow` as the README
shows: named detail pages with variable createPageHTML pagination, a GBK site with no charset label
and `?page=N` lists, 大汉-style /art/ pages behind numbered list files, content.shtml?id= pages behind
column-index-N lists. Every policy is crawled, every planted change between two revisions is found
the next run (on policies published years ago too), a chrome-only change stays silent; a redesigned
site makes the run fail loudly with one operator alert and no removals; a server answering 304 to a
changed page is caught by the periodic unconditional fetch."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from crawler.recheck import cycle_slot
from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.demo.receiver import WebhookReceiver
from monitor.health import NO_LINKS
from monitor.runner import RunResult, run_once
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Source
from tests.fixture_server import Fixture, FixtureServer

TODAY = date(2025, 6, 1)
ROBOTS = Fixture(b"User-agent: *\nAllow: /\n", "text/plain")

SOURCES = r"""
- name: qa
  start_urls: ["{base}/qa/zcwj/index.html"]
  allow_private: true
  allow: ['/qa/zcwj/[^/]+\.html$']
- name: gb
  start_urls: ["{base}/gb/list.jsp?page=1"]
  allow_private: true
  allow: ['detail\.jsp\?id=\d+']
- name: art
  start_urls: ["{base}/col/col123/1.html"]
  allow_private: true
  allow: ['/art/\d{{4}}/']
- name: zc
  start_urls: ["{base}/zc/zcwj-index-1.shtml"]
  allow_private: true
  allow: ['content\.shtml\?id=']
"""


def _page(title: str, number: str, published: str, paras: list[str], *, counter: int = 1, meta: bool = True) -> str:
    head = '<meta charset="utf-8">' if meta else ""
    info = (
        f"<table class='info'><tr><td>发文字号：</td><td>{number}</td><td>发布日期：</td><td>{published}</td></tr>"
        "<tr><td>发文机关：</td><td>某区人民政府</td></tr></table>"
    )
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<html><head>{head}<title>{title}_某区人民政府</title></head><body>"
        f'<div class="nav"><a href="/">首页</a><a href="/about.html">关于我们</a></div><h1>{title}</h1>{info}'
        f'<div class="content">{body}</div><div class="footer">浏览次数：{counter} 生成时间：2025-0{counter}-01</div>'
        "</body></html>"
    )


def _list(rows: list[tuple[str, str, str]], pager: str, meta: bool = True) -> str:
    head = '<meta charset="utf-8">' if meta else ""
    items = "".join(f'<li><a href="{href}">{title}</a><span>{day}</span></li>' for href, title, day in rows)
    return (
        f'<html><head>{head}<title>政策文件</title></head><body><div class="nav"><a href="/">首页</a>'
        f'<a href="/about.html">关于我们</a></div><ul class="list">{items}</ul><div class="page">{pager}</div></body></html>'
    )


def _qa(rev: int) -> dict[str, Fixture]:
    pager = '<script>var countPage = 2//共多少页\nvar currentPage = 0;\ncreatePageHTML(countPage, currentPage, "index", "html");</script>'
    amount = "50" if rev == 1 else "80"
    return {
        "/qa/zcwj/index.html": Fixture(
            _list([("./guanyu-cujin-keji-chuangxin.html", "关于促进科技创新的若干措施", "2024-03-01")], pager).encode()
        ),
        "/qa/zcwj/index_1.html": Fixture(
            _list([("./zhongxiao-qiye-fuchi-banfa.html", "某区中小企业扶持办法", "2019-04-02")], pager).encode()
        ),
        "/qa/zcwj/guanyu-cujin-keji-chuangxin.html": Fixture(
            _page(
                "关于促进科技创新的若干措施",
                "某区发〔2024〕3号",
                "2024-03-01",
                ["第一条 为促进科技创新,制定本措施。", "第二条 对新认定的高新技术企业给予一次性奖励20万元。"],
                counter=rev,  # revision 2 changes only the view counter and generation time
            ).encode(),
            etag=True,
        ),
        "/qa/zcwj/zhongxiao-qiye-fuchi-banfa.html": Fixture(
            _page(
                "某区中小企业扶持办法",
                "某区发〔2019〕5号",
                "2019-04-02",
                [
                    "第一条 为扶持中小企业发展,制定本办法。",
                    "第二条 本办法适用于在本区注册的中小企业。",
                    f"第三条 对符合条件的企业给予最高{amount}万元补贴。",
                ],
            ).encode(),
            etag=True,
        ),
    }


def _gb(rev: int) -> dict[str, Fixture]:
    until = "2025年12月31日" if rev == 1 else "2027年12月31日"

    def gbk(html: str) -> Fixture:
        return Fixture(html.encode("gbk"), "text/html")  # GBK bytes, no charset anywhere

    return {
        "/gb/list.jsp?page=1": gbk(
            _list(
                [("detail.jsp?id=101", "某区节能减排专项资金管理办法", "2020-05-06")],
                '<a href="list.jsp?page=2">下一页</a>',
                meta=False,
            )
        ),
        "/gb/list.jsp?page=2": gbk(
            _list([("detail.jsp?id=102", "某区老旧小区综合整治实施意见", "2018-09-10")], "", meta=False)
        ),
        "/gb/detail.jsp?id=101": gbk(
            _page(
                "某区节能减排专项资金管理办法",
                "某发改发〔2020〕4号",
                "2020-05-06",
                ["第一条 为规范节能减排专项资金管理,制定本办法。", f"第二条 本办法自发布之日起施行,有效期至{until}。"],
                meta=False,
            )
        ),
        "/gb/detail.jsp?id=102": gbk(
            _page(
                "某区老旧小区综合整治实施意见",
                "某建发〔2018〕9号",
                "2018-09-10",
                ["一、总体要求 推进老旧小区综合整治工作。", "二、主要任务 完成外墙保温和管线改造。"],
                meta=False,
            )
        ),
    }


def _art(rev: int) -> dict[str, Fixture]:
    first = [("/art/2022/1/1/art_123_402.html", "某区科技企业孵化器认定办法", "2022-01-01")]
    if rev == 2:
        first.insert(0, ("/art/2025/6/1/art_123_999.html", "某区人才发展支持办法", "2025-06-01"))
    pages = {
        "/col/col123/1.html": Fixture(_list(first, '<a href="2.html">2</a>').encode()),
        "/col/col123/2.html": Fixture(
            _list(
                [("/art/2018/6/1/art_123_401.html", "某区人才引进办法", "2018-06-01")], '<a href="1.html">1</a>'
            ).encode()
        ),
        "/art/2022/1/1/art_123_402.html": Fixture(
            _page(
                "某区科技企业孵化器认定办法",
                "某科发〔2022〕1号",
                "2022-01-01",
                ["第一条 为规范孵化器认定,制定本办法。", "第二条 孵化面积不低于3000平方米。"],
            ).encode()
        ),
        "/art/2018/6/1/art_123_401.html": Fixture(
            _page(
                "某区人才引进办法",
                "某人社发〔2018〕2号",
                "2018-06-01",
                ["第一条 为引进高层次人才,制定本办法。", "第二条 给予引进人才安家补贴30万元。"],
            ).encode()
        ),
    }
    if rev == 2:
        pages["/art/2025/6/1/art_123_999.html"] = Fixture(
            _page(
                "某区人才发展支持办法",
                "某人社发〔2025〕6号",
                "2025-06-01",
                [
                    "第一条 为支持人才发展,制定本办法。",
                    "第二条 给予引进人才安家补贴50万元。",
                    "第三条 本办法自发布之日起施行。《某区人才引进办法》（某人社发〔2018〕2号）同时废止。",
                ],
            ).encode()
        )
    return pages


def _zc(rev: int) -> dict[str, Fixture]:
    second = [("content.shtml?id=13", "某区河长制工作规定", "2021-08-08")]
    if rev == 1:
        second.insert(0, ("content.shtml?id=12", "某区临时停车管理办法", "2016-02-02"))
    pages = {
        "/zc/zcwj-index-1.shtml": Fixture(
            _list(
                [("content.shtml?id=11", "某区垃圾分类管理规定", "2023-03-03")], '<a href="zcwj-index-2.shtml">2</a>'
            ).encode()
        ),
        "/zc/zcwj-index-2.shtml": Fixture(_list(second, '<a href="zcwj-index-1.shtml">1</a>').encode()),
        "/zc/content.shtml?id=11": Fixture(
            _page(
                "某区垃圾分类管理规定",
                "某城管发〔2023〕2号",
                "2023-03-03",
                ["第一条 垃圾应分类投放。", "第二条 违者依法处理。"],
            ).encode()
        ),
        "/zc/content.shtml?id=13": Fixture(
            _page(
                "某区河长制工作规定",
                "某水务发〔2021〕8号",
                "2021-08-08",
                ["第一条 全面推行河长制。", "第二条 河长每月巡河一次。"],
            ).encode()
        ),
    }
    if rev == 1:
        pages["/zc/content.shtml?id=12"] = Fixture(
            _page(
                "某区临时停车管理办法",
                "某交发〔2016〕1号",
                "2016-02-02",
                ["第一条 规范临时停车。", "第二条 收费标准另行公布。"],
            ).encode()
        )
    return pages


def _sites(rev: int) -> dict[str, Fixture]:
    return {"/robots.txt": ROBOTS, **_qa(rev), **_gb(rev), **_art(rev), **_zc(rev)}


def _run(db: Database, server: FixtureServer, day: date, settings: Settings | None = None) -> RunResult:
    sources = parse_sources(SOURCES.format(base=server.base))
    return run_once(db, sources, settings or Settings(), report_dir=None, today=day, scrapy_overrides=DEMO_SCRAPY)


def _events(db: Database, run_id: int) -> set[tuple[str, str]]:
    with db.session() as s:
        return {
            (e.type, e.policy.title if e.policy else e.origin.name)
            for e in s.scalars(select(Event).where(Event.run_id == run_id))
        }


def test_unseen_sites_every_policy_and_every_planted_change(db: Database) -> None:
    with FixtureServer(_sites(1)) as server:
        first = _run(db, server, TODAY)
        assert first.status == "ok", first.source_stats
        assert {name: st["new"] for name, st in first.source_stats.items()} == {"qa": 2, "gb": 2, "art": 2, "zc": 3}
        assert first.source_stats["qa"]["list_pages"] == 2 and first.source_stats["gb"]["list_pages"] == 2
        with db.session() as s:
            gb = s.scalar(select(Policy).where(Policy.url.endswith("detail.jsp?id=101")))
            assert gb is not None and gb.title == "某区节能减排专项资金管理办法"  # GBK read right
            assert gb.versions[-1].encoding == "gb18030" and gb.doc_number == "某发改发〔2020〕4号"

        server.pages = _sites(2)
        second = _run(db, server, TODAY + timedelta(days=1))
        third = _run(db, server, TODAY + timedelta(days=2))  # a removal may need a second look
        found = _events(db, second.run_id) | _events(db, third.run_id)
    assert found == {
        ("text_changed", "某区中小企业扶持办法"),  # an amount in an article of a 2019 policy
        ("expiry_changed", "某区节能减排专项资金管理办法"),  # a 2020 policy extended
        ("new_policy", "某区人才发展支持办法"),
        ("repealed", "某区人才引进办法"),  # a 2018 policy repealed by the new one
        ("removed", "某区临时停车管理办法"),
    }, found
    assert second.status == "ok" and third.status == "ok"
    assert third.events.get("text_changed", 0) == 0  # nothing twice
    with db.session() as s:
        changed = s.scalar(select(Policy).where(Policy.title == "某区中小企业扶持办法"))
        assert changed is not None and "最高80万元" in changed.versions[-1].text
        extended = s.scalar(select(Policy).where(Policy.title == "某区节能减排专项资金管理办法"))
        assert extended is not None and extended.expires_date == date(2027, 12, 31)
        chrome = s.scalar(select(Policy).where(Policy.title == "关于促进科技创新的若干措施"))
        assert chrome is not None and len(chrome.versions) == 1  # chrome-only change: silent


REDESIGN = r"""
- name: qa
  start_urls: ["{base}/qa/zcwj/index.html"]
  allow_private: true
  allow: ['/qa/zcwj/[^/]+\.html$']
"""


def test_a_redesigned_site_fails_loudly_once_removes_nothing_and_recovers(db: Database, tmp_path: Path) -> None:
    with FixtureServer({"/robots.txt": ROBOTS, **_qa(1)}) as server, WebhookReceiver() as hook:
        ops = Subscriber(
            "ops", (hook.url.replace("http", "json", 1) + "/ops",), events=("source_failing", "source_recovered")
        )
        reader = Subscriber("reader", (hook.url.replace("http", "json", 1) + "/reader",))
        settings = Settings(subscribers=(ops, reader))
        sources = parse_sources(REDESIGN.format(base=server.base))

        def run(day: int) -> RunResult:
            return run_once(
                db,
                sources,
                settings,
                report_dir=tmp_path / "report",
                today=TODAY + timedelta(days=day),
                scrapy_overrides=DEMO_SCRAPY,
            )

        assert run(0).exit_code == 0
        # The redesign: the list is now rendered by JavaScript from an API, old detail URLs answer 404.
        saved = dict(server.pages)
        server.pages = {
            "/robots.txt": ROBOTS,
            "/qa/zcwj/index.html": Fixture(
                b'<html><head><meta charset="utf-8"></head><body><div id="app"></div>'
                b'<script src="/static/app.js"></script></body></html>'
            ),
        }
        blind = [run(1), run(2)]
        for result in blind:
            assert result.exit_code == 1 and result.source_stats["qa"]["failing"] == [NO_LINKS]
            assert result.source_stats["qa"]["removed"] == 0
        with db.session() as s:
            assert s.scalar(select(Event).where(Event.type == "removed")) is None
            source = s.scalar(select(Source).where(Source.name == "qa"))
            assert source is not None and source.failing_reason == NO_LINKS
        run_page = (tmp_path / "report" / f"run-{blind[0].run_id}.html").read_text(encoding="utf-8")
        assert NO_LINKS in run_page
        status = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "status", "--db", db.url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "failing source qa" in status.stdout and NO_LINKS in status.stdout  # status: all on stdout (Nagios)

        server.pages = saved
        back = run(3)
        assert back.exit_code == 0 and back.source_stats["qa"]["failing"] == []
        run(4)
    kinds = Counter(r["path"] for r in hook.received)
    titles = [r["body"]["title"] for r in hook.received]
    assert [r["path"] for r in hook.received] == ["/ops", "/ops"], kinds  # readers did not opt in
    assert "异常" in titles[0] and "已恢复" in titles[1]
    assert NO_LINKS in hook.received[0]["body"]["message"]


def test_a_server_answering_304_to_a_changed_page_is_caught_by_the_full_refetch(db: Database) -> None:
    url_path = "/qa/zcwj/zhongxiao-qiye-fuchi-banfa.html"
    with FixtureServer({"/robots.txt": ROBOTS, **_qa(1)}) as server:
        sources = parse_sources(REDESIGN.format(base=server.base))
        full_url = server.base + url_path
        # Start so that the page's day in the 7-day full-fetch cycle comes 4 days later.
        start = TODAY + timedelta(days=(cycle_slot(full_url, 7) - TODAY.toordinal() - 4) % 7)
        run_once(db, sources, Settings(), report_dir=None, today=start, scrapy_overrides=DEMO_SCRAPY)
        # The page changes, but the server answers 304 to every conditional request.
        server.pages[url_path] = Fixture(_qa(2)[url_path].body, etag=True, always_304=True)
        found = []
        for day in range(1, 6):
            result = run_once(
                db,
                sources,
                Settings(),
                report_dir=None,
                today=start + timedelta(days=day),
                scrapy_overrides=DEMO_SCRAPY,
            )
            found.append(result.events.get("text_changed", 0))
        asked = [h for p, h in server.requests if p == url_path][1:]
    # Re-checked every run (in force): conditionally on days 1-3 (fooled by the 304), in full on day 4.
    assert found == [0, 0, 0, 1, 0]
    assert ["If-None-Match" in h for h in asked] == [True, True, True, False, True]
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.url == full_url))
        assert policy is not None and "最高80万元" in policy.versions[-1].text


def test_max_list_pages_cap_is_reported_never_silent(db: Database, tmp_path: Path) -> None:
    capped = r"""
- name: gb
  start_urls: ["{base}/gb/list.jsp?page=1"]
  allow_private: true
  allow: ['detail\.jsp\?id=\d+']
  max_list_pages: 1
"""
    with FixtureServer({"/robots.txt": ROBOTS, **_gb(1)}) as server:
        sources = parse_sources(capped.format(base=server.base))
        result = run_once(
            db, sources, Settings(), report_dir=tmp_path / "report", today=TODAY, scrapy_overrides=DEMO_SCRAPY
        )
        assert server.fetched("/gb/list.jsp?page=2") == 0
    st = result.source_stats["gb"]
    assert st["capped"] == 1 and st["new"] == 1 and st["failing"] == []
    assert any("max_list_pages=1 reached, 1 further list page(s) not crawled" in e for e in st["errors"])
    page = (tmp_path / "report" / f"run-{result.run_id}.html").read_text(encoding="utf-8")
    assert "另有 1 个列表页本次未抓取" in page
    with db.session() as s:  # the pages it does read are a baseline like any other: later news alerts
        source = s.scalar(select(Source).where(Source.name == "gb"))
        assert source is not None and source.baselined_at is not None
