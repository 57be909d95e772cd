"""A test seam for the crash-safety suite (tests/test_faults_kill.py), inert unless asked for:
`POLICYWATCH_KILL_AT=<point>[#n]` makes the process SIGKILL itself the n-th time (default: the
first) it reaches the named point, as a power cut or the OOM killer would. Points:

* `page-received` — the crawl child, as a fetched page reaches the ingest pipeline (mid-crawl);
* `ingest-uncommitted` — the store process (crawler/writer.py), inside a page's unit of work: version, events and outbox
  rows written (flushed) but not committed (mid-ingest);
* `before-delivery` — the run, after every event is stored and before any alert is sent;
* `delivery-accepted` — the run, after a channel accepted an alert and before the outbox row says so;
* `schema-upgrade` — any process creating or upgrading the schema, after each SQL statement of the migrations.

The variable is inherited by the crawl child and its store process, so one setting reaches the process
the point is in."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable

ENV = "POLICYWATCH_KILL_AT"
_reached: Counter[str] = Counter()


def kill_point(name: str, prepare: Callable[[], object] | None = None) -> None:
    """Die here (after `prepare`, e.g. a flush) when $POLICYWATCH_KILL_AT names this point."""
    wanted = os.environ.get(ENV)
    if not wanted or wanted.partition("#")[0] != name:
        return
    _reached[name] += 1
    nth = wanted.partition("#")[2]
    if _reached[name] == (int(nth) if nth.isdigit() else 1):
        if prepare is not None:
            prepare()
        os.kill(os.getpid(), signal.SIGKILL)
