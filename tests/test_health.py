"""Source health: the pure rules, and the failing/recovered transitions recorded by a run."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.config import Settings, SourceConfig, Subscriber
from monitor.demo.site import DemoSite
from monitor.health import NO_LINKS, HealthFacts, failing_reasons
from monitor.ingest import Ingestor
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Source
from tests.test_ingest import BASE, PATHS, SOURCE, TODAY, _crawl, _run

OPS = Subscriber(name="ops", urls=("json://127.0.0.1:9/hook",), events=("source_failing", "source_recovered"))
READER = Subscriber(name="reader", urls=("json://127.0.0.1:9/other",))


def _facts(**kw: int | bool) -> HealthFacts:
    base = {"list_pages_ok": 2, "links": 40, "fetched": 40, "read": 40, "empty": 0, "due": 40, "good_links": 40}
    return HealthFacts(**{**base, **kw})


def test_rules_name_each_kind_of_blindness_in_words() -> None:
    assert failing_reasons(_facts()) == []
    assert failing_reasons(_facts(links=0, fetched=0, read=0)) == [
        NO_LINKS,
        "本次未抓取到任何政策页面,但有40条已收录政策到期待复查 — 抓取可能被拦截或中断",
    ]
    assert failing_reasons(_facts(links=19)) == ["列表页只发现19个政策链接,不到上次正常运行(40个)的一半 — 网站可能改版"]
    assert failing_reasons(_facts(links=20)) == []  # half is not under half
    assert failing_reasons(_facts(empty=21)) == ["超过半数政策页面正文为空或无标题(21/40) — 页面模板可能改版"]
    assert failing_reasons(_facts(empty=20)) == []
    # All list pages failed (a transient error): not blindness, the run reports the failure itself.
    assert failing_reasons(_facts(list_pages_ok=0, links=0)) == []
    assert failing_reasons(_facts(links=5, lists_complete=False)) == []  # some list pages failed
    # Nothing due and nothing fetched is a quiet night, not a failure.
    assert failing_reasons(_facts(fetched=0, read=0, due=0)) == []


def _events(db: Database, type_: str) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Event).where(Event.type == type_)) or 0


def test_a_blind_source_alerts_operators_once_removes_nothing_and_recovers(db: Database) -> None:
    import tests.test_ingest as ti

    site = DemoSite()
    ti.SETTINGS = Settings(subscribers=(OPS, READER))
    try:
        _crawl(db, site, 1)
        blind = {pid: ti._item(site, 2, path, status=404) for pid, path in PATHS.items()}
        for _ in range(2):  # the redesign lasts two runs: one alert, never a removal
            ing = _crawl(db, site, 2, items=blind, listed=())
            assert ing.stats.failing == [NO_LINKS] and ing.stats.removed == 0
        assert _events(db, "source_failing") == 1 and _events(db, "removed") == 0
        with db.session() as s:
            source = s.scalar(select(Source))
            assert source is not None and source.failing_reason == NO_LINKS and source.failing_since is not None
            alerts = [(a.subscriber, a.event.type) for a in s.scalars(select(Alert))]
        assert alerts == [("ops", "source_failing")]  # operators only: readers did not opt in
        back = _crawl(db, site, 1)
        assert back.stats.failing == [] and _events(db, "source_recovered") == 1
        _crawl(db, site, 1)
        assert _events(db, "source_recovered") == 1
        with db.session() as s:
            source = s.scalar(select(Source))
            assert source is not None and source.failing_since is None and source.good_links == 3
    finally:
        ti.SETTINGS = Settings(subscribers=(ti.SUB,))


def test_half_the_pages_empty_is_failing(db: Database) -> None:
    source = SourceConfig(name="demo-dongcheng", start_urls=(f"{BASE}/dongcheng/index.html",), allow_private=True)
    ing = Ingestor(db, run_id=_run(db), source=source, settings=Settings(), today=TODAY)
    from datetime import UTC, datetime

    from monitor.contracts import ListedLink, ListPageItem, PageItem

    ing.record_list(ListPageItem(source.name, f"{BASE}/dongcheng/index.html", 200, [ListedLink(BASE + "/x.html")]))
    page = "<html><body><div class='nav'><a href='/'>首页</a></div></body></html>"
    ing.ingest_page(PageItem(source.name, BASE + "/x.html", 200, datetime.now(UTC), body=page.encode(), text=page))
    ing.finish()
    assert ing.stats.failing == ["超过半数政策页面正文为空或无标题(1/1) — 页面模板可能改版"]


def test_source_alerts_read_well_in_every_channel(db: Database) -> None:
    from datetime import UTC, datetime

    from monitor.health import apply_health
    from notifier.render import render

    run_id = _run(db)
    with db.session() as s:
        source = Source(name="qu-zcwj", region="北京市某区")
        s.add(source)
        s.flush()
        verdict = apply_health(
            s, source, [NO_LINKS], 0, run_id=run_id, now=datetime.now(UTC), subscribers=(OPS,), lists_complete=True
        )
        assert verdict == "failing"
    with db.session() as s:
        alert = s.scalar(select(Alert))
        assert alert is not None
        for kind in ("email", "wecom", "markdown", "text"):
            message = render([alert], kind, "https://reports.example/pw")
            assert "信息源「qu-zcwj」异常" in message.title, kind
            assert NO_LINKS in message.body, kind
            assert f"https://reports.example/pw/run-{run_id}.html" in message.body, kind


def test_most_pages_vanishing_at_once_is_failing_not_removals(db: Database) -> None:
    from datetime import UTC, datetime

    from monitor.contracts import ListedLink, ListPageItem, PageItem
    from monitor.health import MASS_VANISHED

    site = DemoSite()
    _crawl(db, site, 1)
    for _ in range(2):  # a redesign: new URLs on the list, every old page 404
        ing = Ingestor(db, run_id=_run(db), source=SOURCE, settings=Settings(subscribers=(OPS,)), today=TODAY)
        new = [f"{BASE}/dongcheng/new/{i}.html" for i in range(3)]
        ing.record_list(
            ListPageItem("demo-dongcheng", f"{BASE}/dongcheng/index.html", 200, [ListedLink(u) for u in new])
        )
        for url in [BASE + p for p in PATHS.values()] + new:
            ing.ingest_page(PageItem("demo-dongcheng", url, 404, datetime.now(UTC)))
        ing.finish()
        assert ing.stats.failing == [MASS_VANISHED] and ing.stats.removed == 0
    assert _events(db, "removed") == 0 and _events(db, "source_failing") == 1
