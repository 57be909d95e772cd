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


def upgrade() -> None:
    for (table, column), words in CHECKS.items():
        allowed = ", ".join(f"'{w}'" for w in words)
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(f"ck_{table}_{column}_known", f"{column} IN ({allowed})")


def downgrade() -> None:
    for table, column in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"ck_{table}_{column}_known", type_="check")
