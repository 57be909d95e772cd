"""How healthy the installation is, in the terms of a monitoring plugin (Nagios/Icinga/Zabbix):
`policywatch status` exits 0 OK, 1 WARNING or 2 CRITICAL and says why on its first line.

* CRITICAL — alerts were given up (subscribers missed something), or the last run got nothing
  from any source.
* WARNING — no run yet, a source failed in the last run, alerts are waiting for a retry, or alerts
  were sent but their receiver never answered (unconfirmed).
* OK — otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

OK, WARNING, CRITICAL = 0, 1, 2
STATE_NAMES = ("OK", "WARNING", "CRITICAL")


@dataclass(frozen=True, slots=True)
class Health:
    code: int
    problems: tuple[str, ...]

    @property
    def state(self) -> str:
        return STATE_NAMES[self.code]

    @property
    def line(self) -> str:
        return f"{self.state}: " + ("; ".join(self.problems) if self.problems else "policywatch is working")


def assess(
    *,
    last_run_status: str | None,
    sources_in_run: int,
    failing_sources: Sequence[str],
    failed_alerts: int,
    retrying_alerts: int,
    unconfirmed_alerts: int = 0,
) -> Health:
    critical: list[str] = []
    warning: list[str] = []
    if failed_alerts:
        critical.append(f"{failed_alerts} alert(s) could not be delivered and were given up")
    if last_run_status is None:
        warning.append("no run yet")
    elif sources_in_run and len(failing_sources) >= sources_in_run:
        critical.append(f"every source failed in the last run ({', '.join(failing_sources)})")
    elif failing_sources:
        warning.append(f"{len(failing_sources)} source(s) failing ({', '.join(failing_sources)})")
    if retrying_alerts:
        warning.append(f"{retrying_alerts} alert(s) waiting for a retry")
    if unconfirmed_alerts:
        warning.append(f"{unconfirmed_alerts} alert(s) sent but never confirmed by the receiver")
    code = CRITICAL if critical else WARNING if warning else OK
    return Health(code, tuple(critical + warning))
