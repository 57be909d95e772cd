"""The HTML report: escaped hostile content, and real rendering in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import select

from monitor import report
from monitor.addresses import policy_page
from monitor.config import Settings, SourceConfig
from monitor.contracts import ListedLink, ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.report import render_report
from monitor.store.db import Database
from monitor.store.models import Policy, Run

SOURCE = SourceConfig(name="hostile", start_urls=("http://127.0.0.1:9/list/",), allow_private=True, region="<b>区</b>")
LONG = "很长" * 5000  # a 10,000-character single line


def _hostile_page(extra: str) -> str:
    return (
        '<html><head><meta name="ArticleTitle" content="&lt;script&gt;alert(1)&lt;/script&gt;恶意标题"></head><body>'
        '<div class="TRS_Editor"><p>第一条 &lt;script&gt;alert("x")&lt;/script&gt; 点击 javascript:alert(1) 。</p>'
        f"<p>第二条 {LONG}{extra}。</p><p>第三条 本办法自2025年1月1日起施行。</p></div></body></html>"
    )


def _ingestor(db: Database) -> Ingestor:
    """The unit of work of a new run."""
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    return Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 1, 1))


def _ingest(db: Database, html: str) -> None:
    ing = _ingestor(db)
    url = "http://127.0.0.1:9/a/t20250101_1.html"
    ing.record_list(ListPageItem("hostile", SOURCE.start_urls[0], 200, [ListedLink(url)]))
    ing.ingest_page(
        PageItem("hostile", url, 200, datetime.now(UTC), body=html.encode(), text=html, content_type="text/html")
    )
    ing.finish()


def test_hostile_content_is_escaped(db: Database, tmp_path: Path) -> None:
    _ingest(db, _hostile_page(""))
    _ingest(db, _hostile_page("<img src=x onerror=alert(1)>新增"))
    out = render_report(db, tmp_path / "report", today=date(2026, 1, 1))
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        page_name = policy_page(policy.source.name, policy.url)
    for page in (out, tmp_path / "report" / page_name, tmp_path / "report" / "status.html"):
        root = lxml.html.parse(str(page)).getroot()
        assert not root.xpath("//script"), page
        assert not root.xpath("//@*[starts-with(normalize-space(.), 'javascript:')]"), page
        assert not root.xpath("//@onerror | //img"), page
    text = (tmp_path / "report" / page_name).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;恶意标题" in text
    assert LONG in text and "overflow-wrap:anywhere" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(
    _chromium() is None and not os.environ.get("POLICYWATCH_REQUIRE_CHROMIUM"),
    reason="Debian chromium is not installed (.ci/run installs it and requires this test)",
)
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    # Rendering does not depend on the database backend: SQLite only, to keep the browser runs few.
    db = Database(f"sqlite:///{tmp_path / 'pw.db'}")
    db.upgrade()
    _ingest(db, _hostile_page(""))
    _ingest(db, _hostile_page("新增内容"))
    render_report(db, tmp_path / "report", today=date(2026, 1, 1))
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        policy_name = policy_page(policy.source.name, policy.url)
    browser = _chromium()
    assert browser is not None
    for name in ("run-2.html", policy_name):
        page = (tmp_path / "report" / name).resolve().as_uri()
        profile = tmp_path / f"profile-{name.replace('/', '-')}"
        shot = tmp_path / f"{name.replace('/', '-')}.png"
        dom = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dom.returncode == 0, dom.stderr[-2000:]
        rendered = lxml.html.fromstring(dom.stdout)
        assert rendered.xpath(f"//header/a[@href='{'../' * name.count('/')}index.html']")
        if name.startswith("policies/"):
            assert "新增内容" in rendered.text_content()
            assert rendered.cssselect(".change ins")
        else:
            assert "内容变化" in rendered.text_content()
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1280,1600",
                f"--screenshot={shot}",
                page,
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000


def test_after_a_run_only_the_pages_it_touched_are_rewritten(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pw.db'}")
    db.upgrade()
    _ingest(db, _hostile_page(""))
    out = tmp_path / "report"
    render_report(db, out, today=date(2026, 1, 1))
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        page = out / policy_page(policy.source.name, policy.url)
        quiet_run = Run(started_at=datetime.now(UTC), status="ok", stats={})
        s.add(quiet_run)
        s.flush()
        run_id = quiet_run.id
    # A policy page names the policy by its identity, and its links lead back to the report's top.
    assert page.parent.parent.name == "policies" and 'href="../../index.html"' in page.read_text(encoding="utf-8")
    page.write_text("untouched", encoding="utf-8")
    render_report(db, out, today=date(2026, 1, 1), run_id=run_id)  # a run that changed nothing
    assert page.read_text(encoding="utf-8") == "untouched"
    _ingest(db, _hostile_page("新增内容"))
    with db.session() as s:
        run_id = s.scalar(select(Run.id).order_by(Run.id.desc()))
    render_report(db, out, today=date(2026, 1, 1), run_id=run_id)  # this run stored a new version
    assert "新增内容" in page.read_text(encoding="utf-8") and (out / f"run-{run_id}.html").is_file()
    status = (out / "status.html").read_text(encoding="utf-8")
    assert f'href="{policy_page(policy.source.name, policy.url)}"' in status
    # Times in Asia/Shanghai with the zone shown, codes in Chinese.
    index, run_page = (
        (out / "index.html").read_text(encoding="utf-8"),
        (out / f"run-{run_id}.html").read_text(encoding="utf-8"),
    )
    assert "(UTC+08:00)" in index and "(UTC+08:00)" in run_page and "(UTC+08:00)" in page.read_text(encoding="utf-8")
    for code in ("official_label", "inferred_clause", "default_presumed", ">ok<", ">partial<"):
        assert code not in index + run_page + page.read_text(encoding="utf-8"), code


def test_a_large_report_is_written_by_two_processes_alike(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From SPLIT_FROM policy pages a helper process writes part of them (on the other core): the
    same pages, byte for byte, as this process alone writes."""
    ing = _ingestor(db)
    for i in range(7):
        url = f"http://127.0.0.1:9/a/t2025010{i}_{i}.html"
        html = _hostile_page(f"第{i}号").replace("恶意标题", f"恶意标题{i}")
        ing.ingest_page(PageItem("hostile", url, 200, datetime.now(UTC), body=html.encode(), text=html))
    alone, helped = tmp_path / "alone", tmp_path / "helped"
    render_report(db, alone, today=date(2026, 1, 1))
    monkeypatch.setattr(report, "SPLIT_FROM", 2)
    render_report(db, helped, today=date(2026, 1, 1))
    pages = sorted(p.relative_to(alone) for p in (alone / "policies").rglob("*.html"))
    assert len(pages) == 7
    assert sorted(p.relative_to(helped) for p in (helped / "policies").rglob("*.html")) == pages
    for page in pages:
        assert (helped / page).read_bytes() == (alone / page).read_bytes()
