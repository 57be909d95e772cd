"""policies and repeal_links: the title key's length, indexed with each end of the key, so a repeal
reference's candidates are one index range; unresolved references in partial covering indexes (issue #16)

Before, candidates were found by one end of the title key and filtered by length(title_key) row by
row: an end many titles share ("…高质量发展": 55% of the benchmark library) meant reading thousands of
rows for every reference, a cost that grew with the library. Now (end, length) is the index key and
the length filter is part of the index range; with the 文号 between them, a reference that gives one
(only policies without a 文号 can be its target by title) reads an exact range. The single-column
indexes on the ends are replaced.
The references still waiting for their target (looked up for every stored page) are indexed apart,
partially (target_policy_id IS NULL) and with every column that lookup reads: a document named by
hundreds of policies costs index entries, not table rows.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# table: (key column, head, tail, new length column)
_KEYS = {
    "policies": ("title_key", "title_head", "title_tail", "title_len"),
    "repeal_links": ("target_key", "target_head", "target_tail", "target_len"),
}


_PENDING = ("target_len", "target_key", "target_doc_number", "repealing_policy_id", "target_policy_id")
_UNRESOLVED = sa.text("target_policy_id IS NULL")


def upgrade() -> None:
    for table, (key, head, tail, length) in _KEYS.items():
        op.add_column(table, sa.Column(length, sa.Integer(), nullable=False, server_default="0"))
        op.execute(f"UPDATE {table} SET {length} = length({key})")  # characters, on SQLite and PostgreSQL
        op.drop_index(f"ix_{table}_{head}", table_name=table)
        op.drop_index(f"ix_{table}_{tail}", table_name=table)
    for end in ("title_head", "title_tail"):
        op.create_index(f"ix_policies_{end}_len", "policies", [end, "doc_number", "title_len"])
    for end in ("head", "tail"):
        op.create_index(
            f"ix_repeal_links_pending_{end}",
            "repeal_links",
            [f"target_{end}", *_PENDING],
            sqlite_where=_UNRESOLVED,
            postgresql_where=_UNRESOLVED,
        )


def downgrade() -> None:
    op.drop_index("ix_policies_title_head_len", table_name="policies")
    op.drop_index("ix_policies_title_tail_len", table_name="policies")
    op.drop_index("ix_repeal_links_pending_head", table_name="repeal_links")
    op.drop_index("ix_repeal_links_pending_tail", table_name="repeal_links")
    for table, (_, head, tail, length) in _KEYS.items():
        op.create_index(f"ix_{table}_{head}", table, [head])
        op.create_index(f"ix_{table}_{tail}", table, [tail])
        op.execute(f"ALTER TABLE {table} DROP COLUMN {length}")
