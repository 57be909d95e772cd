"""A source's `schedule`: a crontab line read as cron(8) reads it, checked when the config is read
(so `config check` refuses `every night`) and turned into the scheduler's trigger."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from monitor.config.errors import ConfigError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

TIMEZONE = "Asia/Shanghai"
_CRONTAB_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CrontabError(ConfigError):
    """Not a crontab line; the message says why."""


def cron_trigger(expr: str, timezone: str = TIMEZONE) -> CronTrigger:
    """Standard 5-field crontab (minute hour day month weekday, 0/7 = Sunday as in cron(8)), or 6
    fields with seconds first. Weekday numbers are translated to names because APScheduler 3
    counts 0 as Monday."""
    from apscheduler.triggers.cron import CronTrigger  # imported here: reading a config stays light

    fields = expr.split()
    if len(fields) not in (5, 6):
        raise CrontabError(f"schedule '{expr}': expected 5 crontab fields (or 6 with seconds first)")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, dow = fields
    dow = re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: _CRONTAB_DAYS[int(m.group(1))], dow)
    try:
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=timezone
        )
    except ValueError as exc:
        raise CrontabError(f"schedule '{expr}': {exc}") from exc


def check_crontab(expr: str) -> str:
    """The line itself when the scheduler can use it; else CrontabError."""
    cron_trigger(expr)
    return expr
