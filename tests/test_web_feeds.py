"""Atom and RSS feeds: an entry per event (quiet ones left out), filters by region, source, type and a
subscriber's filter, the alert's own wording in each entry (golden file), hostile text escaped."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from monitor.config import Settings, Subscriber
from monitor.events import QUIET_EVENTS, policy_regions
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Source
from monitor.web.app import create_app
from monitor.web.feeds import build_feed, entry_id
from tests import webdemo

demo = webdemo.demo  # the demo's two revisions, loaded once per database
GOLDEN = Path(__file__).parent / "golden" / "feeds"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def feeds(demo) -> TestClient:  # type: ignore[no-untyped-def]
    haidian = Subscriber("haidian-ops", ("json://127.0.0.1:9/hook",), regions=("海淀",), min_importance="medium")
    settings = Settings(subscribers=(haidian,), report_base_url="https://reports.example/pw")
    return TestClient(create_app(demo[0], settings))


def _entries(client: TestClient, **params: str) -> list[etree._Element]:
    response = client.get("/feeds/events.atom", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    return etree.fromstring(response.content).findall("a:entry", ATOM)


def _events(db: Database) -> list[Event]:
    with db.session() as s:
        events = list(s.scalars(select(Event).where(Event.type.not_in(QUIET_EVENTS))))
        for e in events:
            _ = e.origin.name, e.policy and policy_regions(e.policy)
        return events


@pytest.mark.slow
def test_an_entry_for_each_event_with_the_alerts_wording(feeds: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    events = _events(db)
    entries = _entries(feeds)
    assert sorted(e.findtext("a:id", namespaces=ATOM) for e in entries) == sorted(entry_id(e) for e in events)
    by_title = {e.findtext("a:title", namespaces=ATOM): e for e in entries}
    amount = by_title[f"【重要】《{expected['text_changed']}》内容修改(金额变化)"]
    content = amount.findtext("a:content", namespaces=ATOM)
    assert "给予最高[-1500-]{+2000+}万元资金支持" in content
    assert amount.find("a:category", ATOM).get("label") == "内容变化"
    assert amount.findtext("a:updated", namespaces=ATOM).endswith("+08:00")
    assert "/policies/demo-dongcheng/" in amount.find("a:link", ATOM).get("href")
    rss = etree.fromstring(feeds.get("/feeds/events.rss").content)
    assert len(rss.findall("channel/item")) == len(events)


@pytest.mark.slow
def test_feeds_per_type_region_source_and_subscriber(feeds: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, _ = demo
    events = _events(db)

    def ids(entries: list[etree._Element]) -> set[str]:
        return {e.findtext("a:id", namespaces=ATOM) for e in entries}

    assert ids(_entries(feeds, type="repealed")) == {entry_id(e) for e in events if e.type == "repealed"}
    haidian = {entry_id(e) for e in events if e.policy and "海淀" in policy_regions(e.policy)}
    assert haidian and ids(_entries(feeds, region="海淀")) == haidian
    assert ids(_entries(feeds, source="demo-dongcheng")) == {
        entry_id(e) for e in events if e.origin.name == "demo-dongcheng"
    }
    wanted = {entry_id(e) for e in events if e.policy and "海淀" in policy_regions(e.policy)}
    assert ids(_entries(feeds, subscriber="haidian-ops")) == wanted
    assert feeds.get("/feeds/events.atom", params={"subscriber": "nobody"}).status_code == 404
    assert feeds.get("/feeds/events.atom", params={"type": "bogus"}).status_code == 422
    assert feeds.get("/feeds/events.json").status_code == 404
    page = feeds.get("/feeds").text
    assert "/feeds/events.atom?subscriber=haidian-ops" in page and "json://" not in page


def _golden_event() -> Event:
    source = Source(name="demo-dongcheng", region="北京市东城区")
    policy = Policy(
        id=3,
        source=source,
        url="http://www.bjdch.gov.cn/zwgk/t20250401_8.html",
        title="北京市东城区推动数字经济产业高质量发展的若干措施",
        doc_number="东经信发〔2025〕5号",
        issuer="北京市东城区经济和信息化局",
    )
    segments = [["equal", "给予最高"], ["delete", "1500"], ["insert", "2000"], ["equal", "万元资金支持。"]]
    details = {
        "clauses": [{"change": "modified", "article": "二、 第五条", "segments": segments}],
        "facts": [
            {
                "kind": "amount_changed",
                "where": "二、 第五条",
                "old": "最高1500万元",
                "new": "最高2000万元",
                "summary": "二、 第五条: 最高1500万元 → 最高2000万元",
            }
        ],
        "importance": "high",
    }
    return Event(
        type="text_changed",
        policy=policy,
        detected_at=datetime(2026, 3, 1, 18, 30, tzinfo=UTC),
        summary="二、 第五条: 最高1500万元 → 最高2000万元",
        details=details,
        dedupe_key="golden",
    )


def test_a_feed_entry_matches_its_golden_file() -> None:
    event = _golden_event()
    feed = build_feed([event], "政策监测 · 全部事件", "https://pw.example/feeds/events.atom", "https://pw.example/", "")
    for name, got in (
        ("text_changed.atom", feed.atom_str(pretty=True)),
        ("text_changed.rss", feed.rss_str(pretty=True)),
    ):
        text = got.decode("utf-8")
        if name.endswith(".rss"):  # RSS has a build date of "now"
            text = "\n".join(line for line in text.splitlines() if "<lastBuildDate>" not in line) + "\n"
        path = GOLDEN / name
        if os.environ.get("POLICYWATCH_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), f"{name} changed (POLICYWATCH_UPDATE_GOLDEN=1 rewrites it)"


def test_hostile_text_is_escaped_and_quiet_events_left_out(tmp_path: Path) -> None:
    from tests.test_report import _hostile_page, _ingest

    db = Database(f"sqlite:///{tmp_path / 'pw.db'}")
    db.upgrade()
    _ingest(db, _hostile_page(""))
    _ingest(db, _hostile_page("新增</content><script>alert(1)</script>"))
    now = datetime.now(UTC)
    with db.session() as s:
        policy = s.scalars(select(Policy)).one()
        policy.title = "</title><script>alert(1)</script>]]>&amp;"
        source = policy.source
        source.name = "<b>src</b>"
        s.add(Event(policy=policy, type="facts_corrected", detected_at=now, summary="q", details={}, dedupe_key="q"))
        s.add(
            Event(
                source=source,
                type="source_failing",
                detected_at=now,
                summary="<img src=x onerror=alert(2)>",
                details={"reasons": ["列表页 HTTP 500 <script>"], "importance": "high"},
                dedupe_key="f",
            )
        )
    client = TestClient(create_app(db, Settings()))
    for fmt in ("atom", "rss"):
        raw = client.get(f"/feeds/events.{fmt}").content
        root = etree.fromstring(raw)  # well-formed despite the markup in titles
        assert b"<script>" not in raw and b"<img" not in raw
        texts = "".join(root.itertext())
        assert "</title><script>alert(1)</script>]]>&amp;" in texts and "事实更正" not in texts
        assert "信息源「<b>src</b>」异常" in texts and "列表页 HTTP 500 <script>" in texts
