"""Storing what the crawl fetched: one `Ingestor` per source and run (monitor.ingest.unit).

triage.py    what a fetch is (gone, not modified, failed, readable) — pure
versions.py  a readable page → policy row, new version, its events (rules in monitor.rules)
identity.py  moved pages and mirrors of policies already watched
repeals.py   "…同时废止" sentences tied to the policies they name
closing.py   end of a source's crawl: health, confirmed removals, the run's record
stats.py     what a run did with a source (`Run.stats`), and whether the source failed
"""

from monitor.derive import ParsedPage, parse_page
from monitor.ingest.stats import SourceStats, run_troubles
from monitor.ingest.unit import Ingestor

__all__ = ["Ingestor", "ParsedPage", "SourceStats", "parse_page", "run_troubles"]
