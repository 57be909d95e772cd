"""When a vanished page is a removal. Pure decisions over one source's crawl.

A policy is `removed` only when its page answered 404/410 (or a 200 "not found" page) AND it was
gone from a complete crawl of its list pages on two consecutive runs: one bad night never alerts,
a page flapping between 404 and 200 never alerts. When more than half of a source's policies vanish
in one run, that is a redesign or a broken site, not a wave of removals: the source is failing and
nothing is removed."""

from __future__ import annotations

from dataclasses import dataclass

CONFIRM_RUNS = 2  # consecutive runs a page must be gone before it is removed
MASS_REMOVAL_MIN = 3  # fewer vanished pages than this are never a "mass" removal


@dataclass(frozen=True, slots=True)
class RemovalVerdict:
    confirm: tuple[str, ...] = ()  # URLs to mark removed now
    pending: tuple[str, ...] = ()  # gone this run; confirmed if still gone next run
    mass_failure: str = ""  # why the whole batch is a source failure instead


def removal_verdict(gone_runs: dict[str, int], active: int) -> RemovalVerdict:
    """`gone_runs`: each vanished (gone and unlisted) page with its count of consecutive gone runs
    including this one; `active`: the source's policies not yet removed."""
    if len(gone_runs) >= MASS_REMOVAL_MIN and len(gone_runs) * 2 > active:
        return RemovalVerdict(
            mass_failure=f"{len(gone_runs)} of {active} policies vanished at once: treated as a failing "
            "source (redesign or outage), nothing removed"
        )
    confirm = tuple(sorted(url for url, runs in gone_runs.items() if runs >= CONFIRM_RUNS))
    pending = tuple(sorted(url for url, runs in gone_runs.items() if runs < CONFIRM_RUNS))
    return RemovalVerdict(confirm, pending)
