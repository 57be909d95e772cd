"""The web app in a real browser (Playwright driving Debian's Chromium) against a server started here on
loopback with the demo's two revisions loaded: search, filters, 文号 with [], diffs, the revision against
the policy it replaces, feeds, admin changes (and their refusal without the token), screenshots at 1280
and 390 px, and no element wider than a 390 px phone screen."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.config import load_settings
from monitor.events import QUIET_EVENTS
from monitor.store.db import Database
from monitor.store.models import Event, Source, Version
from monitor.web.app import create_app
from tests.webdemo import load_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file() and not os.environ.get("POLICYWATCH_REQUIRE_CHROMIUM"),
        reason="Debian chromium is not installed (.ci/run installs it and requires this test)",
    ),
]
TOKEN = "browser-admin-token"
# Every element's right edge within the viewport (1 px of rounding allowed); the page itself not wider.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 1 || r.left < -1)) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    work = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{work / 'pw.db'}")
    db.upgrade()
    expected = load_demo(db)
    config = work / "policywatch.toml"
    config.write_text(f'[web]\nadmin_token = "{TOKEN}"\n', encoding="utf-8")
    app = create_app(db, load_settings(config), config_file=config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "the web app did not start"
    yield {"url": f"http://127.0.0.1:{sock.getsockname()[1]}", "db": db, "expected": expected, "config": config}
    uv.should_exit = True
    thread.join(10)
    db.dispose()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots go to $POLICYWATCH_ARTIFACTS (CI keeps them), else a temporary directory."""
    out = Path(os.environ.get("POLICYWATCH_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(base_url=server["url"], viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def _search(page: Any, **fields: str) -> list[str]:
    page.goto("/")
    if "q" in fields:
        page.fill("input[name=q]", fields["q"])
    if "status" in fields:
        page.select_option("select[name=status]", fields["status"])
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    return page.locator("#policies tr.policy td:first-child a").all_inner_texts()


def _latest_texts(db: Database) -> dict[str, str]:
    with db.session() as s:
        latest = select(func.max(Version.id)).group_by(Version.policy_id)
        return dict(s.execute(select(Version.title, Version.text).where(Version.id.in_(latest))).all())


def test_search_filter_and_doc_number_in_the_browser(page: Any, server: dict[str, Any]) -> None:
    texts = _latest_texts(server["db"])
    with server["db"].session() as s:
        from monitor.store.models import Policy

        titles = {p.title: p for p in s.scalars(select(Policy))}
        wanted = {t for t, p in titles.items() if "算力" in t or "算力" in texts.get(p.versions[-1].title, "")}
    assert wanted and set(_search(page, q="算力")) == wanted
    assert _search(page, status="已废止") == [server["expected"]["repealed"]]
    assert page.locator("#counts a[data-status=已废止]").inner_text() == "已废止 1"
    assert _search(page, q="海商发[2026]5号") == [server["expected"]["new_policy"]]


def test_amount_change_between_two_chosen_versions(page: Any, server: dict[str, Any]) -> None:
    _search(page, q=server["expected"]["text_changed"])
    page.click("#policies tr.policy td:first-child a")
    page.select_option("select[name=from]", "2")
    page.select_option("select[name=to]", "1")
    page.click("#compare + form button")
    page.wait_for_load_state()
    assert page.locator("#diff .inline del").all_inner_texts() == ["2000"]
    page.select_option("select[name=from]", "1")
    page.select_option("select[name=to]", "2")
    page.click("#compare + form button")
    page.wait_for_load_state()
    assert page.locator("#diff .inline del").all_inner_texts() == ["1500"]
    assert page.locator("#diff .inline ins").all_inner_texts() == ["2000"]
    assert "最高1500万元 → 最高2000万元" in page.locator("#diff ul.facts").inner_text()


def test_revision_against_replaced_policy_shows_the_changed_amount(page: Any, server: dict[str, Any]) -> None:
    _search(page, q="海商发〔2026〕5号")
    page.click("#policies tr.policy td:first-child a")
    section = page.locator("#replaced-1")
    assert f"与被替代的《{server['expected']['repealed']}》相比" in section.locator("h2").inner_text()
    assert section.locator("ul.key-facts li del").first.inner_text() == "最高不超过500万元"
    assert section.locator("ul.key-facts li ins").first.inner_text() == "最高不超过800万元"
    section.locator("summary").click()
    assert section.locator(".clause .inline del").first.inner_text() == "500"
    page.click("#repeal-graph a")
    assert page.locator("#title").inner_text() == server["expected"]["repealed"]


def test_a_feed_entry_for_each_event(page: Any, server: dict[str, Any]) -> None:
    with server["db"].session() as s:
        events = s.scalar(select(func.count(Event.id)).where(Event.type.not_in(QUIET_EVENTS)))
    page.goto("/feeds")
    href = page.locator("#feeds a", has_text="events.atom").get_attribute("href")
    feed = page.request.get(href)
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    body = feed.text()
    assert body.count("<entry>") == events and "给予最高[-1500-]{+2000+}万元资金支持" in body


def test_admin_pauses_a_source_and_adds_a_subscriber_and_without_the_token_cannot(
    page: Any, server: dict[str, Any]
) -> None:
    page.goto("/sources")
    assert page.locator("#source-demo-daxing button").count() == 0
    refused = page.request.post("/sources/demo-daxing/pause", form={"csrf": "x"})
    assert refused.status == 401
    page.goto("/subscribers/new")
    page.fill("input[name=name]", "intruder")
    page.fill("textarea[name=urls]", "json://127.0.0.1:9/hook")
    page.click("#subscriber-form button[type=submit]")
    assert "需要先登录" in page.locator("#error").inner_text()
    page.goto("/login?next=/sources")
    page.fill("input[name=token]", "wrong")
    page.click("form button[type=submit]")
    assert "管理令牌不正确" in page.locator("#error").inner_text()
    page.fill("input[name=token]", TOKEN)
    page.click("form button[type=submit]")
    page.wait_for_url("**/sources")
    row = page.locator("#source-demo-daxing")
    row.locator("input[name=note]").fill("网站改版")
    row.locator("button.pause").click()
    page.wait_for_load_state()
    assert "已暂停" in page.locator("#source-demo-daxing .health").inner_text()
    with server["db"].session() as s:
        assert s.scalar(select(Source.paused_note).where(Source.name == "demo-daxing")) == "网站改版"
    page.goto("/subscribers/new")
    page.fill("input[name=name]", "browser-ops")
    page.fill("textarea[name=urls]", "json://127.0.0.1:9/hook")
    page.fill("input[name=regions]", "海淀")
    page.click("#subscriber-form button[type=submit]")
    page.wait_for_url("**/subscribers*")
    assert page.locator("#sub-browser-ops").count() == 1
    assert 'name = "browser-ops"' in server["config"].read_text(encoding="utf-8")
    assert "intruder" not in server["config"].read_text(encoding="utf-8")
    page.locator("#source-demo-daxing").count()
    page.goto("/sources")
    page.locator("#source-demo-daxing button.resume").click()
    page.wait_for_load_state()
    assert "已暂停" not in page.locator("#source-demo-daxing .health").inner_text()


PAGES = ["/", "/?q=算力", "/runs", "/runs/2", "/sources", "/subscribers", "/feeds", "/login"]


def test_screenshots_and_no_sideways_scroll_on_a_phone(browser: Any, server: dict[str, Any], artifacts: Path) -> None:
    with server["db"].session() as s:
        from monitor.store.models import Policy
        from monitor.web.ident import policy_path

        amended = s.scalar(select(Policy).where(Policy.title == server["expected"]["text_changed"]))
        revision = s.scalar(select(Policy).where(Policy.title == server["expected"]["new_policy"]))
        assert amended and revision
        paths = [*PAGES, policy_path(amended) + "?from=1&to=2", policy_path(revision)]
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(base_url=server["url"], viewport={"width": width, "height": height})
        pg = context.new_page()
        for n, path in enumerate(paths):
            pg.goto(path)
            for details in pg.locator("details").all():
                details.evaluate("d => d.open = true")  # the diffs inside must fit too
            shot = artifacts / f"web-{n:02d}-{width}.png"
            pg.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
            if width == 390:
                found = pg.evaluate(OVERFLOW_JS)
                assert found["scroll"] <= found["width"] and not found["wide"], (path, found)
        context.close()
