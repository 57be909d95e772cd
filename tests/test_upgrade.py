"""Upgrades never cry wolf: pages stored by an older extractor/normaliser, re-crawled unchanged by the
running code, raise no alert and no text/expiry event; a real change after the upgrade alerts once;
`policywatch reprocess` corrects facts and statuses quietly.

The "older code" (tests/older_code.py) really runs in the crawl child: a sitecustomize module on
PYTHONPATH (spawned processes read it at start-up) installs it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import monitor.derive as derivation
from crawler.pipelines import read_for_store
from monitor.addresses import url_digest
from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, SourceConfig, Subscriber, parse_sources
from monitor.contracts import AttachmentFile, PageItem
from monitor.demo.receiver import WebhookReceiver
from monitor.derive import PageInputs, fact_changes, legacy_inputs
from monitor.events import QUIET_EVENTS, record_event
from monitor.ingest import Ingestor
from monitor.rules import EventSpec
from monitor.runner import RunResult, run_once
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Policy, Run, Version
from monitor.vocab import EventType
from notifier.matching import wants
from tests import older_code
from tests.fixture_server import Fixture, FixtureServer
from tests.test_fixture_sites import _docx, _html, _pdf

TODAY = date(2025, 6, 1)
ROOT = Path(__file__).resolve().parents[1]


P1, P2, P3 = "/p/202201/t20220110_1.html", "/p/202503/t20250301_2.html", "/p/202504/t20250401_3.html"


def _page(title: str, info: str, body: str) -> bytes:
    return _html("utf-8", f'<meta name="ArticleTitle" content="{title}">', info + body).encode()


def _site(amount: str = "500") -> dict[str, Fixture]:
    p1 = _page(
        "某区关于支持企业发展的办法",
        "<table><tr><td>发文字号：</td><td>某区发〔2022〕1号</td><td>发文机关：</td><td>某区人民政府</td></tr>"
        "<tr><td>成文日期：</td><td>2022年01月10日</td><td>发布日期：</td><td>2022年01月10日</td></tr></table>",
        '<div class="TRS_Editor"><p>第一条 支持企业发展,给予最高300万元资金支持。</p>'
        "<p>第二条 本办法自印发之日起施行,有效期两年。</p>"
        '<p><a href="./P020220110.pdf">附件1.申报指南.pdf</a></p></div>',
    )
    p2 = _page(
        "某区促进科技创新若干措施",
        "",
        f'<div class="TRS_Editor"><p>第一条 对新认定的企业给予最高{amount}万元奖励。</p>'
        "<p>第二条 本措施自2025年3月1日起施行,有效期三年。</p></div>",
    )
    p3 = _page(
        "某区文化产业扶持办法",
        "",
        '<div class="TRS_Editor"><p>第一条 支持文化企业。</p><p>第二条 本办法有效期至2027年12月31日。</p></div>',
    )
    links = "".join(f'<li><a href=".{p[2:]}">政策{i}</a></li>' for i, p in enumerate((P1, P2, P3), 1))
    return {
        "/robots.txt": Fixture(b"User-agent: *\nAllow: /\n", "text/plain"),
        "/p/index.html": Fixture(_html("utf-8", "", f"<ul>{links}</ul>").encode()),
        P1: Fixture(p1),
        "/p/202201/P020220110.pdf": Fixture(_pdf("申报指南\n申报单位应于每年3月31日前提交材料。"), "application/pdf"),
        P2: Fixture(p2),
        P3: Fixture(p3),
    }


def _sources(server: FixtureServer) -> str:
    # Pages in force are re-checked every run, however old (crawler/recheck.py).
    return f'- name: qu\n  region: 某区\n  start_urls: ["{server.base}/p/index.html"]\n  allow_private: true\n'


def _older_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The next crawl child starts with the older extractor and normaliser."""
    old = tmp_path / "oldcode"
    old.mkdir(exist_ok=True)
    (old / "sitecustomize.py").write_text(older_code.SITECUSTOMIZE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(old), str(ROOT), os.environ.get("PYTHONPATH", "")]))


def _run(db: Database, server: FixtureServer, settings: Settings) -> RunResult:
    sources = parse_sources(_sources(server))
    return run_once(db, sources, settings, report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY)


def _policy(db: Database, path: str) -> tuple[Policy, list[Version]]:
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.url.endswith(path)))
        assert policy is not None, path
        return policy, list(policy.versions)


def _stored_by_older_code(
    db: Database, server: FixtureServer, settings: Settings, mp: pytest.MonkeyPatch, tmp: Path
) -> None:
    with mp.context() as m:
        _older_code(m, tmp)
        first = _run(db, server, settings)
    assert first.status == "ok" and first.source_stats["qu"]["new"] == 3
    policy, versions = _policy(db, P1)
    # The child really ran the older code: stamped 0, no expiry read, 发文机关 not in the text.
    assert versions[0].derived_by == 0 and policy.expires_date is None and policy.status == "现行有效"
    assert "发文机关:某区人民政府" not in versions[0].text and "申报单位应于每年3月31日前提交材料" in versions[0].text
    assert _policy(db, P2)[0].expires_date is None


def _events(db: Database, run_id: int | None = None) -> list[Event]:
    with db.session() as s:
        query = select(Event).order_by(Event.id)
        return list(s.scalars(query if run_id is None else query.where(Event.run_id == run_id)))


@pytest.mark.parametrize("stored_before_inputs", [False, True], ids=["inputs-kept", "legacy-rows"])
def test_an_upgrade_raises_no_alert_and_a_real_change_still_alerts_once(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored_before_inputs: bool
) -> None:
    with FixtureServer(_site()) as server, WebhookReceiver() as hook:
        settings = Settings(subscribers=(Subscriber("all", (hook.url.replace("http://", "json://") + "/a",)),))
        _stored_by_older_code(db, server, settings, monkeypatch, tmp_path)
        if stored_before_inputs:
            # What migration 0010 leaves of versions stored before it: no inputs, stamp 0.
            with db.session() as s:
                s.execute(update(Version).values(inputs=None, derived_by=0))

        upgraded = _run(db, server, settings)

        assert upgraded.status == "ok" and upgraded.source_stats["qu"]["unchanged"] == 3
        assert dict(upgraded.events) == {"facts_corrected": 2}  # P1 (text, expiry, status) and P2 (expiry)
        assert upgraded.delivery.sent == 0 and hook.received == []
        with db.session() as s:
            assert s.scalar(select(Alert)) is None
            assert all(v.derived_by == derivation.DERIVATION_VERSION for v in s.scalars(select(Version)))
        p1, v1 = _policy(db, P1)
        assert len(v1) == 1 and "发文机关:某区人民政府" in v1[0].text
        assert (p1.expires_date, p1.status) == (date(2024, 1, 9), "已失效")
        p2, v2 = _policy(db, P2)
        assert len(v2) == 1 and (p2.expires_date, p2.status) == (date(2028, 2, 29), "现行有效")
        corrected = {e.policy_id: e for e in _events(db, upgraded.run_id)}
        assert corrected[p1.id].details["status"] == ["现行有效", "已失效"]
        assert {f["field"] for f in corrected[p1.id].details["facts"]} == {"expires"}
        assert corrected[p1.id].details["text_changed"] is True and "不推送" in corrected[p1.id].summary

        again = _run(db, server, settings)  # nothing left to correct
        assert dict(again.events) == {} and hook.received == []

        server.pages[P2] = _site(amount="800")[P2]
        changed = _run(db, server, settings)

    assert dict(changed.events) == {"text_changed": 1}
    assert changed.delivery.sent == 1 and len(hook.received) == 1
    event = _events(db, changed.run_id)[0]
    assert event.policy_id == p2.id and "最高500万元 → 最高800万元" in event.summary


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )


def test_reprocess_corrects_facts_and_status_quietly(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FixtureServer(_site()) as server, WebhookReceiver() as hook:
        settings = Settings(subscribers=(Subscriber("all", (hook.url.replace("http://", "json://") + "/a",)),))
        _stored_by_older_code(db, server, settings, monkeypatch, tmp_path)
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(_sources(server), encoding="utf-8")
    common = ("--sources", str(sources_file), "--db", db_url, "--today", "2025-06-01")

    status = _cli("status", "--db", db_url)
    assert "3 stored version(s) were read by an older extractor/normaliser" in status.stdout

    dry = _cli("reprocess", *common, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert (preview["dry_run"], preview["corrected"], preview["status_changed"]) == (True, 2, 1)
    assert _policy(db, P1)[0].status == "现行有效" and _events(db) == []  # a dry run changes nothing

    done = _cli("reprocess", *common)
    assert done.returncode == 0, done.stderr
    assert "corrected 2, status changed 1, failed 0; nothing was sent to subscribers" in done.stdout
    assert "有效期 未载明 → 2024-01-09" in done.stdout
    p1, _ = _policy(db, P1)
    assert (p1.expires_date, p1.status, p1.status_source) == (date(2024, 1, 9), "已失效", "inferred_clause")
    events = _events(db)
    assert [e.type for e in events] == ["facts_corrected", "facts_corrected"] and events[0].run_id is None
    with db.session() as s:
        assert s.scalar(select(Alert)) is None
    assert hook.received == []

    history = _cli("history", str(p1.id), "--db", db_url)
    assert history.returncode == 0 and "facts_corrected" in history.stdout and "已失效" in history.stdout

    report = tmp_path / "report"
    assert _cli("report", "--db", db_url, "--out", str(report)).returncode == 0
    assert "事实更正" in next(report.glob(f"policies/*/{url_digest(p1.url)}.html")).read_text(encoding="utf-8")

    assert "older extractor" not in _cli("status", "--db", db_url).stderr
    repeat = _cli("reprocess", *common, "--json")
    assert json.loads(repeat.stdout)["corrected"] == 0 and len(_events(db)) == 2  # idempotent

    unknown = _cli("reprocess", *common, "--source", "nosuch")
    assert unknown.returncode == 2 and "nosuch" in unknown.stderr


def test_facts_corrected_never_reaches_the_outbox(db: Database) -> None:
    settings = Settings(subscribers=(Subscriber("all", ("json://127.0.0.1:9/x",)),))
    assert "facts_corrected" in QUIET_EVENTS
    assert not wants(settings.subscribers[0], "facts_corrected", "high", "某区", "qu", "")
    from monitor.store.models import Source
    from notifier.outbox import deliver_pending

    now = datetime(2025, 6, 1, tzinfo=UTC)
    with db.session() as s:
        policy = Policy(source=Source(name="qu"), url="http://x/1", first_seen=now, last_seen=now)
        s.add(policy)
        s.flush()
        event = record_event(
            s,
            EventSpec(EventType.FACTS_CORRECTED, "k", {}),
            policy=policy,
            summary="",
            run_id=None,
            now=now,
            subscribers=settings.subscribers,
        )
        assert event is not None and s.scalar(select(Alert)) is None
        # Even a row written by hand (an older build, a bug) is never picked up by the sender.
        s.add(Alert(event_id=event.id, subscriber="all", status="pending"))
    stats = deliver_pending(db, settings, now=now)
    assert (stats.sent, stats.failed) == (0, 0)
    with db.session() as s:
        assert s.scalar(select(Alert.status)) == "pending"


def test_fact_changes_name_each_fact_that_moved() -> None:
    old: dict[str, Any] = {"doc_number": None, "expires": {"date": None, "rule": None}, "repeals": []}
    new: dict[str, Any] = {
        "doc_number": "京政发〔2024〕1号",
        "expires": {"date": "2027-12-31", "rule": "有效期至2027年12月31日"},
        "repeals": [{"title": "某办法", "doc_number": "京政发〔2020〕2号"}],
    }
    changes = {c["field"]: (c["label"], c["old"], c["new"]) for c in fact_changes(old, new)}
    assert changes == {
        "doc_number": ("文号", None, "京政发〔2024〕1号"),
        "expires": ("有效期", None, "2027-12-31"),
        "repeals": ("废止/修订", [], ["《某办法》京政发〔2020〕2号"]),
    }
    assert fact_changes(new, dict(new)) == []


def test_page_inputs_round_trip_and_legacy_reconstruction() -> None:
    inputs = PageInputs({"有效性": "有效"}, ("附件《指南.pdf》", "第一条 申报材料。"))
    assert PageInputs.from_json(json.loads(json.dumps(inputs.to_json()))) == inputs
    document = {
        "clauses": [
            ["第一条", "article", [], "第一条 见附件《指南.pdf》。"],
            ["附件《指南.pdf》", "attachment", [], "附件《指南.pdf》"],
            ["第一条", "article", ["附件《指南.pdf》"], "第一条 申报材料。"],
        ]
    }
    fields = {"有效性": "有效", "附件": "指南.pdf", "发文字号": "某发〔2024〕1号"}
    assert legacy_inputs(document, fields, ["有效性"]) == inputs
    assert legacy_inputs(document, {}, []) == PageInputs()


SOURCE = SourceConfig(name="qu", start_urls=("http://127.0.0.1:9/p/",), allow_private=True, region="某区")
HOOK = Settings(subscribers=(Subscriber("all", ("json://127.0.0.1:9/hook",)),))


def _ingest(db: Database, path: str, html: bytes, attachments: Sequence[AttachmentFile] = ()) -> Ingestor:
    """One fetched page stored by a run of its own, as the crawl pipeline does (no crawl)."""
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    ingestor = Ingestor(db, run_id=run_id, source=SOURCE, settings=HOOK, today=TODAY)
    url = "http://127.0.0.1:9" + path
    item = PageItem("qu", url, 200, datetime.now(UTC), body=html, text=html.decode(), encoding="utf-8")
    item.attachments.extend(attachments)
    # Read as the crawl's reader process reads it: the store gets the body compressed, not the text.
    sent, reading = read_for_store(item, SOURCE, {})
    assert not sent.text
    assert ingestor.ingest_page(sent, reading) in {"new", "changed", "unchanged"}
    return ingestor


def test_a_real_change_during_the_upgrade_alerts_with_that_change_only(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page changes in the very fetch that first meets the new code: the alert carries the real
    change (the amount), not what the code reads differently (the 发文机关 line, the expiry)."""
    with monkeypatch.context() as m:
        older_code.install(m.setattr)
        _ingest(db, P1, _site()[P1].body)
    _ingest(db, P1, _site()[P1].body.replace("最高300万元".encode(), "最高350万元".encode()))

    corrected, changed = _events(db)
    assert (corrected.type, changed.type) == ("facts_corrected", "text_changed")
    assert corrected.details["version"] == 1 and corrected.details["status"] == ["现行有效", "已失效"]
    assert [f["summary"] for f in changed.details["facts"]] == ["第一条: 最高300万元 → 最高350万元"]
    assert changed.details["meta"] == [] and changed.summary == "第一条: 最高300万元 → 最高350万元"
    with db.session() as s:
        assert [a.event_id for a in s.scalars(select(Alert))] == [changed.id]


def test_legacy_version_whose_attachment_differs_only_by_the_code_is_corrected_quietly(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions stored before attachments' text was kept: their attachment section can only be
    rebuilt from text the old normaliser had already folded. Here the old fold squeezed out
    every space, also between Latin words and numbers ("ISO 9001" → "ISO9001"), which no re-fold can
    undo; after the upgrade the only difference is in the attachment, so it is a quiet correction —
    while a real change of the body still alerts."""
    import monitor.normalise as normalise

    path = "/p/202503/t20250301_2.html"
    docx = AttachmentFile(
        "http://127.0.0.1:9/p/202503/W1.docx", "附件1.申报表.docx", 200, _docx("申报表\n申报单位须通过 ISO 9001 认证")
    )

    def ingest(amount: str) -> Ingestor:
        html = _page(
            "某区促进科技创新若干措施",
            "",
            f'<div class="TRS_Editor"><p>第一条 对新认定的企业给予最高{amount}万元奖励。</p>'
            '<p>第二条 本措施自2025年3月1日起施行。</p><p><a href="./W1.docx">附件1.申报表.docx</a></p></div>',
        )
        return _ingest(db, path, html, [docx])

    with monkeypatch.context() as old:
        old.setattr(derivation, "DERIVATION_VERSION", 0)
        old.setattr(normalise, "_space", lambda m: "")  # squeezed out every space, "ISO 9001" too
        ingest("500")
    with db.session() as s:
        assert "通过ISO9001认证" in s.scalar(select(Version.text))
        s.execute(update(Version).values(inputs=None, derived_by=0))  # as stored before inputs were kept

    assert ingest("500").stats.changed == 1  # the attachment text reads differently now…
    events = _events(db)
    assert [e.type for e in events] == ["facts_corrected"]  # …which is recorded, not announced
    assert "差异仅在附件部分" in events[0].details["notes"][0]
    with db.session() as s:
        assert s.scalar(select(Alert)) is None
        assert "通过ISO 9001认证" in s.scalar(select(Version.text).where(Version.seq == 2))

    ingest("800")  # a real change of the body after the upgrade
    assert [e.type for e in _events(db)][1:] == ["text_changed"]
    with db.session() as s:
        assert len(list(s.scalars(select(Alert)))) == 1
