"""The daily lifecycle pass costs what is due, not the whole library: each policy keeps the next day
on which the calendar alone can change its status, and the pass reads only those due."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import event, func, select

from monitor.lifecycle import DateRule, Lifecycle
from monitor.status import apply_time_transitions, next_status_change
from monitor.store.db import Database
from monitor.store.models import Event, Policy
from tests.test_status import SETTINGS, html, ingest

TODAY = date(2026, 11, 28)


def test_next_status_change_is_the_first_boundary_after_today() -> None:
    lc = Lifecycle(
        effective=DateRule(date(2026, 12, 1), "自2026年12月1日起施行"),
        expires=DateRule(date(2027, 12, 31), "有效期至2027年12月31日"),
    )
    assert next_status_change(lc, TODAY, 30) == date(2026, 12, 1)  # takes effect
    assert next_status_change(lc, date(2026, 12, 1), 30) == date(2027, 12, 1)  # enters the 30-day window
    assert next_status_change(lc, date(2027, 12, 1), 30) == date(2028, 1, 1)  # the day after expiry
    assert next_status_change(lc, date(2028, 1, 1), 30) is None  # nothing left for the calendar
    assert next_status_change(Lifecycle(official_repeal_date=date(2027, 3, 1)), TODAY, 30) == date(2027, 3, 1)
    assert next_status_change(Lifecycle(), TODAY, 30) is None  # no dates: only a page change moves it


def test_the_daily_pass_reads_only_policies_due(db: Database) -> None:
    pages = {
        f"http://127.0.0.1:9/p/{n}.html": html(
            f"某区关于支持第{n}类企业发展的若干措施",
            f"某政发〔2026〕{n}号",
            "2026-11-01",
            "第一条 为支持企业发展,制定本措施。|第二条 本措施自2026年11月1日起施行,有效期至2030年12月31日。",
        )
        for n in range(1, 41)
    }
    pages["http://127.0.0.1:9/p/soon.html"] = html(
        "某区关于即将施行事项的通知",
        "某政发〔2026〕99号",
        "2026-11-20",
        "第一条 本通知自2026年12月1日起施行,有效期至2026年12月20日。",
    )
    ingest(db, pages, TODAY)
    loaded: list[Policy] = []

    def on_load(target: Policy, _context: object) -> None:
        loaded.append(target)

    event.listen(Policy, "load", on_load)
    try:
        for day in (date(2026, 11, 29), date(2026, 12, 1), date(2026, 12, 21)):
            with db.session() as s:
                apply_time_transitions(
                    s, today=day, now=datetime.now(UTC), run_id=None, subscribers=SETTINGS.subscribers, soon_days=30
                )
    finally:
        event.remove(Policy, "load", on_load)
    # 41 policies, three daily passes: only the one policy with boundaries in reach was read.
    assert {p.title for p in loaded} == {"某区关于即将施行事项的通知"}
    with db.session() as s:
        types = s.scalars(select(Event.type).order_by(Event.id)).all()
        # On 12-01 it takes effect already inside its 30-day window; on 12-21 it has expired.
        assert types == ["expiring_soon", "expired"]
        # The others wait for their expiring-soon window; the expired one has nothing left to wait for.
        checks = dict(
            s.execute(select(Policy.next_status_check, func.count()).group_by(Policy.next_status_check)).all()
        )
        assert checks == {date(2030, 12, 1): 40, None: 1}
