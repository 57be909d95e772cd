"""The web application over the demo's two revisions (SQLite and PostgreSQL): search, filters,
policy pages at stable addresses, version diffs, the repeal graph, and hostile content escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor.addresses import url_digest
from monitor.config import Settings
from monitor.store.db import Database
from monitor.store.models import Policy, Version
from monitor.web.app import create_app
from monitor.web.ident import policy_path
from tests import webdemo

demo, client = webdemo.demo, webdemo.client  # the module-scoped fixtures: the demo loaded once per database


def _page(response) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    return lxml.html.fromstring(response.text)


def _titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:500]
    return [a.text_content() for a in _page(response).cssselect("#policies tr.policy td:first-child a")]


def _latest_texts(db: Database) -> dict[str, str]:
    with db.session() as s:
        latest = select(func.max(Version.id)).group_by(Version.policy_id)
        rows = s.execute(select(Policy.title, Version.text).join(Version).where(Version.id.in_(latest)))
        return {title: body for title, body in rows}


@pytest.mark.slow
@pytest.mark.parametrize("q", ["算力", "数据要素市场", "人工智能"])
def test_search_finds_chinese_substrings_in_title_and_text(client: TestClient, demo, q: str) -> None:  # type: ignore[no-untyped-def]
    expected = {title for title, body in _latest_texts(demo[0]).items() if q in body or q in title}
    assert expected, f"the demo has no policy mentioning {q}"
    assert set(_titles(client.get("/", params={"q": q}))) == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    "typed", ["海商发〔2026〕5号", "海商发[2026]5号", "海商发(2026)5号", "海商发（2026）5号", "海商发 [2026] 5 号"]
)
def test_doc_number_search_accepts_any_brackets_and_spaces(client: TestClient, demo, typed: str) -> None:  # type: ignore[no-untyped-def]
    assert _titles(client.get("/", params={"q": typed})) == [demo[1]["new_policy"]]


@pytest.mark.slow
def test_status_filter_and_counts(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/", params={"status": "已废止"})
    assert _titles(response) == [demo[1]["repealed"]]
    with demo[0].session() as s:
        counts = dict(s.execute(select(Policy.status, func.count()).group_by(Policy.status)).all())
    shown = {a.get("data-status"): a.text_content() for a in _page(response).cssselect("#counts a[data-status]")}
    assert shown == {status: f"{status} {n}" for status, n in counts.items()}
    # A search narrows the counts too: they are counts of what the other filters found.
    narrowed = _page(client.get("/", params={"q": "海淀区促进外贸"})).cssselect("#counts a[data-status]")
    assert sorted(a.text_content() for a in narrowed) == ["已废止 1", "现行有效 1"]


@pytest.mark.slow
def test_region_source_issuer_and_date_filters(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    haidian = set(_titles(client.get("/", params={"region": "北京市海淀区"})))
    assert demo[1]["new_policy"] in haidian and demo[1]["text_changed"] not in haidian
    assert set(_titles(client.get("/", params={"source": "demo-haidian"}))) == haidian
    assert _titles(client.get("/", params={"issuer": "商务局", "region": "北京市海淀区", "status": "已废止"})) == [
        demo[1]["repealed"]
    ]
    in_2026 = _titles(client.get("/", params={"published_from": "2026-01-01", "published_to": "2026-12-31"}))
    assert in_2026 == [demo[1]["new_policy"]]


@pytest.mark.slow
def test_expiring_and_changed_windows(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    today = datetime.now(UTC).date()
    with db.session() as s:
        soon = {
            p.title for p in s.scalars(select(Policy)) if p.expires_date and 0 <= (p.expires_date - today).days <= 800
        }
    assert set(_titles(client.get("/", params={"expiring_days": "800"}))) == soon
    changed = set(_titles(client.get("/", params={"changed_days": "1"})))
    assert changed == {expected["text_changed"], expected["expiry_changed"]}


@pytest.mark.slow
def test_bad_filters_are_explained_not_crashed(client: TestClient) -> None:
    response = client.get("/", params={"expiring_days": "abc", "published_from": "2025-13-01"})
    assert response.status_code == 400
    assert "不是" in _page(response).get_element_by_id("error").text_content()


@pytest.mark.slow
def test_policy_page_at_a_stable_address_with_facts_and_how_they_were_read(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.title == expected["new_policy"]))
        assert policy is not None
        path, url = policy_path(policy), policy.url
    # Named by its source and a digest of its URL, never by its row id (which differs between databases).
    assert path == f"/policies/demo-haidian/{url_digest(url)}"
    page = _page(client.get(path))
    assert page.get_element_by_id("title").text_content() == expected["new_policy"]
    assert "据正文" in page.get_element_by_id("effective").text_content()
    assert "(UTC+08:00)" in page.get_element_by_id("events").text_content()
    # The repeal graph, linked both ways.
    links = page.cssselect("#repeal-graph a")
    assert [a.text_content() for a in links] == [f"《{expected['repealed']}》"]
    back = _page(client.get(links[0].get("href"))).cssselect("#repeal-graph a")
    assert [(a.text_content(), a.get("href")) for a in back] == [(f"《{expected['new_policy']}》", path)]
    assert client.get("/policies/demo-haidian/000000000000").status_code == 404


@pytest.mark.slow
def test_official_label_is_shown_as_read_from_the_site(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    with demo[0].session() as s:
        policy = s.scalars(select(Policy).where(Policy.status_source == "official_label")).first()
        assert policy is not None
        path = policy_path(policy)
    assert "据网站标注" in _page(client.get(path)).get_element_by_id("status").text_content()


@pytest.mark.slow
def test_diff_between_any_two_versions(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    with demo[0].session() as s:
        policy = s.scalar(select(Policy).where(Policy.title == demo[1]["text_changed"]))
        assert policy is not None
        path = policy_path(policy)
    forward = _page(client.get(path, params={"from": "1", "to": "2"})).get_element_by_id("diff")
    assert [d.text_content() for d in forward.cssselect(".inline del")] == ["1500"]
    assert [i.text_content() for i in forward.cssselect(".inline ins")] == ["2000"]
    assert "最高1500万元 → 最高2000万元" in forward.cssselect("ul.facts")[0].text_content()
    backward = _page(client.get(path, params={"from": "2", "to": "1"})).get_element_by_id("diff")
    assert [d.text_content() for d in backward.cssselect(".inline del")] == ["2000"]
    same = _page(client.get(path, params={"from": "2", "to": "2"})).get_element_by_id("diff")
    assert "两个版本的正文相同" in same.text_content()


def test_hostile_titles_and_links_are_escaped(tmp_path: Path) -> None:
    from tests.test_report import _hostile_page, _ingest

    db = Database(f"sqlite:///{tmp_path / 'pw.db'}")
    db.upgrade()
    _ingest(db, _hostile_page(""))
    _ingest(db, _hostile_page("<img src=x onerror=alert(1)>新增"))
    hostile = '</title><script>alert(1)</script><img src=x onerror="alert(2)">《标题》'
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        policy.title, policy.doc_number, policy.issuer = hostile, "<b>京[2025]1号</b>", "javascript:alert(3)"
        policy.url = "javascript:alert(4)"
        path = policy_path(policy)
    client = TestClient(create_app(db, Settings()))
    for response in (client.get("/"), client.get(path), client.get("/", params={"q": "<script>"})):
        assert response.status_code == 200
        root = _page(response)
        assert not root.xpath("//script | //img | //@onerror"), response.url
        assert not root.xpath("//@href[starts-with(normalize-space(.), 'javascript:')]"), response.url
        assert "</title><script>" not in response.text
    page = _page(client.get(path))
    assert page.get_element_by_id("title").text_content() == hostile
    assert page.findtext(".//title").startswith(hostile)
    assert any("新增" in ins.text_content() for ins in page.cssselect("#diff ins"))
    assert _titles(client.get("/", params={"q": "<script>"})) == [hostile]


def test_times_are_shown_in_shanghai_with_the_zone() -> None:
    from monitor.localtime import iso_time
    from monitor.web.render import shanghai_time

    moment = datetime(2026, 1, 31, 17, 30, tzinfo=UTC)
    assert shanghai_time(moment) == "2026-02-01 01:30 (UTC+08:00)"
    assert iso_time(moment) == "2026-02-01T01:30:00+08:00"
    assert iso_time(moment.replace(tzinfo=None) + timedelta(0)) == "2026-02-01T01:30:00+08:00"
    assert date.fromisoformat(iso_time(moment)[:10]) == date(2026, 2, 1)  # type: ignore[index]


@pytest.mark.slow
def test_revision_against_the_policy_it_replaces(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    with db.session() as s:
        new = s.scalar(select(Policy).where(Policy.title == expected["new_policy"]))
        assert new is not None
        path = policy_path(new)
    section = _page(client.get(path)).get_element_by_id("replaced-1")
    assert section.findtext("h2") is not None and f"与被替代的《{expected['repealed']}》相比" in section.text_content()
    facts = section.cssselect("ul.key-facts li")
    assert "金额变化" in facts[0].text_content()
    assert [d.text_content() for d in facts[0].cssselect("del")] == ["最高不超过500万元"]
    assert [i.text_content() for i in facts[0].cssselect("ins")] == ["最高不超过800万元"]
    assert [d.text_content() for d in section.cssselect(".clause .inline del")] == ["500"]
    assert next(i.text_content() for i in section.cssselect(".clause .inline ins")) == "800"


@pytest.mark.slow
def test_new_policy_alert_carries_the_facts_changed_against_the_replaced_policy(demo) -> None:  # type: ignore[no-untyped-def]
    from monitor.store.models import Event
    from notifier.compose import compose
    from notifier.render import render_composition

    db, expected = demo
    with db.session() as s:
        event = s.scalars(select(Event).where(Event.type == "new_policy")).one()
        replaced = event.details["replaced"]
        text = render_composition(compose([event], ""), "text").body
    assert [r["title"] for r in replaced] == [expected["repealed"]]
    assert 1 <= len(replaced[0]["facts"]) <= 3 and replaced[0]["facts"][0]["kind"] == "amount_changed"
    assert f"与被替代的《{expected['repealed']}》相比:" in text
    assert "二、 (三): [-最高不超过500万元-]{+最高不超过800万元+}" in text


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [("", "is empty"), ("file:///srv/report", "is not an http(s) address"), ("https://pw.example.gov.cn", "")],
)
def test_config_check_warns_when_alerts_cannot_link_anywhere(tmp_path: Path, base_url: str, warned: str) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    config = tmp_path / "policywatch.toml"
    config.write_text(
        f'[report]\nbase_url = "{base_url}"\n\n[[subscribers]]\nname = "ops"\nurls = ["json://127.0.0.1:9/h"]\n'
    )
    done = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert done.exit_code == 0, done.output
    if warned:
        assert "warning" in done.stderr and warned in done.stderr and "base_url" in done.stderr
    else:
        assert "warning" not in done.stderr
    config.write_text(f'[report]\nbase_url = "{base_url}"\n')
    assert "warning" not in CliRunner().invoke(cli, ["config", "check", "--config", str(config)]).stderr
