"""Savepoints on PostgreSQL at one round trip each, not two (issue #16).

The store process keeps each page in a savepoint of the batch's transaction (monitor.ingest.batch),
so that a page that fails is rolled back alone. SQLAlchemy sends `SAVEPOINT` before a page's first
statement and `RELEASE SAVEPOINT` at its end: two of a new page's ~7 statements, each a round trip
that waits for the server (~0.35 ms each on a busy two-core machine, as much as an INSERT).

Here a `RELEASE SAVEPOINT` is not sent when SQLAlchemy asks for it but with the statement after it:
in the same simple query as the next page's `SAVEPOINT` (or a `ROLLBACK TO SAVEPOINT`), or just
before any other statement, on the same connection. A `COMMIT` or `ROLLBACK` drops it: both end
every savepoint of the transaction. The server sees the same statements in the same order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

_PENDING = "policywatch_release"  # in the DBAPI connection's info: the savepoint still to release


def merge_savepoint_releases(engine: Engine) -> None:
    """Make `engine` (PostgreSQL) send each RELEASE SAVEPOINT with the statement that follows it."""
    dialect = engine.dialect
    quote = dialect.identifier_preparer.quote
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def with_release(connection: Any, sql: str) -> None:
        pending = connection.info.pop(_PENDING, None)
        # No parameters: psycopg sends it as one simple query, both statements in one round trip.
        connection.exec_driver_sql(sql if pending is None else f"RELEASE SAVEPOINT {quote(pending)}; {sql}")

    def do_savepoint(connection: Any, name: str) -> None:
        with_release(connection, f"SAVEPOINT {quote(name)}")

    def do_rollback_to_savepoint(connection: Any, name: str) -> None:
        with_release(connection, f"ROLLBACK TO SAVEPOINT {quote(name)}")

    def do_release_savepoint(connection: Any, name: str) -> None:
        connection.info[_PENDING] = name

    def do_commit(dbapi_connection: Any) -> None:
        _info(dbapi_connection).pop(_PENDING, None)
        commit(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        _info(dbapi_connection).pop(_PENDING, None)
        rollback(dbapi_connection)

    def release_first(connection: Any, cursor: Any, *_: Any) -> None:
        pending = connection.info.pop(_PENDING, None)
        if pending is not None:
            cursor.execute(f"RELEASE SAVEPOINT {quote(pending)}")

    # On this engine's dialect instance only: other engines of the process keep SQLAlchemy's own.
    dialect.do_savepoint = do_savepoint  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = do_rollback_to_savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = do_release_savepoint  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", release_first)


def _info(dbapi_connection: Any) -> dict[Any, Any]:
    """The connection's info; none for the ad-hoc connection SQLAlchemy uses when it first connects
    (it holds no savepoint)."""
    try:
        return dbapi_connection.info
    except NotImplementedError:
        return {}
