"""Status transitions against an injected clock, and repeal links matched when the target arrives
later — each event exactly once. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from monitor.config import Settings, SourceConfig, Subscriber
from monitor.contracts import ListedLink, ListPageItem, PageItem
from monitor.ingest import Ingestor
from monitor.status import apply_time_transitions
from monitor.store.db import Database
from monitor.store.models import Event, Policy, RepealLink, Run

SOURCE = SourceConfig(
    name="fixture", start_urls=("http://127.0.0.1:9/list/",), allow_private=True, region="北京市测试区"
)
SETTINGS = Settings(subscribers=(Subscriber("ops", ("json://127.0.0.1:9/",)),))


def html(title: str, doc_number: str, written: str, body: str) -> str:
    return (
        f'<html><head><meta name="ArticleTitle" content="{title}"></head><body>'
        f"<table><tr><td>发文字号：</td><td>{doc_number}</td></tr><tr><td>成文日期：</td><td>{written}</td></tr>"
        f"<tr><td>发布日期：</td><td>{written}</td></tr></table>"
        f'<div class="TRS_Editor">{"".join(f"<p>{p}</p>" for p in body.split("|"))}</div></body></html>'
    )


def ingest(db: Database, pages: dict[str, str], today: date) -> None:
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    ing = Ingestor(db, run_id=run_id, source=SOURCE, settings=SETTINGS, today=today)
    ing.record_list(ListPageItem("fixture", SOURCE.start_urls[0], 200, [ListedLink(u) for u in pages]))
    for url, text in pages.items():
        ing.ingest_page(
            PageItem(
                "fixture",
                url,
                200,
                datetime.now(UTC),
                body=text.encode(),
                text=text,
                content_type="text/html; charset=utf-8",
            )
        )
    ing.finish()


def events(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(e.type, e.policy.title) for e in s.scalars(select(Event).order_by(Event.id))]


def tick(db: Database, today: date) -> None:
    with db.session() as s:
        apply_time_transitions(
            s, today=today, now=datetime.now(UTC), run_id=None, subscribers=SETTINGS.subscribers, soon_days=30
        )


def test_time_travel_effective_expiring_expired_each_once(db: Database) -> None:
    other = html("其他办法", "测发〔2025〕9号", "2025-01-01", "第一条 内容。|第二条 本办法自印发之日起施行。")
    ingest(db, {"http://127.0.0.1:9/a/1.html": other}, date(2025, 4, 1))  # baseline crawl of the source
    page = html(
        "某某措施",
        "测发〔2025〕1号",
        "2025-04-18",
        "第一条 支持企业。|第二条 本措施自印发之日起30日后施行,有效期三年。",
    )
    ingest(db, {"http://127.0.0.1:9/a/1.html": other, "http://127.0.0.1:9/a/2.html": page}, date(2025, 4, 20))
    with db.session() as s:
        policy = s.scalar(select(Policy).where(Policy.title == "某某措施"))
        assert policy is not None
        assert (policy.status, policy.effective_date, policy.expires_date) == (
            "尚未生效",
            date(2025, 5, 18),
            date(2028, 5, 17),
        )
    assert events(db) == [("new_policy", "某某措施")]
    for day in (
        date(2025, 5, 17),
        date(2025, 5, 18),
        date(2025, 6, 1),
        date(2028, 4, 16),
        date(2028, 4, 17),
        date(2028, 5, 1),
        date(2028, 5, 17),
        date(2028, 5, 18),
        date(2029, 1, 1),
    ):
        tick(db, day)
        tick(db, day)  # a repeated run on the same day raises nothing new
    assert events(db) == [
        ("new_policy", "某某措施"),
        ("taking_effect", "某某措施"),
        ("expiring_soon", "某某措施"),
        ("expired", "某某措施"),
    ]
    with db.session() as s:
        assert s.scalar(select(Policy.status).where(Policy.title == "某某措施")) == "已失效"


def test_repeal_of_a_policy_crawled_later_is_linked_then(db: Database) -> None:
    old = html("旧办法", "测发〔2020〕1号", "2020-01-01", "第一条 旧内容。|第二条 本办法自印发之日起施行。")
    new = html(
        "新办法",
        "测发〔2025〕2号",
        "2025-03-01",
        "第一条 新内容。|第二条 本办法自印发之日起施行。《旧办法》(测发[2020]1号)同时废止。",
    )
    ingest(db, {"http://127.0.0.1:9/a/new.html": new}, date(2025, 3, 2))  # baseline: only the new one
    with db.session() as s:
        link = s.scalar(select(RepealLink))
        assert link is not None and link.target_policy_id is None and link.target_doc_number == "测发〔2020〕1号"
    ingest(db, {"http://127.0.0.1:9/a/new.html": new, "http://127.0.0.1:9/b/old.html": old}, date(2025, 3, 3))
    with db.session() as s:
        link = s.scalar(select(RepealLink))
        assert link is not None and link.target_policy is not None and link.target_policy.title == "旧办法"
        assert (link.matched_by, link.match_score) == ("doc_number", 1.0)
        old_policy = link.target_policy
        assert old_policy.status == "已废止" and old_policy.repealed_by.title == "新办法"
    assert ("repealed", "旧办法") in events(db)
    ingest(db, {"http://127.0.0.1:9/a/new.html": new, "http://127.0.0.1:9/b/old.html": old}, date(2025, 3, 4))
    assert events(db).count(("repealed", "旧办法")) == 1


def test_official_label_outranks_text(db: Database) -> None:
    page = (
        '<html><head><meta name="ArticleTitle" content="标注失效的办法"></head><body>'
        '<ul class="doc-info"><li>[有效性]<span>失效</span></li><li>[成文日期]<span>2024-01-01</span></li></ul>'
        '<div id="mainText"><p>第一条 内容。</p><p>第二条 本办法自印发之日起施行,有效期至2030年12月31日。</p></div>'
        "</body></html>"
    )
    ingest(db, {"http://127.0.0.1:9/a/x.html": page}, date(2025, 1, 1))
    with db.session() as s:
        policy = s.scalar(select(Policy))
        assert policy is not None and policy.status == "已失效" and policy.status_source == "official_label"
