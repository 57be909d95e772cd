"""Removal, restoration, flapping and held suspect versions, proven by real crawls of the fault site
(issue #18 items 1 and 3, #17 part 2)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, SourceConfig, Subscriber, parse_sources
from monitor.health import NO_LINKS
from monitor.runner import RunResult, run_once
from monitor.store.db import Database
from monitor.store.models import Event, Policy, Version
from tests.fault_server import NOT_FOUND, Fault, FaultSite, chrome, list_page, policy_page
from tests.robot_receiver import RobotReceiver

pytestmark = pytest.mark.faults

TODAY = date(2025, 6, 1)


def paths(n: int) -> list[str]:
    return [f"/zcwj/202501/t20250102_{i}.html" for i in range(1, n + 1)]


class Site:
    """A fault site with n policies, a receiver for alerts, and one run at a time."""

    def __init__(self, db: Database, site: FaultSite, robot: RobotReceiver, n: int = 6) -> None:
        self.db, self.site = db, site
        self.paths = paths(n)
        for i, path in enumerate(self.paths, 1):
            site.publish(path, policy_page(i))
        self.listed = list(self.paths)
        sub = Subscriber("ops", (robot.url.replace("http", "json", 1) + "/hook",))
        self.settings = Settings(subscribers=(sub,))
        self.sources: list[SourceConfig] = parse_sources(
            f'- name: site\n  start_urls: ["{site.base}/zcwj/index.html"]\n  allow_private: true\n'
        )

    def run(self) -> RunResult:
        self.site.publish("/zcwj/index.html", list_page(self.listed))
        return run_once(
            self.db, self.sources, self.settings, report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY
        )

    def gone(self, path: str, listed: bool = False, not_found_page: bool = False) -> None:
        self.site.faults[path] = (
            Fault("body", body=NOT_FOUND.encode()) if not_found_page else Fault("status", status=404)
        )
        if not listed and path in self.listed:
            self.listed.remove(path)

    def back(self, path: str) -> None:
        self.site.faults.pop(path, None)
        if path not in self.listed:
            self.listed.append(path)

    def events(self) -> Counter[tuple[str, str]]:
        with self.db.session() as s:
            policy_events = select(Event).where(Event.policy_id.is_not(None))  # not source_failing/recovered
            return Counter((e.type, e.policy.url.rsplit("/", 1)[-1]) for e in s.scalars(policy_events))

    def versions(self) -> int:
        with self.db.session() as s:
            return len(list(s.scalars(select(Version))))


def sqlite_only(db: Database) -> None:
    """Long multi-run scenarios whose storage is the same as above: once on SQLite keeps the suite short."""
    if db.url.startswith("postgresql"):
        pytest.skip("storage paths covered on PostgreSQL by the removal test")


def test_removal_needs_two_runs_restored_keeps_history_and_a_second_removal_is_not_lost(db: Database) -> None:
    with FaultSite() as fsite, RobotReceiver() as robot:
        site = Site(db, fsite, robot)
        a, _b, c = (p.rsplit("/", 1)[-1] for p in site.paths[:3])
        site.run()  # baseline
        site.gone(site.paths[0])  # A: 404 and off its list
        site.gone(site.paths[1], listed=True)  # B: 404 but still listed (a broken link)
        site.gone(site.paths[2], not_found_page=True)  # C: 200 "页面不存在" in the site's chrome, off its list
        second = site.run()
        assert site.events() == Counter() and second.source_stats["site"]["gone"] == 3
        site.back(site.paths[1])  # B flaps back
        third = site.run()
        assert site.events() == Counter({("removed", a): 1, ("removed", c): 1})
        assert third.source_stats["site"]["removed"] == 2
        site.back(site.paths[0])  # A comes back with the same content
        site.gone(site.paths[1], listed=True)  # B flaps again
        site.run()
        assert site.events() == Counter({("removed", a): 1, ("removed", c): 1, ("restored", a): 1})
        with db.session() as s:
            policy_a = s.scalar(select(Policy).where(Policy.url.endswith(a)))
            assert policy_a is not None and policy_a.removed_at is None and len(policy_a.versions) == 1
        site.gone(site.paths[0])  # A removed a second time: confirmed after two runs again
        site.run()
        site.run()
        assert site.events() == Counter({("removed", a): 2, ("removed", c): 1, ("restored", a): 1})
        assert site.versions() == 6
    # Every event reached the receiver exactly once.
    assert robot.distinct() == len(robot.accepted) == 4


def test_flapping_404_never_alerts(db: Database) -> None:
    sqlite_only(db)
    with FaultSite() as fsite, RobotReceiver() as robot:
        site = Site(db, fsite, robot)
        site.run()
        for _ in range(2):
            site.gone(site.paths[0])
            site.run()
            site.back(site.paths[0])
            site.run()
        assert site.events() == Counter() and robot.accepted == []


def test_a_redesign_that_moves_every_page_is_a_failing_source_not_a_wave_of_removals(db: Database) -> None:
    sqlite_only(db)
    with FaultSite() as fsite, RobotReceiver() as robot:
        site = Site(db, fsite, robot, n=8)
        site.run()
        for path in site.paths:  # the old URLs answer 404; the list links to new ones that 404 too
            site.gone(path)
        for _ in range(3):
            result = site.run()
            assert result.status == "partial" and result.exit_code == 1
            assert result.source_stats["site"]["failing"] == [NO_LINKS]  # monitor/health.py, before any removal
        assert site.events() == Counter() and robot.accepted == []
        with db.session() as s:
            assert [e.type for e in s.scalars(select(Event))] == ["source_failing"]  # once, for operators


def test_a_page_whose_title_number_and_articles_vanish_is_held_until_seen_again(db: Database) -> None:
    sqlite_only(db)
    broken = chrome(
        "系统通知",
        "<p>一、系统升级期间部分栏目暂停更新。</p><p>二、给您带来的不便敬请谅解。</p><p>三、如有疑问请致电咨询。</p>",
    )
    with FaultSite() as fsite, RobotReceiver() as robot:
        site = Site(db, fsite, robot)
        site.run()
        target = site.paths[0]
        fsite.faults[target] = Fault("body", body=broken.encode())
        held = site.run()
        assert held.source_stats["site"]["held"] == 1 and "vanished at once" in " ".join(
            held.source_stats["site"]["errors"]
        )
        fsite.faults.clear()  # the real page is back: nothing happened
        site.run()
        assert site.events() == Counter() and site.versions() == 6
        fsite.faults[target] = Fault("body", body=broken.encode())
        site.run()
        assert site.events() == Counter() and site.versions() == 6
        site.run()  # the same content twice in a row: it is real, stored and announced once
        first = site.events()
        site.run()
        assert site.events() == first and site.versions() == 7
        assert {t for t, _ in first} >= {"text_changed"}


def test_a_page_moved_by_301_keeps_its_identity_and_history(db: Database) -> None:
    sqlite_only(db)
    with FaultSite() as fsite, RobotReceiver() as robot:
        site = Site(db, fsite, robot)
        site.run()
        old, new = site.paths[0], "/zcwj/202502/t20250201_1.html"
        fsite.publish(new, policy_page(1, amount=900))  # moved, and changed while moving
        fsite.faults[old] = Fault("redirect", status=301, location=new)
        site.run()  # the list still links the old address, which now redirects for good
        site.run()
        with db.session() as s:
            policies = list(s.scalars(select(Policy).where(Policy.title.like("%第1类%"))))
            assert [p.url.rsplit("/", 2)[-2:] for p in policies] == [["202502", "t20250201_1.html"]]
            assert [v.seq for v in policies[0].versions] == [1, 2]
        assert site.events() == Counter({("text_changed", "t20250201_1.html"): 1})
