"""The JSON API over the demo's two revisions: every endpoint, its OpenAPI description, times with offsets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor.store.models import Event, Policy
from monitor.web.ident import policy_key
from tests import webdemo

demo, client = webdemo.demo, webdemo.client  # the module-scoped fixtures: the demo loaded once per database
pytestmark = pytest.mark.slow


def test_policies_endpoint_searches_and_filters_like_the_page(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    everything = client.get("/api/policies").json()
    with db.session() as s:
        assert everything["total"] == s.scalar(select(func.count(Policy.id)))
    assert sum(everything["status_counts"].values()) == everything["total"]
    found = client.get("/api/policies", params={"q": "海商发[2026]5号"}).json()
    assert [p["title"] for p in found["items"]] == [expected["new_policy"]]
    item = found["items"][0]
    assert item["id"].startswith("demo-haidian/") and item["page"] == f"/policies/{item['id']}"
    assert item["doc_number"] == "海商发〔2026〕5号" and item["status"] == "现行有效"
    repealed = client.get("/api/policies", params={"status": "已废止"}).json()
    assert [p["title"] for p in repealed["items"]] == [expected["repealed"]]
    bad = client.get("/api/policies", params={"published_from": "yesterday"})
    assert bad.status_code == 422 and "不是日期" in bad.json()["detail"]


def test_policy_endpoint_gives_facts_versions_repeals_and_events(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    with db.session() as s:
        amended = s.scalar(select(Policy).where(Policy.title == expected["text_changed"]))
        new = s.scalar(select(Policy).where(Policy.title == expected["new_policy"]))
        old = s.scalar(select(Policy).where(Policy.title == expected["repealed"]))
        assert amended and new and old
        keys = policy_key(amended), policy_key(new), policy_key(old)
    detail = client.get(f"/api/policies/{keys[0]}").json()
    assert [v["seq"] for v in detail["versions"]] == [1, 2]
    assert all(v["fetched_at"].endswith("+08:00") for v in detail["versions"])
    assert [e["type"] for e in detail["events"]] == ["text_changed"]
    assert "最高1500万元 → 最高2000万元" in detail["events"][0]["summary"]
    facts = {f["label"]: f for f in detail["facts"]}
    assert facts["施行日期"]["how"].startswith("据正文") or facts["施行日期"]["how"].startswith("推定")
    repealing = client.get(f"/api/policies/{keys[1]}").json()
    assert repealing["repeals"] == [
        {"kind": "repeal", "title": expected["repealed"], "doc_number": "海商发〔2025〕3号", "policy": keys[2]}
    ]
    assert client.get(f"/api/policies/{keys[2]}").json()["repealed_by"][0]["policy"] == keys[1]
    assert client.get("/api/policies/demo-haidian/ffffffffffff").status_code == 404


def test_events_endpoint_filters_by_time_and_type_with_offsets(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, _ = demo
    with db.session() as s:
        total = s.scalar(select(func.count(Event.id)))
        first = s.scalar(select(func.min(Event.detected_at)))
    events = client.get("/api/events").json()
    assert len(events) == total and total >= 4
    assert all(e["detected_at"].endswith("+08:00") for e in events)
    assert {e["label"] for e in events} >= {"内容变化", "新政策", "已被废止", "有效期变化"}
    changed = client.get("/api/events", params=[("type", "text_changed"), ("type", "repealed")]).json()
    assert sorted(e["type"] for e in changed) == ["repealed", "text_changed"]
    later = datetime.fromisoformat(events[-1]["detected_at"]) + timedelta(seconds=1)
    assert client.get("/api/events", params={"since": later.isoformat()}).json() == []
    assert first is not None
    assert len(client.get("/api/events", params={"since": "2000-01-01"}).json()) == total
    assert client.get("/api/events", params={"type": "nonsense"}).status_code == 422
    assert client.get("/api/events", params={"since": "soon"}).status_code == 422


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/policies", "/api/policies/{source}/{digest}", "/api/events"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_report_addresses_in_alerts_lead_to_the_stable_pages(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    db, expected = demo
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.title == expected["text_changed"]))
        assert policy is not None
        old_name, key = f"/policy-{policy.id}.html", policy_key(policy)
    moved = client.get(old_name, follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == f"/policies/{key}"
    assert client.get("/run-2.html", follow_redirects=False).headers["location"] == "/runs/2"
    # The report's (and the alerts') name of the page is answered too.
    assert expected["text_changed"] in client.get(f"/policies/{key}.html").text
    assert client.get("/policy-999999.html").status_code == 404
