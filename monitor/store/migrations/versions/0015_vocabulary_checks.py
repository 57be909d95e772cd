"""statuses and event types are the vocabulary's words (monitor.vocab), checked by the database

The lists are written out as of this revision: a later vocabulary change comes with its own migration.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 11:00:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CHECKS = {
    ("policies", "status"): ("尚未生效", "现行有效", "即将失效", "已失效", "已废止", "已被修订", "已撤下", "未知"),
    ("runs", "status"): ("running", "ok", "partial", "failed", "interrupted", "dry-run"),
    ("events", "type"): (
        "new_policy",
        "text_changed",
        "removed",
        "restored",
        "repealed",
        "expiry_changed",
        "taking_effect",
        "expiring_soon",
        "expired",
        "facts_corrected",
        "source_failing",
        "source_recovered",
    ),
    ("alerts", "status"): ("pending", "sending", "sent", "failed", "unconfirmed"),
}


def _triggers(table: str, column: str) -> list[tuple[str, str]]:
    """SQLite adds a CHECK only by rebuilding the table (which its foreign keys refuse while rows
    point at it): the same rule as two triggers, named like the constraint."""
    allowed = ", ".join(f"'{w}'" for w in CHECKS[(table, column)])
    return [
        (
            f"ck_{table}_{column}_known_{when}",
            f"CREATE TRIGGER ck_{table}_{column}_known_{when} BEFORE {what} ON {table} "
            f"WHEN NEW.{column} NOT IN ({allowed}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_{table}_{column}_known'); END",
        )
        for when, what in (("insert", "INSERT"), ("update", f"UPDATE OF {column}"))
    ]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for (table, column), words in CHECKS.items():
        if sqlite:
            for _, create in _triggers(table, column):
                op.execute(create)
            continue
        allowed = ", ".join(f"'{w}'" for w in words)
        op.create_check_constraint(f"ck_{table}_{column}_known", table, f"{column} IN ({allowed})")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in CHECKS:
        if sqlite:
            for name, _ in _triggers(table, column):
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
            continue
        op.drop_constraint(f"ck_{table}_{column}_known", table, type_="check")
