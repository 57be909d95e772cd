"""A policy's status on a given day, from its lifecycle and what is known beyond its text (pure).

Rank: the site's official label > a repeal or expiry read from text > the site's own state (withdrawn)
> presumption. The store keeps the result and raises the time-based events (monitor.status).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from monitor.vocab import Status, StatusSource

if TYPE_CHECKING:  # `status` asks only for today_in_shanghai: the lifecycle's regexes cost ~20 ms
    from monitor.lifecycle import Lifecycle


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What is known about a policy beyond its own text, for the status rules."""

    repealed_by: str = ""  # title of the repealing policy
    repeal_sentence: str = ""
    repeal_kind: str = ""  # "repeal" or "revision"
    withdrawn: bool = False  # gone from its site (404/410 and off its list pages)


@dataclass(frozen=True, slots=True)
class PolicyStatus:
    status: Status
    source: StatusSource
    evidence: str
    since: date | None = None
    presumed: bool = field(default=False)


_OFFICIAL_INVALID = re.compile(r"失效|废止|无效")


def compute_status(lc: Lifecycle, facts: StatusFacts, today: date, soon_days: int = 30) -> PolicyStatus:
    """Rank: official label > repeal/expiry read from text > site state > presumption."""
    if lc.official_status and _OFFICIAL_INVALID.search(lc.official_status):
        return PolicyStatus(Status.EXPIRED, StatusSource.OFFICIAL_LABEL, f"[有效性] {lc.official_status}")
    if lc.official_repeal_date and lc.official_repeal_date <= today:
        return PolicyStatus(Status.REPEALED, StatusSource.OFFICIAL_LABEL, "[废止日期]", lc.official_repeal_date)
    if facts.repealed_by:
        status = Status.AMENDED if facts.repeal_kind == "revision" else Status.REPEALED
        return PolicyStatus(status, StatusSource.INFERRED_CLAUSE, facts.repeal_sentence)
    if lc.expires.date and lc.expires.date < today:
        return PolicyStatus(Status.EXPIRED, StatusSource.INFERRED_CLAUSE, lc.expires.rule, lc.expires.date)
    if lc.effective.date and lc.effective.date > today:
        return PolicyStatus(
            Status.NOT_YET_EFFECTIVE, StatusSource.INFERRED_CLAUSE, lc.effective.rule, lc.effective.date
        )
    if facts.withdrawn:
        return PolicyStatus(Status.WITHDRAWN, StatusSource.SITE, "页面已从网站撤下")
    if lc.expires.date and (lc.expires.date - today).days <= soon_days:
        return PolicyStatus(Status.EXPIRING_SOON, StatusSource.INFERRED_CLAUSE, lc.expires.rule, lc.expires.date)
    if lc.official_status:
        return PolicyStatus(Status.IN_FORCE, StatusSource.OFFICIAL_LABEL, f"[有效性] {lc.official_status}")
    if lc.effective.date:
        return PolicyStatus(Status.IN_FORCE, StatusSource.INFERRED_CLAUSE, lc.effective.rule, lc.effective.date)
    return PolicyStatus(Status.IN_FORCE, StatusSource.PRESUMED, "未见废止或到期信息", presumed=True)


def today_in_shanghai(now: datetime | None = None) -> date:
    from zoneinfo import ZoneInfo

    return (now or datetime.now(ZoneInfo("Asia/Shanghai"))).astimezone(ZoneInfo("Asia/Shanghai")).date()
