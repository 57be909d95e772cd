"""The unit of work per page, fed directly (no crawl), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from monitor.config import Settings, SourceConfig, Subscriber
from monitor.contracts import ListedLink, ListPageItem, PageItem
from monitor.demo.site import DemoSite
from monitor.ingest import Ingestor
from monitor.store.db import Database
from monitor.store.models import Alert, Event, Policy, Run, Version

BASE = "http://127.0.0.1:9"
SOURCE = SourceConfig(
    name="demo-dongcheng", start_urls=(f"{BASE}/dongcheng/index.html",), allow_private=True, region="北京市东城区"
)
SUB = Subscriber(name="ops", urls=("json://127.0.0.1:9/hook",))
SETTINGS = Settings(subscribers=(SUB,))
TODAY = date(2026, 11, 27)
PATHS = {
    7: "/dongcheng/202504/t20250401_7.html",
    8: "/dongcheng/202504/t20250401_8.html",
    9: "/dongcheng/202505/t20250520_9.html",
}


def _run(db: Database) -> int:
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        return run.id


def _item(site: DemoSite, revision: int, path: str, status: int | None = None, error: str = "") -> PageItem:
    page = site.pages(revision).get(path)
    if status is not None or page is None:
        return PageItem(
            "demo-dongcheng", BASE + path, 404 if status is None else status, datetime.now(UTC), error=error
        )
    return PageItem(
        "demo-dongcheng",
        BASE + path,
        200,
        datetime.now(UTC),
        body=page.body,
        text=page.body.decode("utf-8"),
        encoding="utf-8",
        content_type=page.content_type,
    )


def _crawl(
    db: Database,
    site: DemoSite,
    revision: int,
    items: dict[int, PageItem] | None = None,
    list_ok: bool = True,
    listed: tuple[int, ...] | None = None,
) -> Ingestor:
    ing = Ingestor(db, run_id=_run(db), source=SOURCE, settings=SETTINGS, today=TODAY)
    listed_ids = listed if listed is not None else tuple(pid for pid, p in PATHS.items() if p in site.pages(revision))
    ing.record_list(
        ListPageItem(
            "demo-dongcheng",
            f"{BASE}/dongcheng/index.html",
            200 if list_ok else 500,
            [ListedLink(BASE + PATHS[i]) for i in listed_ids],
            "" if list_ok else "HTTP 500",
        )
    )
    for pid, path in PATHS.items():
        ing.ingest_page((items or {}).get(pid) or _item(site, revision, path))
    ing.finish()
    return ing


def _count(db: Database, model: type, *where: object) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_first_crawl_is_a_silent_baseline_then_changes_alert(db: Database) -> None:
    site = DemoSite()
    first = _crawl(db, site, 1)
    assert (first.stats.new, first.stats.failed) == (3, 0)
    assert _count(db, Event) == 0 and _count(db, Version) == 3
    second = _crawl(db, site, 2)
    assert second.stats.changed == 1 and second.stats.unchanged == 1 and second.stats.removed == 0
    assert _count(db, Event, Event.type == "removed") == 0  # gone once: confirmed only if gone next run too
    third = _crawl(db, site, 2)
    assert third.stats.removed == 1
    with db.session() as s:
        events = {(e.type, e.policy.url.rsplit("_", 1)[-1]) for e in s.scalars(select(Event))}
    assert events == {("text_changed", "8.html"), ("removed", "9.html")}
    # Every event has one outbox row per interested subscriber, written with it.
    assert _count(db, Alert) == 2


def test_repeated_run_records_nothing_twice(db: Database) -> None:
    site = DemoSite()
    _crawl(db, site, 1)
    _crawl(db, site, 2)
    _crawl(db, site, 2)  # confirms the removal
    fourth = _crawl(db, site, 2)
    assert fourth.stats.unchanged == 2
    assert _count(db, Event) == 2 and _count(db, Alert) == 2 and _count(db, Version) == 4


@pytest.mark.parametrize(
    ("status", "error"), [(500, "HTTP 500"), (0, "TimeoutError: took too long"), (503, "HTTP 503")]
)
def test_transient_failure_is_never_a_version_or_a_removal(db: Database, status: int, error: str) -> None:
    site = DemoSite()
    _crawl(db, site, 1)
    failing = {pid: _item(site, 2, path, status=status, error=error) for pid, path in PATHS.items()}
    ing = _crawl(db, site, 2, items=failing, listed=())
    assert ing.stats.failed == 3 and ing.stats.removed == 0
    # A list that names nothing makes the source failing (an operator event), never a removal.
    assert _count(db, Version) == 3 and _count(db, Event, Event.policy_id.is_not(None)) == 0
    assert ing.stats.failing and _count(db, Event, Event.type == "source_failing") == 1
    with db.session() as s:
        # Not one policy is withdrawn (the old check only failed when *every* one was).
        assert [p.url for p in s.scalars(select(Policy)) if p.status == "已撤下" or p.removed_at] == []
        assert all(p.last_fetch_error == error for p in s.scalars(select(Policy)))


def test_challenge_page_is_a_failed_fetch_not_content(db: Database) -> None:
    site = DemoSite()
    _crawl(db, site, 1)
    shell = b'<html><body id="detail"><script src="/_bot_sbu/sbu_fpc.js">x</script></body></html>'
    item = PageItem(
        "demo-dongcheng",
        BASE + PATHS[8],
        200,
        datetime.now(UTC),
        body=shell,
        text=shell.decode(),
        content_type="text/html",
    )
    ing = _crawl(db, site, 1, items={8: item})
    assert ing.stats.failed == 1 and _count(db, Version) == 3 and _count(db, Event) == 0


def test_404_still_listed_or_lists_incomplete_is_not_a_removal(db: Database) -> None:
    site = DemoSite()
    _crawl(db, site, 1)
    # 404 but still on the list page: a broken link, not a removal.
    ing = _crawl(db, site, 2, listed=(7, 8, 9))
    assert ing.stats.gone == 1 and ing.stats.removed == 0
    # 404 and off the list, but the list page failed: not enough evidence either.
    ing = _crawl(db, site, 2, list_ok=False, listed=())
    assert ing.stats.removed == 0
    assert _count(db, Event, Event.type == "removed") == 0
    # Complete list crawls without it on two runs in a row: now it is removed, once.
    _crawl(db, site, 2)
    _crawl(db, site, 2)
    assert _count(db, Event, Event.type == "removed") == 1
