"""Times as Chinese readers and scripts read them: Asia/Shanghai, with the zone shown. Stored times
are UTC (SQLite gives them back without a zone: they are UTC all the same)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def iso_time(moment: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, for JSON and feeds."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")
