"""Ending a process quickly. At exit the interpreter's collector traces every object of every module
the process imported, several times over — ~0.3 s once SQLAlchemy, Scrapy and apprise are loaded,
paid by every command and, for a crawl process, waited for by the run. Instead: one collection now
finalizes what the work left behind (a database engine closes its connections, SQLite checkpoints
its log), then the modules' objects are frozen out of the collector. They are still freed and atexit
handlers still run (logging is flushed): only the repeated tracing is skipped."""

from __future__ import annotations

import gc


def ending() -> None:
    """The process's work is done (its own frames gone): what it left behind is finalized now."""
    gc.collect()
    gc.freeze()
