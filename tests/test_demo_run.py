"""The whole path with a real Scrapy crawl of the demo site on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import lxml.html
from sqlalchemy import select

from monitor.addresses import policy_page
from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.site import DemoServer
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Policy, Run


def test_demo_two_revisions_end_to_end(db: Database, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    with DemoServer() as server, WebhookReceiver() as hook:
        sources = parse_sources(server.site.sources_yaml(server.base_url))
        settings = Settings(
            subscribers=(Subscriber("ops", (hook.url.replace("http", "json", 1) + "/a",)),),
            report_base_url="https://reports.example/pw",
        )
        first = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
        assert first.status == "ok", first.source_stats
        assert sum(s["new"] for s in first.source_stats.values()) == 20
        assert first.events == Counter() and hook.received == []

        server.site.revision = 2
        second = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
        assert second.status == "ok", second.source_stats
        expected = server.site.expected_titles()
        with db.session() as s:
            events = list(s.scalars(select(Event).where(Event.run_id == second.run_id)))
            got = {(e.type, e.policy.title) for e in events}
            # The page gone since this run (404, off its list) is removed only if the next run agrees.
            assert got == {(t, expected[t]) for t in ("text_changed", "new_policy", "repealed", "expiry_changed")}
            by_type = {e.type: e for e in events}
            text = by_type["text_changed"].details
            assert text["articles"] == ["二、 第五条"]
            assert {
                "kind": "amount_changed",
                "where": "二、 第五条",
                "old": "最高1500万元",
                "new": "最高2000万元",
                "summary": "二、 第五条: 最高1500万元 → 最高2000万元",
            } in text["facts"]
            assert by_type["repealed"].details["repealed_by"]["title"] == expected["new_policy"]
            assert by_type["expiry_changed"].details["old_date"] == "2027-12-31"
            assert by_type["expiry_changed"].details["new_date"] == "2028-12-31"
            chrome_only = s.scalar(select(Policy).where(Policy.title == expected["chrome_only"]))
            assert chrome_only is not None and len(chrome_only.versions) == 1
            repealed = s.scalar(select(Policy).where(Policy.title == expected["repealed"]))
            assert repealed is not None and repealed.status == "已废止"
            removed = s.scalar(select(Policy).where(Policy.title == expected["removed"]))
            assert removed is not None and removed.status != "已撤下" and removed.gone_runs == 1
            repealed_id = repealed.id
            amount, expiry = by_type["text_changed"].policy, by_type["expiry_changed"].policy
            assert amount is not None and expiry is not None
            amount_page = policy_page(amount.source.name, amount.url)
            expiry_page = policy_page(expiry.source.name, expiry.url)

        # Alerts went through apprise to the real receiver, one per event, first line says what happened.
        assert second.delivery.sent == 4 and len(hook.received) == 4
        titles = sorted(r["body"]["title"] for r in hook.received)
        assert f"【重要】《{expected['text_changed']}》内容修改(金额变化)" in titles
        amount_alert = next(r["body"]["message"] for r in hook.received if "内容修改" in r["body"]["title"])
        assert "给予最高[-1500-]{+2000+}万元资金支持" in amount_alert
        assert f"https://reports.example/pw/{amount_page}" in amount_alert

        with db.session() as s:
            run_row = s.get(Run, second.run_id)
            assert run_row is not None and (run_row.alerts_sent, run_row.alerts_failed) == (4, 0)
            assert run_row.stats["demo-dongcheng"]["changed"] == 1 and run_row.finished_at is not None
        # A third run over the same site confirms the removal (gone two runs in a row), nothing else.
        third = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
        assert third.events == Counter({"removed": 1}) and len(hook.received) == 5
        with db.session() as s:
            removed = s.scalar(select(Policy).where(Policy.title == expected["removed"]))
            assert removed is not None and removed.status == "已撤下"
        # A fourth: nothing new, nothing re-sent.
        fourth = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
        assert fourth.events == Counter() and len(hook.received) == 5
        with db.session() as s:
            assert {a.status for a in s.scalars(select(Alert))} == {"sent"}

    # The report shows the planted changes with the right values.
    page = lxml.html.parse(str(report_dir / amount_page)).getroot()
    assert [d.text_content() for d in page.cssselect(".change .inline del")] == ["1500"]
    assert [i.text_content() for i in page.cssselect(".change .inline ins")] == ["2000"]
    assert [d.text_content() for d in page.cssselect(".change .side .old del")] == ["1500"]
    assert [i.text_content() for i in page.cssselect(".change .side .new ins")] == ["2000"]
    assert "最高1500万元 → 最高2000万元" in page.cssselect("ul.facts")[0].text_content()
    page = lxml.html.parse(str(report_dir / expiry_page)).getroot()
    assert page.get_element_by_id("expires").text_content().startswith("2028-12-31")
    assert [d.text_content() for d in page.cssselect(".change .inline del")] == ["2027"]
    assert [i.text_content() for i in page.cssselect(".change .inline ins")] == ["2028"]
    run_page = (report_dir / f"run-{second.run_id}.html").read_text(encoding="utf-8")
    assert "有效期 2027-12-31 → 2028-12-31" in run_page
    assert f"被《{expected['new_policy']}》废止" in run_page
    status = lxml.html.parse(str(report_dir / "status.html")).getroot()
    row = status.cssselect(f"tr[data-policy='{repealed_id}']")[0]
    assert "已废止" in row.text_content()
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "run-2.html" in index and "run-1.html" in index
