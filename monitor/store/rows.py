"""New rows written past the unit of work (issue #16). Storing a page inserts its policy (when new)
and its version; through the ORM's flush that cost ~1.3 ms a page, of which the two INSERTs are
~0.45 ms — the rest is the unit of work's bookkeeping (dependency sorting, history, events). Here each
object is inserted with one prebuilt Core INSERT, then joins the session as if it had been loaded:
later changes to it are flushed as usual. On PostgreSQL a new policy and its first version go in one
statement (insert_new_with): each statement there is a round trip that waits for the server."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from monitor.store.models import Base


def insert_new(session: Session, obj: Base) -> None:
    """Insert transient `obj` in the session's transaction (its foreign keys set as columns, not
    through relationships) and make it persistent in `session`. Columns it leaves unset get their
    Python defaults, on the object too; a column with only a server default is read when used."""
    table, values = _values(obj)
    _persist(session, obj, session.connection().execute(_insert(table), values).scalar_one())


def insert_new_with(session: Session, parent: Base, child: Base, fk: str) -> None:
    """Insert transient `parent` and `child`, whose column `fk` refers to the parent, as insert_new
    inserts each. On PostgreSQL one statement writes both (a data-modifying WITH): one round trip."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        insert_new(session, parent)
        setattr(child, fk, getattr(parent, _key_attribute(parent)))
        insert_new(session, child)
        return
    parent_table, parent_values = _values(parent)
    child_table, child_values = _values(child)
    del child_values[fk]  # the parent's new key, from the WITH
    statement = _insert_pair(parent_table, tuple(parent_values), child_table, tuple(child_values), fk)
    params = {f"p_{k}": v for k, v in parent_values.items()} | {f"c_{k}": v for k, v in child_values.items()}
    child_id, parent_id = connection.execute(statement, params).one()
    _persist(session, parent, parent_id)
    setattr(child, fk, parent_id)
    _persist(session, child, child_id)


def _values(obj: Base) -> tuple[Table, dict[str, Any]]:
    """`obj`'s table and the values of its row, Python defaults filled in on the object too."""
    mapper = inspect(obj).mapper
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        if prop.key not in obj.__dict__:
            default = column.default
            if default is None and column.server_default is not None:
                continue
            if default is not None and not (default.is_scalar or default.is_callable):
                continue  # a SQL expression: the database's to compute, read when used
            value = None if default is None else default.arg if default.is_scalar else default.arg(None)
            setattr(obj, prop.key, value)
        values[column.key] = getattr(obj, prop.key)
    return mapper.local_table, values  # type: ignore[return-value]


def _key_attribute(obj: Base) -> str:
    """The name of `obj`'s primary key attribute."""
    mapper = inspect(obj).mapper
    return mapper.get_property_by_column(mapper.primary_key[0]).key


def _persist(session: Session, obj: Base, row_id: Any) -> None:
    """`obj`, just inserted with key `row_id`, joins `session` as if loaded."""
    setattr(obj, _key_attribute(obj), row_id)
    make_transient_to_detached(obj)
    session.add(obj)


@cache
def _insert(table: Table) -> Any:
    """The table's INSERT … RETURNING its key, built once per table and reused for every row."""
    return insert(table).returning(*table.primary_key.columns)


@cache
def _insert_pair(
    parent: Table, parent_columns: tuple[str, ...], child: Table, child_columns: tuple[str, ...], fk: str
) -> Any:
    """WITH parent AS (INSERT … RETURNING its key) INSERT INTO child (fk, …) SELECT that key, …
    RETURNING the child's key and fk: built once per shape and reused."""
    written = (
        insert(parent)
        .values({c: bindparam(f"p_{c}", type_=parent.c[c].type) for c in parent_columns})
        .returning(*parent.primary_key.columns)
        .cte("parent")
    )
    row = select(*written.c, *(bindparam(f"c_{c}", type_=child.c[c].type) for c in child_columns))
    return insert(child).from_select([fk, *child_columns], row).returning(*child.primary_key.columns, child.c[fk])
