"""The hostile web (#17): one crawl in which every detail page misbehaves differently, then a normal
crawl, then a crawl with a planted real change under the same faults. No fault may create a version
or an event; each is reported per source with its reason; recovery raises nothing; the planted change
raises exactly its alert."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, Subscriber, parse_sources
from monitor.runner import RunResult, run_once
from monitor.store.db import Database
from monitor.store.models import Event, Version
from tests.fault_server import (
    ANTI_BOT,
    EMPTY_TEMPLATE,
    LEDGER,
    NOT_FOUND,
    WAF,
    Fault,
    FaultSite,
    list_page,
    policy_page,
)
from tests.robot_receiver import RobotReceiver

pytestmark = pytest.mark.faults

TODAY = date(2025, 6, 1)
TIMEOUT = 2  # seconds; the "slow" page answers after twice that


def _pdf() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(50, 800, "maintenance")
    pdf.save()
    return out.getvalue()


def faults(site: FaultSite, n: int) -> dict[str, Fault]:
    """One fault per page; the value says what the page does instead of answering normally."""
    gbk = policy_page(n).replace("charset=utf-8", "charset=gbk").encode("gbk")
    return {
        "delay": Fault("delay", delay=2 * TIMEOUT),
        "reset": Fault("reset"),
        "short": Fault("short"),
        "truncate": Fault("truncate"),
        "500": Fault("status", status=500),
        "502": Fault("status", status=502),
        "503": Fault("status", status=503, headers={"Retry-After": "1"}),
        "429": Fault("status", status=429, headers={"Retry-After": "1"}),
        "412": Fault("status", status=412, body=ANTI_BOT.encode()),
        "js-challenge": Fault("body", body=ANTI_BOT.encode()),
        "waf": Fault("body", body=WAF.encode()),
        "empty-template": Fault("body", body=EMPTY_TEMPLATE.encode()),
        "not-found-200": Fault("body", body=NOT_FOUND.encode()),
        "404": Fault("status", status=404, body=NOT_FOUND.encode()),
        "pdf": Fault("body", body=_pdf(), content_type="application/pdf"),
        "50MB": Fault("big", size=50 * 1024 * 1024),
        "redirect-loop": Fault("redirect", status=302, location="/zcwj/202501/loop.html"),
        "302-to-error": Fault("redirect", status=302, location="/error.html"),
        # Not failures: the same page in the other encoding, mislabelled. It must read the same.
        "gbk-as-utf8": Fault("body", body=gbk),
    }


# Gone (pending removal, under the address that was asked for) or read correctly: not failures.
FAILS_WITHOUT_VERSION = {"not-found-200", "404", "302-to-error", "gbk-as-utf8"}


class Bed:
    def __init__(self, db: Database, site: FaultSite, robot: RobotReceiver) -> None:
        self.db, self.site = db, site
        self.kinds = list(faults(site, 1))
        self.n = len(self.kinds) + 2  # two pages never fault
        self.paths = [f"/zcwj/202501/t20250102_{i}.html" for i in range(1, self.n + 1)]
        self.amounts = dict.fromkeys(self.paths, 500)
        site.publish("/zcwj/index.html", list_page(self.paths))
        site.publish("/error.html", NOT_FOUND)
        self.settings = Settings(subscribers=(Subscriber("ops", (robot.url.replace("http", "json", 1) + "/h",)),))
        self.sources = parse_sources(
            f'- name: site\n  start_urls: ["{site.base}/zcwj/index.html"]\n  allow_private: true\n'
        )
        self.publish()

    def publish(self) -> None:
        for i, path in enumerate(self.paths, 1):
            self.site.publish(path, policy_page(i, amount=self.amounts[path]))

    def inject(self) -> dict[str, str]:
        """Fault every page but the last two; returns path → fault kind."""
        by_path = {}
        for i, kind in enumerate(self.kinds):
            path = self.paths[i]
            fault = faults(self.site, i + 1)[kind]
            if kind == "redirect-loop":
                self.site.faults["/zcwj/202501/loop.html"] = Fault("redirect", status=302, location=path)
            self.site.faults[path] = fault
            by_path[path] = kind
        return by_path

    def run(self) -> RunResult:
        overrides = {**DEMO_SCRAPY, "DOWNLOAD_TIMEOUT": TIMEOUT}
        return run_once(self.db, self.sources, self.settings, report_dir=None, today=TODAY, scrapy_overrides=overrides)

    def events(self) -> Counter[tuple[str, str]]:
        with self.db.session() as s:
            return Counter((e.type, e.policy.url.rsplit("/", 1)[-1]) for e in s.scalars(select(Event)))

    def versions(self) -> int:
        with self.db.session() as s:
            return len(list(s.scalars(select(Version))))


def test_every_fault_at_once_then_recovery_then_a_planted_change(db: Database) -> None:
    with FaultSite() as site, RobotReceiver() as robot:
        bed = Bed(db, site, robot)
        first = bed.run()
        assert first.source_stats["site"]["new"] == bed.n and bed.versions() == bed.n

        injected = bed.inject()
        faulty = bed.run()
        stats = faulty.source_stats["site"]
        assert bed.events() == Counter() and bed.versions() == bed.n, stats["errors"]
        assert stats["removed"] == 0 and faulty.status == "partial" and faulty.exit_code == 1
        reported = "\n".join(stats["errors"])
        for path, kind in injected.items():
            if kind not in FAILS_WITHOUT_VERSION:
                line = next((e for e in stats["errors"] if path in e), "")
                assert line and len(line) > len(path) + 8, f"{kind}: no reason reported\n{reported}"
        assert "larger than download max size" in reported or "max size" in reported  # the 50 MB page
        assert stats["gone"] == 3  # the "not found" answers: pending removal, not removed

        site.faults.clear()
        recovered = bed.run()
        assert bed.events() == Counter() and bed.versions() == bed.n
        assert recovered.status == "ok", recovered.source_stats

        # A real change on a page that did not fault, while every other page faults again.
        planted = bed.paths[-1]
        bed.amounts[planted] = 800
        bed.publish()
        bed.inject()
        bed.run()
        site.faults.clear()
        bed.run()
        name = planted.rsplit("/", 1)[-1]
        assert bed.events() == Counter({("text_changed", name): 1}), bed.events()
        assert bed.versions() == bed.n + 1
    assert len(robot.accepted) == robot.distinct() == 1  # delivered exactly once
    LEDGER.update({"planted changes alerted": 1, "alerts counted by a receiver": 1})
