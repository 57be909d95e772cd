"""Engine, sessions and schema upgrades (always through Alembic).

The ORM is imported only when a session is first asked for: `policywatch status` reads through the
engine with SQLAlchemy Core and does not pay ~0.1 s for sqlalchemy.orm (issue #16)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text

from monitor.killpoint import kill_point
from monitor.store.packing import unpack_text

if TYPE_CHECKING:
    from alembic.config import Config
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets the report/CLI read while a crawl writes; busy_timeout waits instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts and survives a crash of the process; only a power cut can
    # lose the last commits (re-fetched next run). FULL costs an fsync per page stored.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
    # Versions' texts are stored compressed on SQLite (monitor.store.packing): SQL reads them with this.
    dbapi_connection.create_function("pw_unpack", 1, unpack_text, deterministic=True)


def _own_transactions(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for SAVEPOINT on pysqlite: no implicit BEGIN/COMMIT by the driver.
    dbapi_connection.isolation_level = None


def _writer_cache(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's default page cache is 2 MB: past ~10,000 policies the indexes a stored page looks up
    # no longer fit and every lookup reads from the file (issue #16). The crawl's writer gets 64 MB,
    # allocated as used (with 16 MB a re-check's updates of 30,000 policies cost twice the CPU).
    # Readers keep the default: one scan of the versions table (the spider's known pages) would
    # otherwise hold the whole cache in pages it never reads again.
    dbapi_connection.execute("PRAGMA cache_size=-65536")


def _begin_explicitly(engine: Engine, begin: str) -> Engine:
    """SQLAlchemy's recipe for real transactions on pysqlite: the driver neither begins nor commits by
    itself, the engine issues `begin`. Without it SAVEPOINTs break and DDL runs outside any transaction."""
    event.listen(engine, "connect", _own_transactions)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(begin))
    return engine


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
    from alembic.config import Config  # Alembic costs ~0.15 s to import: only when a schema changes

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(None|\"[^\"]*\"|'[^']*')\s*$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files' `revision = "…"` lines; None
    when that is not one unambiguous head (then Alembic itself decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value.strip("\"'")) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


class Database:
    def __init__(self, url: str, *, savepoints: bool = False) -> None:
        """`savepoints`: this engine's transactions may hold savepoints (monitor.ingest.batch). On
        SQLite the driver's own transaction handling breaks them: the engine then issues BEGIN itself. Such
        an engine is the crawl's writer, which on SQLite also gets a larger page cache, and on
        PostgreSQL sends each savepoint's release with the next statement (monitor.store.savepoints)."""
        self.url = url
        self.savepoints = savepoints
        self.engine = make_engine(url)
        self._sessions: sessionmaker[Session] | None = None
        if savepoints and self.engine.dialect.name == "sqlite":
            _begin_explicitly(self.engine, "BEGIN")
            event.listen(self.engine, "connect", _writer_cache)
        elif savepoints and self.engine.dialect.name == "postgresql":
            from monitor.store.savepoints import merge_savepoint_releases

            merge_savepoint_releases(self.engine)

    def _new_session(self) -> Session:
        if self._sessions is None:  # the ORM loads on first use: `policywatch status` never needs it
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    def open_session(self) -> Session:
        """A session with its transaction begun, for a caller that commits and closes it (monitor.ingest.batch)."""
        session = self._new_session()
        session.begin()
        return session

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision (a database already at the
        newest one is recognised with one query, without loading Alembic)."""
        if self.at_head():
            return
        from alembic import command

        cfg = alembic_config(self.url)
        # All migrations in one transaction, so a process killed halfway leaves the schema as it was
        # (pysqlite left CREATE TABLE outside any transaction: the next start found half a schema and
        # "table runs already exists"). On SQLite the write lock is taken at BEGIN: a second process
        # upgrading at the same time waits for it (busy_timeout), then finds the schema at head.
        engine = self.engine
        if engine.dialect.name == "sqlite":
            engine = _begin_explicitly(make_engine(self.url), "BEGIN IMMEDIATE")
        try:
            with engine.begin() as connection:
                event.listen(connection, "after_cursor_execute", lambda *_: kill_point("schema-upgrade"))
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        finally:
            if engine is not self.engine:
                engine.dispose()

    def analyze(self) -> None:
        """PostgreSQL: refresh the planner's statistics of the tables a crawl fills (autovacuum does it
        too, when it is on, a minute or more later). SQLite plans well without them."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE policies, versions, repeal_links, policy_aliases, events, alerts"
            )

    def at_head(self) -> bool:
        """Whether the database's Alembic revision is the newest migration's."""
        head = head_revision()
        if head is None:
            return False
        try:
            with self.engine.connect() as connection:
                current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except Exception:  # no schema yet (or unreadable): Alembic decides, and says why
            return False
        return current == [head]

    @contextmanager
    def session(self, *, commit: bool = True) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error. commit=False does all
        the work and rolls it back (dry runs)."""
        with self._new_session() as session:
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
