"""Runs, sources and subscribers in the web app, and who may change them: read-only pages open, every
change behind [web] admin_token (login form with CSRF, or a bearer token), secrets never on a page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, load_settings, parse_sources
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.site import DemoServer
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Policy, Run, Source
from monitor.web.app import create_app
from notifier.matching import wants
from tests.webdemo import load_demo

TOKEN = "s3cret-admin-token-for-tests"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoServer, Path]]:
    """The demo loaded into SQLite, its site still served (for `sources check`), and its sources file."""
    work = tmp_path_factory.mktemp("web-admin")
    db = Database(f"sqlite:///{work / 'pw.db'}")
    db.upgrade()
    load_demo(db)
    with DemoServer() as server:
        server.site.revision = 2
        sources_file = work / "sources.yaml"
        sources_file.write_text(server.site.sources_yaml(server.base_url), encoding="utf-8")
        yield db, server, sources_file
    db.dispose()


def _app(db: Database, token: str = TOKEN, **kwargs: object) -> TestClient:
    client = TestClient(create_app(db, Settings(web_admin_token=token), **kwargs))  # type: ignore[arg-type]
    client.headers["accept"] = "text/html"
    return client


def _csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def _login(client: TestClient, token: str = TOKEN) -> int:
    response = client.post(
        "/login", data={"token": token, "csrf": _csrf(client), "next": "/sources"}, follow_redirects=False
    )
    return response.status_code


def _page(response) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:800]
    return lxml.html.fromstring(response.text)


def test_runs_group_events_by_region_and_show_failing_sources(site) -> None:  # type: ignore[no-untyped-def]
    db = site[0]
    with db.session() as s:
        failing = Run(
            started_at=datetime.now(UTC),
            finished_at=datetime.now(UTC),
            status="partial",
            stats={
                "demo-haidian": {
                    "list_pages": 0,
                    "list_failures": 1,
                    "failed": 0,
                    "failing": ["列表页全部无法访问(HTTP 503)"],
                    "errors": ["list http://127.0.0.1:9/haidian/index.html: HTTP 503 Service Unavailable"],
                }
            },
        )
        s.add(failing)
        s.flush()
        failing_id = failing.id
    client = _app(db)
    runs = _page(client.get("/runs"))
    assert [a.text_content() for a in runs.cssselect("#runs td:first-child a")][:3] == [f"#{failing_id}", "#2", "#1"]
    assert "(UTC+08:00)" in runs.get_element_by_id("runs").text_content()
    second = _page(client.get("/runs/2"))
    regions = [h.text_content() for h in second.cssselect(".region h3")]
    assert regions == sorted(regions) and {"北京市东城区", "北京市海淀区"} <= set(regions)
    haidian = next(c for c in second.cssselect(".region") if c.findtext("h3") == "北京市海淀区")
    assert "新政策" in haidian.text_content() and "已被废止" in haidian.text_content()
    bad = _page(client.get(f"/runs/{failing_id}")).get_element_by_id("trouble-demo-haidian")
    assert "HTTP 503 Service Unavailable" in bad.text_content() and "列表页全部无法访问" in bad.text_content()
    assert [a.get("href") for a in bad.cssselect("a")] == ["http://127.0.0.1:9/haidian/index.html"]
    assert client.get("/runs/999999").status_code == 404
    with db.session() as s:
        s.delete(s.get(Run, failing_id))


def test_sources_page_shows_health(site) -> None:  # type: ignore[no-untyped-def]
    db, _, sources_file = site
    with db.session() as s:
        source = s.scalar(select(Source).where(Source.name == "demo-chaoyang"))
        assert source is not None
        source.failing_since, source.failing_reason = datetime(2026, 3, 1, 16, 0, tzinfo=UTC), "列表页没有政策链接"
        known = s.scalar(select(func.count(Policy.id)).where(Policy.source_id == source.id))
    try:
        row = _page(_app(db, sources_file=sources_file).get("/sources")).get_element_by_id("source-demo-chaoyang")
        cells = {td.get("data-label"): td.text_content().strip() for td in row.cssselect("td")}
        assert "异常" in cells["状态"] and "2026-03-02 00:00 (UTC+08:00)" in cells["状态"]
        assert "列表页没有政策链接" in cells["状态"] and cells["已知页面"] == str(known)
        assert cells["最近一次正常"].endswith("(UTC+08:00)") and "127.0.0.1" in cells["列表页"]
        assert cells["操作"] == "—"  # not logged in: no buttons
    finally:
        with db.session() as s:
            source = s.scalar(select(Source).where(Source.name == "demo-chaoyang"))
            assert source is not None
            source.failing_since, source.failing_reason = None, ""


def test_changes_need_the_admin_token(site) -> None:  # type: ignore[no-untyped-def]
    db = site[0]
    disabled = _app(db, token="")
    assert disabled.post("/sources/demo-daxing/pause", data={"csrf": _csrf(disabled)}).status_code == 403
    anonymous = _app(db)
    refused = anonymous.post("/sources/demo-daxing/pause", data={"csrf": _csrf(anonymous)})
    assert refused.status_code == 401 and "登录" in refused.text
    assert _login(anonymous, "wrong") == 401
    assert anonymous.post("/sources/demo-daxing/pause", headers={"authorization": "Bearer wrong"}).status_code == 401
    admin = _app(db)
    assert _login(admin) == 303
    assert admin.post("/sources/demo-daxing/pause", data={"csrf": "forged"}).status_code == 403
    with db.session() as s:
        assert s.scalar(select(Source.paused_at).where(Source.name == "demo-daxing")) is None
    pages = [anonymous.get(p).text for p in ("/", "/sources", "/subscribers", "/login")]
    assert not any(TOKEN in text for text in pages)


def test_admin_pauses_and_resumes_a_source_and_runs_skip_it(site) -> None:  # type: ignore[no-untyped-def]
    db, _, sources_file = site
    admin = _app(db, sources_file=sources_file)
    assert _login(admin) == 303
    csrf = _csrf(admin, "/sources")
    done = admin.post("/sources/demo-daxing/pause", data={"csrf": csrf, "note": "改版中"}, follow_redirects=False)
    assert done.status_code == 303
    row = _page(admin.get("/sources")).get_element_by_id("source-demo-daxing")
    assert "已暂停" in row.text_content() and "改版中" in row.text_content()
    result = run_once(
        db, parse_sources(sources_file.read_text()), Settings(), report_dir=None, scrapy_overrides=DEMO_SCRAPY
    )
    assert "demo-daxing" not in result.source_stats and "demo-haidian" in result.source_stats
    api = TestClient(create_app(db, Settings(web_admin_token=TOKEN)))
    resumed = api.post("/sources/demo-daxing/resume", headers={"authorization": f"Bearer {TOKEN}"})
    assert resumed.status_code in (200, 303)
    with db.session() as s:
        assert s.scalar(select(Source.paused_at).where(Source.name == "demo-daxing")) is None


def test_admin_checks_a_source_now(site) -> None:  # type: ignore[no-untyped-def]
    db, _, sources_file = site
    admin = _app(db, sources_file=sources_file)
    assert _login(admin) == 303
    checked = _page(admin.post("/sources/demo-dongcheng/check", data={"csrf": _csrf(admin, "/sources")}))
    assert int(re.search(r"政策链接 (\d+) 个", checked.get_element_by_id("check-links").text_content()).group(1)) > 0  # type: ignore[union-attr]
    titles = [td.text_content() for td in checked.cssselect("#check-details td[data-label=标题]")]
    assert titles and all(titles)


CONFIG = """# operators' settings — keep this comment
[web]
admin_token = "${PW_TEST_ADMIN}"

[[subscribers]]
name = "ops"
urls = ["mailtos://alerts:pa55word-literal@smtp.example.com?to=ops@example.com"]
"""


def test_admin_manages_subscribers_with_the_clis_validation(site, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PW_TEST_ADMIN", TOKEN)
    config = tmp_path / "policywatch.toml"
    config.write_text(CONFIG, encoding="utf-8")
    client = TestClient(create_app(site[0], load_settings(config), config_file=config))
    client.headers["accept"] = "text/html"
    listing = client.get("/subscribers").text
    assert "ops" in listing and "pa55word-literal" not in listing
    assert client.post("/subscribers", data={"csrf": _csrf(client), "name": "x", "urls": "json://h"}).status_code == 401
    assert _login(client) == 303
    csrf = _csrf(client, "/subscribers/new")
    form = {"csrf": csrf, "name": "wecom", "min_importance": "medium", "mode": "immediate", "regions": "海淀, 东城"}
    secret = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123456789abcdefSECRET"
    refused = client.post("/subscribers", data={**form, "urls": secret})
    assert (
        refused.status_code == 422
        and "${WECOM_ROBOT_KEY}" in refused.text
        and "0123456789abcdefSECRET" not in refused.text
    )
    bad = client.post("/subscribers", data={**form, "urls": "nosuchscheme://x"})
    assert bad.status_code == 422 and "apprise" in bad.text
    with WebhookReceiver() as hook:
        hook_url = hook.url.replace("http", "json", 1) + "/hook"
        added = client.post("/subscribers", data={**form, "urls": hook_url}, follow_redirects=False)
        assert added.status_code == 303, added.text[:500]
        text = config.read_text(encoding="utf-8")
        assert "# operators' settings — keep this comment" in text and 'regions = ["海淀", "东城"]' in text
        edited = client.post(
            "/subscribers/wecom",
            data={**form, "regions": "海淀", "urls": "\n".join(load_settings(config).subscribers[1].urls)},
            follow_redirects=False,
        )
        assert edited.status_code == 303
        assert load_settings(config).subscribers[1].regions == ("海淀",)
        paused = client.post("/subscribers/wecom/pause", data={"csrf": csrf}, follow_redirects=False)
        assert paused.status_code == 303 and load_settings(config).subscribers[1].paused
        assert not wants(load_settings(config).subscribers[1], "repealed", "high", "海淀", "demo-haidian", "")
        assert "已暂停" in client.get("/subscribers").text
        tested = _page(client.post("/subscribers/wecom/test", data={"csrf": csrf}))
        assert "已送达" in tested.get_element_by_id("test-result").text_content()
        assert len(hook.received) == 1 and "测试消息" in hook.received[0]["body"]["title"]
    # The literal password of "ops" is kept when its (masked) URLs come back unchanged.
    masked = re.search(r"<textarea name=\"urls\"[^>]*>([^<]*)</textarea>", client.get("/subscribers/ops/edit").text)
    assert masked and "pa55word-literal" not in masked.group(1)
    form = {"csrf": csrf, "name": "ops", "urls": html.unescape(masked.group(1)), "min_importance": "high"}
    kept = client.post("/subscribers/ops", data={**form, "mode": "digest"}, follow_redirects=False)
    assert kept.status_code == 303, kept.text[:500]
    assert (
        "pa55word-literal" in config.read_text(encoding="utf-8")
        and load_settings(config).subscribers[0].mode == "digest"
    )


def test_operators_with_hashed_passwords_may_change_things(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from monitor.web.auth import check_password, hash_password

    stored = hash_password("correct horse battery", iterations=1000)
    assert check_password("correct horse battery", stored) and not check_password("wrong", stored)
    assert "correct horse" not in stored
    config = tmp_path / "policywatch.toml"
    config.write_text(f'[[web.users]]\nname = "li.wei"\npassword_hash = "{stored}"\n', encoding="utf-8")
    settings = load_settings(config)
    client = TestClient(create_app(site[0], settings))
    client.headers["accept"] = "text/html"
    form = {"name": "li.wei", "token": "wrong", "csrf": _csrf(client), "next": "/sources"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 401
    assert client.post("/sources/demo-daxing/pause", data={"csrf": _csrf(client)}).status_code == 401
    form = {**form, "token": "correct horse battery", "csrf": _csrf(client)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    csrf = _csrf(client, "/sources")
    assert client.post("/sources/demo-daxing/pause", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.post("/sources/demo-daxing/resume", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    # A bearer token is the admin token only; a user's password is not one.
    bearer = {"authorization": "Bearer correct horse battery"}
    assert (
        TestClient(create_app(site[0], settings)).post("/sources/demo-daxing/pause", headers=bearer).status_code == 401
    )


def test_api_write_endpoints_need_the_bearer_token(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "policywatch.toml"
    config.write_text(
        f'[web]\nadmin_token = "{TOKEN}"\n\n[[subscribers]]\nname = "ops"\nurls = ["json://127.0.0.1:9/h"]\n'
    )
    api = TestClient(create_app(site[0], load_settings(config), config_file=config))
    assert api.post("/api/sources/demo-daxing/pause", json={"note": "x"}).status_code == 401
    bearer = {"authorization": f"Bearer {TOKEN}"}
    paused = api.post("/api/sources/demo-daxing/pause", json={"note": "改版"}, headers=bearer).json()
    assert paused["paused_note"] == "改版" and paused["paused_at"].endswith("+08:00")
    assert api.post("/api/sources/demo-daxing/resume", headers=bearer).json()["paused_at"] is None
    assert api.post("/api/sources/nosuch/pause", headers=bearer).status_code == 404
    assert api.post("/api/subscribers/ops/pause", headers=bearer).json() == {"name": "ops", "paused": True}
    assert load_settings(config).subscribers[0].paused
    assert api.post("/api/subscribers/ops/resume", headers=bearer).json()["paused"] is False
    tested = api.post("/api/subscribers/ops/test", headers=bearer).json()
    assert len(tested) == 1 and tested[0]["delivered"] is False and tested[0]["error"]
    assert "/api/sources/{name}/pause" in api.get("/openapi.json").json()["paths"]


def test_api_adds_and_edits_subscribers_with_the_clis_validation(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "policywatch.toml"
    config.write_text(f'# operators\n[web]\nadmin_token = "{TOKEN}"\n')
    api = TestClient(create_app(site[0], load_settings(config), config_file=config))
    bearer = {"authorization": f"Bearer {TOKEN}"}
    body = {"name": "海淀科", "urls": ["json://127.0.0.1:9/h"], "regions": ["海淀"], "events": ["text_changed"]}
    assert api.post("/api/subscribers", json=body).status_code == 401
    added = api.post("/api/subscribers", json=body, headers=bearer)
    assert added.status_code == 201 and added.json()["regions"] == ["海淀"], added.text
    [sub] = load_settings(config).subscribers
    assert (sub.name, sub.regions, sub.events) == ("海淀科", ("海淀",), ("text_changed",))
    assert config.read_text().startswith("# operators")  # the file's comments are kept
    # The same refusals as the CLI: a duplicate, an unknown event type, a secret written out.
    assert api.post("/api/subscribers", json=body, headers=bearer).status_code == 422
    bad = api.post("/api/subscribers", json={**body, "name": "x", "events": ["text_change"]}, headers=bearer)
    assert bad.status_code == 422 and "text_change" in bad.json()["detail"]
    secret = {**body, "name": "robot", "urls": ["wecom://robotkey0123456789abcdef"]}
    refused = api.post("/api/subscribers", json=secret, headers=bearer)
    assert refused.status_code == 422 and "robotkey0123456789abcdef" not in refused.text
    # Editing without URLs keeps the stored ones; the new filters are written.
    edited = api.put(
        "/api/subscribers/海淀科", json={"name": "海淀科", "keywords": ["补贴"], "mode": "digest"}, headers=bearer
    )
    assert edited.status_code == 200, edited.text
    [sub] = load_settings(config).subscribers
    assert (sub.urls, sub.keywords, sub.mode, sub.regions) == (("json://127.0.0.1:9/h",), ("补贴",), "digest", ())
    assert api.put("/api/subscribers/nosuch", json={"name": "n"}, headers=bearer).status_code == 404
    assert "/api/subscribers/{name}" in api.get("/openapi.json").json()["paths"]
