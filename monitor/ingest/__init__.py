"""Storing what the crawl fetched: one `Ingestor` per source and run (monitor.ingest.unit).

triage.py    what a fetch is (gone, not modified, failed, readable) — pure
versions.py  a readable page → policy row, new version, its events (rules in monitor.rules)
identity.py  moved pages and mirrors of policies already watched
repeals.py   "…同时废止" sentences tied to the policies they name
closing.py   end of a source's crawl: health, confirmed removals, the run's record
stats.py     what a run did with a source (`Run.stats`), and whether the source failed
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.derive import ParsedPage, parse_page
    from monitor.ingest.stats import SourceStats, run_troubles
    from monitor.ingest.unit import Ingestor

__all__ = ["Ingestor", "ParsedPage", "SourceStats", "parse_page", "run_troubles"]

# Imported on first use: `policywatch status` reads run_troubles from monitor.ingest.stats without
# loading the whole unit of work (the extractors, the diff, the rules).
_WHERE = {
    "Ingestor": "monitor.ingest.unit",
    "ParsedPage": "monitor.derive",
    "parse_page": "monitor.derive",
    "SourceStats": "monitor.ingest.stats",
    "run_troubles": "monitor.ingest.stats",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
