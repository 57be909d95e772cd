"""Several pages' units of work in one transaction (issue #16: a commit per page cost a fifth of
storing it). Each unit runs in a savepoint, so a page that fails rolls back alone and the pages
before it stay; the transaction is committed every `size` units and whenever the caller says so
(the store process: whenever no page is waiting, and at the end of each source).

A crash loses the uncommitted units whole — a version with its events and outbox rows, never one
without the other — and the next run fetches those pages again. A dry run rolls every unit back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from monitor.store.db import Database

ANALYZE_FROM = 1000  # pages committed before the database's statistics are first refreshed


class Batch:
    def __init__(self, db: Database, *, size: int = 1, dry_run: bool = False) -> None:
        if size > 1 and not db.savepoints:
            raise ValueError("a batch of several units needs a Database(url, savepoints=True)")
        self.db = db
        self.size = 1 if dry_run else size
        self.dry_run = dry_run
        self._session: Session | None = None
        self._units = 0
        # PostgreSQL plans a lookup by the statistics of its tables, and tables a crawl fills have none
        # until ANALYZE: at 30,000 policies a re-check took 235 s instead of 97. They are refreshed
        # each time the pages committed double (from ANALYZE_FROM): a few ANALYZEs of ~1 s per crawl.
        self._committed = 0
        self._analyze_at = ANALYZE_FROM

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One page's unit of work: kept on success, rolled back alone on any error."""
        if self.size == 1:
            with self.db.session(commit=not self.dry_run) as session:
                yield session
            return
        if self._session is None:
            self._session = self.db.open_session()
        try:
            with self._session.begin_nested():
                yield self._session
        except BaseException:
            # Rows the unit inserted past the unit of work (monitor.store.rows) are rolled back, but
            # their objects stay in the session as if loaded: none may outlive its row (SQLite
            # reuses the id of a rolled-back row).
            self._session.expunge_all()
            raise
        self._units += 1
        if self._units >= self.size:
            self.commit()

    def commit(self) -> None:
        """Make the units so far durable and visible to other connections."""
        session, self._session, units, self._units = self._session, None, self._units, 0
        if session is None:
            return
        try:
            session.commit()
        finally:
            session.close()
        self._committed += units
        if self._committed >= self._analyze_at:
            self.db.analyze()
            self._analyze_at = 2 * self._committed
