"""Times as Chinese readers and scripts read them: Asia/Shanghai, with the zone shown. Stored times
are UTC (SQLite gives them back without a zone: they are UTC all the same)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def in_shanghai(moment: datetime) -> datetime:
    """A stored time (UTC, with or without its zone) in Asia/Shanghai."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI)


def iso_time(moment: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, for JSON and feeds."""
    return None if moment is None else in_shanghai(moment).isoformat(timespec="seconds")
