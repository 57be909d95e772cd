"""The tables as SQLAlchemy Core clauses — names and column types, nothing else — for a reader that
must not import the ORM: `policywatch status` answers within 0.5 s (issue #16), and the ORM and the
models alone cost ~0.2 s to import. Only the columns such readers use are listed; the schema itself is
monitor/store/models.py, and tests/test_cli_imports.py checks every column here against it."""

from __future__ import annotations

from sqlalchemy import JSON, Date, DateTime, Integer, String, Text, column, table

sources = table(
    "sources",
    column("id", Integer),
    column("name", String),
    column("failing_since", DateTime(timezone=True)),
    column("failing_reason", Text),
)

policies = table(
    "policies",
    column("id", Integer),
    column("source_id", Integer),
    column("title", Text),
    column("expires_date", Date),
)

versions = table("versions", column("derived_by", Integer))

runs = table(
    "runs",
    column("id", Integer),
    column("status", String),
    column("started_at", DateTime(timezone=True)),
    column("finished_at", DateTime(timezone=True)),
    column("stats", JSON),
    column("alerts_sent", Integer),
    column("alerts_failed", Integer),
)

alerts = table(
    "alerts",
    column("status", String),
    column("tries", Integer),
    column("last_error", Text),
)
