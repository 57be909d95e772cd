"""Engine, sessions and schema upgrades (always through Alembic)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB_FILE = "policywatch.db"
ENV_VAR = "POLICYWATCH_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_database_url(cli_value: str | None = None, config_value: str | None = None) -> str:
    """--db URL, then $POLICYWATCH_DATABASE_URL, then the config file, then ./policywatch.db."""
    url = cli_value or os.environ.get(ENV_VAR) or config_value or f"sqlite:///{DEFAULT_DB_FILE}"
    if "://" not in url:  # a plain file path is a SQLite database
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    # Plain postgresql:// (and Heroku-style postgres://) URLs get the psycopg 3 driver we ship.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    # WAL lets the report/CLI read while a crawl writes; busy_timeout waits instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts and survives a crash of the process; only a power cut can
    # lose the last commits (re-fetched next run). FULL costs an fsync per page stored.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _json_utf8(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    server = not url.startswith("sqlite")
    # A server connection can drop between runs of the daemon: ping it on checkout. A file cannot.
    # JSON columns (document, lifecycle, facts) as UTF-8: \uXXXX escapes made Chinese text 2× larger.
    engine = create_engine(url, future=True, pool_pre_ping=server, json_serializer=_json_utf8)
    if not server:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        cfg = alembic_config(self.url)
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self, *, commit: bool = True) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error. commit=False does all
        the work and rolls it back (dry runs)."""
        with self._sessions() as session:
            session.begin()
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            if commit:
                session.commit()
            else:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
