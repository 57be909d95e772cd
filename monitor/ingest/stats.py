"""What one run did with one source: counters kept while its pages are stored, saved in the run's
record (`Run.stats`, one entry per source) and read back by the runner, `status` and the report.
Whether a source *failed* in a run is decided here, once (`SourceStats.trouble`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class SourceStats:
    list_pages: int = 0
    list_failures: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    gone: int = 0
    removed: int = 0
    held: int = 0  # suspect versions held for confirmation by the next run (monitor.suspect)
    mirrored: int = 0  # pages found to be another URL of a policy already watched
    links: int = 0  # distinct detail links the list pages gave
    capped: int = 0  # further list pages not followed because of max_list_pages
    read: int = 0  # detail pages answered 200 and read
    empty: int = 0  # of those, with an empty body or no title
    failing: list[str] = field(default_factory=list)  # why the source is blind this run (monitor/health.py)
    errors: list[str] = field(default_factory=list)
    # events a dry run would have recorded: {"type", "title", "summary"}
    would: list[dict[str, str]] = field(default_factory=list)
    workers: dict[str, int] = field(default_factory=dict)  # distributed run: pages fetched per crawl process

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> SourceStats:
        """A run record's entry; keys of other versions of the program are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})

    def trouble(self) -> str | None:
        """Why this source did not work in this run, in words (its first problem), or None: it is
        failing (blind), a list page or a detail page failed, or no list page was fetched at all."""
        if self.failing:
            return self.failing[0]
        if self.failed or self.list_failures:
            return self.errors[0] if self.errors else f"{self.failed + self.list_failures} page(s) failed"
        if not self.list_pages:
            return "no list page fetched"
        return None


def run_troubles(stats: dict[str, Any] | None, expected: list[str] | None = None) -> dict[str, str]:
    """The sources that did not work in a run (its `Run.stats`), with why; `expected`: sources the
    run was meant to crawl, which count as failed when they left no record at all."""
    stats = stats or {}
    troubles = {name: SourceStats.from_dict(raw).trouble() for name, raw in stats.items()}
    for name in expected or ():
        if name not in stats:
            troubles[name] = "the crawl left no record of this source"
    return {name: why for name, why in sorted(troubles.items()) if why}
