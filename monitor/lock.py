"""One run at a time per database: a PostgreSQL advisory lock (works across machines sharing the
database), or an exclusive file lock next to the SQLite file. Both are released by the operating
system or the server when the process dies, so a killed run never leaves a stale lock."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from monitor.store.db import Database

# Advisory lock keys are per server: the key is made from the application name, the database and
# the schema, so two policywatch databases (or schemas) on one server do not block each other.
_ADVISORY_KEY_SQL = "hashtext('policywatch.run.' || current_database() || '.' || current_schema())"


class LockedError(RuntimeError):
    """Another run holds the lock."""


class RunLock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._fd: int | None = None

    def _lock_file(self) -> Path:
        url = make_url(self.db.url)
        database = url.database or ""
        if not database or database == ":memory:":
            return Path(os.environ.get("TMPDIR", "/tmp")) / "policywatch-memory.lock"
        return Path(database + ".lock")

    def acquire(self) -> None:
        if self.db.engine.dialect.name == "postgresql":
            conn = self.db.engine.connect()
            got = conn.execute(text(f"SELECT pg_try_advisory_lock({_ADVISORY_KEY_SQL})")).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise LockedError("another policywatch run is using this database")
            self._conn = conn
            return
        path = self._lock_file()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockedError(f"another policywatch run holds {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text(f"SELECT pg_advisory_unlock({_ADVISORY_KEY_SQL})"))
            self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
