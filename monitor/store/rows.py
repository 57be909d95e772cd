"""New rows written past the unit of work (issue #16). Storing a page inserts its policy (when new)
and its version; through the ORM's flush that cost ~1.3 ms a page, of which the two INSERTs are
~0.45 ms — the rest is the unit of work's bookkeeping (dependency sorting, history, events). Here each
object is inserted with one prebuilt Core INSERT, then joins the session as if it had been loaded:
later changes to it are flushed as usual."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from monitor.store.models import Base


def insert_new(session: Session, obj: Base) -> None:
    """Insert transient `obj` in the session's transaction (its foreign keys set as columns, not
    through relationships) and make it persistent in `session`. Columns it leaves unset get their
    Python defaults, on the object too; a column with only a server default is read when used."""
    mapper = inspect(obj).mapper
    table: Table = mapper.local_table  # type: ignore[assignment]
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
    row_id = session.connection().execute(_insert(table), values).scalar_one()
    setattr(obj, mapper.get_property_by_column(mapper.primary_key[0]).key, row_id)
    make_transient_to_detached(obj)
    session.add(obj)


@cache
def _insert(table: Table) -> Any:
    """The table's INSERT … RETURNING its key, built once per table and reused for every row."""
    return insert(table).returning(*table.primary_key.columns)
