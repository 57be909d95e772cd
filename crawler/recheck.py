"""Re-check policy: which stored pages a run fetches again, and whether it asks conditionally.

* A policy in force or of unknown status (现行有效, 即将失效, 尚未生效, 未知) is re-checked every run,
  with `If-None-Match` / `If-Modified-Since`: a silent edit of a live policy is seen the next morning,
  and a 304 keeps it cheap.
* A repealed, expired or withdrawn one backs off: checked every `recheck_inactive_days`.
* Some servers answer 304 (or keep old validators) for a changed page, so every known page also gets
  an unconditional GET at least every `full_refetch_days`. Each page has a fixed day in that cycle
  (a stable hash of its URL), so the full fetches are spread evenly over the runs, never all at once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

ACTIVE_STATUSES = frozenset({"现行有效", "即将失效", "尚未生效", "未知"})


@dataclass(frozen=True, slots=True)
class Recheck:
    due: bool  # fetch it this run
    unconditional: bool  # without validators: the page's periodic full fetch


def cycle_slot(url: str, days: int) -> int:
    """The page's fixed day in a cycle of `days` (stable across runs, processes and machines)."""
    return zlib.crc32(url.encode("utf-8")) % max(days, 1)


def recheck(
    url: str,
    status: str,
    full_fetch_on: date | None,
    today: date,
    *,
    inactive_days: int,
    full_refetch_days: int,
) -> Recheck:
    """`full_fetch_on`: the run day the page last came back in full (200); None when never."""
    age = (today - full_fetch_on).days if full_fetch_on is not None else None
    on_slot = today.toordinal() % full_refetch_days == cycle_slot(url, full_refetch_days)
    # Its day in the cycle (and not already fetched in full today), or overdue after missed runs.
    # A page stored before full fetches were recorded waits for its day: no burst after an upgrade.
    full = on_slot if age is None else age >= full_refetch_days or (on_slot and age >= 1)
    if full:
        return Recheck(due=True, unconditional=True)
    if status in ACTIVE_STATUSES:
        return Recheck(due=True, unconditional=False)
    backoff_day = today.toordinal() % inactive_days == cycle_slot(url, inactive_days)
    return Recheck(due=backoff_day, unconditional=False)
