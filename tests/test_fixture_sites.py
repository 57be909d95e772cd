"""Real crawls of fixture sites in the styles Beijing government sites use: TRS createPageHTML lists,
beijing.gov.cn Pager() and doc-info, a document.write list behind a redirect shell, a JSON policy
library API, GBK mislabelled as UTF-8 and the reverse, a 412 anti-bot answer, PDF and DOCX
attachments, conditional requests and incremental re-checks."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path

import docx
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from sqlalchemy import select

from crawler.recheck import cycle_slot
from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, parse_sources
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Policy, Run, Version
from tests.fixture_server import Fixture, FixtureServer

TODAY = date(2025, 6, 1)


def _pdf(text: str) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setFont("STSong-Light", 12)
    for i, line in enumerate(text.split("\n")):
        pdf.drawString(50, 800 - 20 * i, line)
    pdf.save()
    return out.getvalue()


def _docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _html(charset: str, head: str, body: str) -> str:
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">{head}</head>'
        f'<body><div class="nav"><a href="/">首页</a></div>{body}<div>浏览次数：1</div></body></html>'
    )


def _site() -> dict[str, Fixture]:
    trs_detail = _html(
        "utf-8",
        '<meta content="关于印发某区促进产业发展若干措施的通知" name="ArticleTitle" /><meta name="PubDate" content="2025-01-02 09:30">',
        "<table><tr><td>发文字号：</td><td>某区发[2025]1号</td><td>成文日期：</td><td>2024年12月30日</td></tr>"
        "<tr><td>发文机关：</td><td>某区人民政府</td><td>发布日期：</td><td>2025年01月02日</td></tr></table>"
        '<div class="view TRS_UEDITOR trs_paper_default"><p>第一条 支持企业发展,给予最高500万元资金支持。</p>'
        "<p><span>第二条 本措施自发布之日起施行,有效期三年。《某区促进产业发展暂行办法》（某区发</span>"
        "<span>[2021]3</span>号）同</span><span>时废止。</p>"
        '<p class="insertfileTag"><a appendix="true" href="./P020250102.pdf">附件1.申报指南.pdf</a></p>'
        '<p><a href="./W020250102.docx">附件2.申报表.docx</a></p></div>',
    )
    gbk_as_utf8 = _html(
        "utf-8",
        '<meta name="ArticleTitle" content="朝阳区关于支持文化产业发展的若干措施">',
        '<div id="zoom"><p>第一条 对符合条件的文化企业给予最高100万元奖励。</p><p>第二条 本措施自印发之日起施行。</p></div>',
    ).encode("gbk")
    bj_detail = _html(
        "gbk",
        "",
        '<div class="header"><p>北京市某局关于加强管理的规定</p></div><ol class="doc-info clearfix"><style>.noN1{}</style>'
        "<li>[发文字号]<span>京某发〔2025〕7号</span></li><li>[发文机构]<span>北京市某局</span></li>"
        "<li>[成文日期]<span>2025-02-20</span></li><li>[发布日期]<span>2025-03-01</span></li>"
        "<li>[有效性]<span>有效</span></li></ol>"
        '<div id="mainText"><div><p>第一条 为加强管理,制定本规定。</p><p>第二条 本规定自2025年4月1日起施行。</p></div></div>',
    ).encode("utf-8")
    api_detail = _html(
        "utf-8",
        '<meta name="ArticleTitle" content="海淀区关于促进金融业高质量发展的若干措施"><meta name="ContentSource" content="海淀区金融办">',
        '<div id="mainText"><p>一、支持金融机构落户,给予最高1000万元支持。</p><p>二、本措施自印发之日起施行。</p></div>',
    )
    return {
        "/robots.txt": Fixture(b"User-agent: *\nAllow: /\n", "text/plain"),
        "/a/index.html": Fixture(
            _html(
                "utf-8",
                "",
                '<ul><li><a href="./202501/t20250102_1.html">关于印发某区促进产业发展若干措施的通知</a><span>2025-01-02</span></li></ul>'
                '<script>createPageHTML(2, 0, "index", "html");</script>',
            ).encode()
        ),
        "/a/index_1.html": Fixture(
            _html(
                "utf-8",
                "",
                '<ul><li><a href="./202412/t20241201_2.html">朝阳区关于支持文化产业发展的若干措施</a><span>2024-12-01</span></li></ul>',
            ).encode()
        ),
        "/a/202501/t20250102_1.html": Fixture(trs_detail.encode(), etag=True),
        "/a/202501/P020250102.pdf": Fixture(
            _pdf("申报指南\n第一条 申报单位应于2025年3月31日前提交材料。"), "application/pdf"
        ),
        "/a/202501/W020250102.docx": Fixture(
            _docx("申报表\n单位名称 联系人 申请金额"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "/a/202412/t20241201_2.html": Fixture(gbk_as_utf8, "text/html; charset=utf-8"),
        "/b/": Fixture(
            b"<html><head><script>window.location.replace('./zcwj/index.html');</script></head><body></body></html>"
        ),
        "/b/zcwj/index.html": Fixture(
            _html(
                "utf-8",
                "",
                '<div class="listBox"><ul><li><a href="./202503/t20250301_5.html" title="北京市某局关于加强管理的规定">北京市某局…</a><span>2025-03-01</span></li></ul></div>'
                "<div class='changepage'><script>Pager({size:2, current:0, prefix:'index',suffix:'html'});</script></div>",
            ).encode()
        ),
        "/b/zcwj/index_1.html": Fixture(
            _html(
                "utf-8",
                "",
                "<script>document.write('<li><a href=\"./202502/t20250201_6.html\">受保护的页面</a></li>');</script>",
            ).encode()
        ),
        "/b/zcwj/202503/t20250301_5.html": Fixture(bj_detail, "text/html; charset=GBK"),
        "/b/zcwj/202502/t20250201_6.html": Fixture(
            b"<html><body><script>var _0x1=1;</script></body></html>", status=412
        ),
        "/api/search?pageNum=1": Fixture(
            json.dumps(
                {
                    "rows": [
                        {
                            "title": "海淀区关于促进金融业高质量发展的若干措施",
                            "docPubUrl": "/c/202504/t20250410_9.shtml",
                            "pubDate": "2025-04-10 10:00:00",
                            "youxiaoxing": "0",
                            "organCodeName": "海金融文",
                            "yearOfPublish": 2024,
                            "serialNumberOfPublish": 1,
                        }
                    ]
                },
                ensure_ascii=False,
            ).encode(),
            "application/json",
        ),
        "/api/search?pageNum=2": Fixture(b'{"rows": []}', "application/json"),
        "/c/202504/t20250410_9.shtml": Fixture(api_detail.encode()),
    }


SOURCES = """
- name: trs
  region: 某区
  start_urls: ["{base}/a/index.html"]
  allow_private: true
- name: bj
  region: 北京市
  start_urls: ["{base}/b/"]
  allow_private: true
- name: hd-api
  region: 北京市海淀区
  kind: json_api
  start_urls: ["{base}/api/search?pageNum=1"]
  allow_private: true
  api:
    rows: rows
    url: docPubUrl
    title: title
    date: pubDate
    next_page: pageNum
    status_field: youxiaoxing
    status_map: {{"1": 有效, "*": 失效}}
    fields:
      发文字号: "{{organCodeName}}〔{{yearOfPublish}}〕{{serialNumberOfPublish}}号"
"""


def _policy(db: Database, url_end: str) -> tuple[Policy, Version]:
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.url.endswith(url_end)))
        assert policy is not None, url_end
        version = policy.versions[-1]
        return policy, version


def test_fixture_sites_end_to_end(db: Database, tmp_path: Path) -> None:
    with FixtureServer(_site()) as server:
        sources = parse_sources(SOURCES.format(base=server.base))
        first = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY)

        # TRS page: meta, table info, span-split repeal, PDF and DOCX attachment text.
        policy, version = _policy(db, "t20250102_1.html")
        assert policy.title == "关于印发某区促进产业发展若干措施的通知"
        assert policy.doc_number == "某区发〔2025〕1号" and policy.issuer == "某区人民政府"
        assert (policy.published, policy.effective_date, policy.expires_date) == (
            date(2025, 1, 2),
            date(2025, 1, 2),
            date(2028, 1, 1),
        )
        assert "申报单位应于2025年3月31日前提交材料" in version.text  # from the PDF
        assert "单位名称联系人申请金额" in version.text  # from the DOCX
        assert ("附件《附件1.申报指南.pdf》", "第一条") in [
            (c[2][0] if c[2] else "", c[0]) for c in version.document["clauses"]
        ]
        assert version.lifecycle["repeals"][0]["doc_number"] == "某区发〔2021〕3号"

        # GBK served as UTF-8, and UTF-8 served as GBK: real Chinese either way.
        policy, version = _policy(db, "t20241201_2.html")
        assert policy.title == "朝阳区关于支持文化产业发展的若干措施" and "最高100万元奖励" in version.text
        assert version.encoding == "gb18030"
        policy, version = _policy(db, "t20250301_5.html")
        assert policy.title == "北京市某局关于加强管理的规定" and policy.doc_number == "京某发〔2025〕7号"
        assert policy.effective_date == date(2025, 4, 1) and version.encoding == "utf-8"

        # The JSON API: 文号 and the official validity flag from the row, the text from the page.
        policy, _ = _policy(db, "t20250410_9.shtml")
        assert policy.doc_number == "海金融文〔2024〕1号"
        assert (policy.status, policy.status_source) == ("已失效", "official_label")

        # The 412 challenge is a failed fetch of that page, never content.
        with db.session() as s:
            assert s.scalar(select(Policy).where(Policy.url.endswith("t20250201_6.html"))) is None
        assert first.source_stats["bj"]["failed"] == 1 and "412" in first.source_stats["bj"]["errors"][0]
        assert first.status == "partial" and first.exit_code == 1

        # Second run, the next day: policies in force (or of unknown status) are re-checked every run,
        # conditionally — the TRS page answers 304 to its ETag; the page without validators is
        # fetched again and found unchanged.
        second = run_once(
            db, sources, Settings(), report_dir=None, today=date(2025, 6, 2), scrapy_overrides=DEMO_SCRAPY
        )
        conditional = [h for p, h in server.requests if p == "/a/202501/t20250102_1.html"]
        assert len(conditional) == 2
        slot = cycle_slot(f"{server.base}/a/202501/t20250102_1.html", 7) == date(2025, 6, 2).toordinal() % 7
        assert ("If-None-Match" in conditional[1]) is not slot  # on its day in the cycle: a full GET
        assert server.fetched("/a/202412/t20241201_2.html") == 2
        assert second.source_stats["trs"]["unchanged"] == 2
        with db.session() as s:
            assert len(list(s.scalars(select(Version)))) == 4
            assert s.scalar(select(Run.status).where(Run.id == second.run_id)) == "partial"


def test_retry_after_is_honoured_and_a_5xx_is_never_a_removal(db: Database) -> None:
    from crawler.middlewares import retry_after_seconds

    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("garbage") is None
    pages = {
        "/robots.txt": Fixture(b"User-agent: *\nAllow: /\n", "text/plain"),
        "/l/index.html": Fixture(_html("utf-8", "", '<a href="./202501/t20250101_1.html">某办法</a>').encode()),
        "/l/202501/t20250101_1.html": Fixture(b"busy", status=429, headers={"Retry-After": "1"}),
    }
    with FixtureServer(pages) as server:
        sources = parse_sources(f'- name: slow\n  start_urls: ["{server.base}/l/index.html"]\n  allow_private: true\n')
        result = run_once(
            db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides={**DEMO_SCRAPY, "RETRY_TIMES": 1}
        )
        times = [t for t in server.request_times if t[0] == "/l/202501/t20250101_1.html"]
    assert len(times) == 2 and times[1][1] - times[0][1] >= 0.9  # the retry waited as asked
    assert result.source_stats["slow"]["failed"] == 1 and result.source_stats["slow"]["removed"] == 0
    with db.session() as s:
        assert s.scalar(select(Version)) is None


def test_a_policy_mirrored_on_two_sites_is_one_policy_with_two_urls(db: Database) -> None:
    def page(style: str) -> bytes:
        info = (
            "<table><tr><td>发文字号：</td><td>京技管发〔2025〕8号</td></tr><tr><td>发文机关：</td>"
            "<td>北京经济技术开发区管理委员会</td></tr><tr><td>发布日期：</td><td>2025-03-03</td></tr></table>"
            if style == "district"
            else '<ol class="doc-info"><li>[发文字号]<span>京技管〔2025〕8号</span></li>'
            "<li>[发文机构]<span>北京经济技术开发区管理委员会</span></li><li>[发布日期]<span>2025-03-04</span></li></ol>"
        )
        body = (
            '<div class="TRS_Editor"><p>第一条 支持机器人企业,给予最高500万元支持。</p>'
            "<p>第二条 本措施自发布之日起施行。</p></div>"
        )
        return _html(
            "utf-8",
            '<meta name="ArticleTitle" content="北京经济技术开发区关于推动机器人产业发展的若干措施">',
            info + body,
        ).encode()

    pages = {
        "/robots.txt": Fixture(b"User-agent: *\nAllow: /\n", "text/plain"),
        "/kfq/index.html": Fixture(_html("utf-8", "", '<a href="./202503/t20250303_8.html">机器人措施</a>').encode()),
        "/kfq/202503/t20250303_8.html": Fixture(page("district")),
        "/bj/index.html": Fixture(_html("utf-8", "", '<a href="./202501/t20250101_1.html">另一政策</a>').encode()),
        "/bj/202501/t20250101_1.html": Fixture(
            _html(
                "utf-8",
                '<meta name="ArticleTitle" content="另一政策">',
                '<div id="zoom"><p>第一条 为规范本区另一项工作,制定本政策,自发布之日起施行。</p></div>',
            ).encode()
        ),
    }
    with FixtureServer(pages) as server:
        sources = parse_sources(
            f'- name: kfq\n  start_urls: ["{server.base}/kfq/index.html"]\n  allow_private: true\n'
            f'- name: beijing\n  start_urls: ["{server.base}/bj/index.html"]\n  allow_private: true\n'
        )
        run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY)
        # beijing.gov.cn republishes the district's policy (文号 written without 发, as it often is not).
        server.pages["/bj/index.html"] = Fixture(
            _html(
                "utf-8",
                "",
                '<a href="./202503/t20250304_9.html">机器人措施</a><a href="./202501/t20250101_1.html">另一政策</a>',
            ).encode()
        )
        server.pages["/bj/202503/t20250304_9.html"] = Fixture(
            page("beijing").replace("京技管〔".encode(), "京技管发〔".encode())
        )
        second = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY)
    assert second.source_stats["beijing"]["mirrored"] == 1 and second.events == {}
    with db.session() as s:
        policies = list(s.scalars(select(Policy).where(Policy.doc_number == "京技管发〔2025〕8号")))
        assert len(policies) == 1
        urls = [policies[0].url, *(a.url for a in policies[0].aliases)]
        assert [u.rsplit("/", 2)[-2] for u in urls] == ["202503", "202503"] and len(set(urls)) == 2
        assert policies[0].aliases[0].matched_by == "doc_number"


def test_sources_check_shows_links_pagination_and_fields(tmp_path: Path) -> None:
    import subprocess
    import sys

    with FixtureServer(_site()) as server:
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(SOURCES.format(base=server.base), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "sources", "check", "bj", "--sources", str(sources_file)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "250"},
        )
    out = done.stdout
    assert "policy links decided by the URL heuristic" in out
    assert "list pages: 2" in out and "redirect shell" in out  # the shell at /b/ was followed
    assert "Pager" in out and "/b/zcwj/index_1.html" in out
    assert "detail links kept: 2" in out and "2025-03-01" in out
    for expected in ("北京市某局关于加强管理的规定", "京某发〔2025〕7号", "2025-04-01", "2025-03-01"):
        assert expected in out, expected
    # The 412 anti-bot page is shown as what it is, and the check says something reads wrong.
    assert "HTTP 412" in done.stderr and done.returncode == 1 and "read empty" in done.stderr
