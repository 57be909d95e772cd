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


def _ingest(db: Database, html: str) -> None:
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    ing = Ingestor(db, run_id=run_id, source=SOURCE, settings=Settings(), today=date(2026, 1, 1))
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
        policy_id = s.scalar(select(Policy.id))
    for page in (out, tmp_path / "report" / f"policy-{policy_id}.html", tmp_path / "report" / "status.html"):
        root = lxml.html.parse(str(page)).getroot()
        assert not root.xpath("//script"), page
        assert not root.xpath("//@*[starts-with(normalize-space(.), 'javascript:')]"), page
        assert not root.xpath("//@onerror | //img"), page
    text = (tmp_path / "report" / f"policy-{policy_id}.html").read_text(encoding="utf-8")
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
        policy_id = s.scalar(select(Policy.id))
    browser = _chromium()
    assert browser is not None
    for name in ("run-2.html", f"policy-{policy_id}.html"):
        page = (tmp_path / "report" / name).resolve().as_uri()
        profile = tmp_path / f"profile-{name}"
        shot = tmp_path / f"{name}.png"
        dom = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dom.returncode == 0, dom.stderr[-2000:]
        rendered = lxml.html.fromstring(dom.stdout)
        assert rendered.xpath("//header/a[@href='index.html']")
        if name.startswith("policy"):
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
