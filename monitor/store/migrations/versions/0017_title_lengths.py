"""policies and repeal_links: the title key's length, indexed with each end of the key, so a repeal
reference's candidates are one index range (issue #16)

Before, candidates were found by one end of the title key and filtered by length(title_key) row by
row: an end many titles share ("…高质量发展": 55% of the benchmark library) meant reading thousands of
rows for every reference, a cost that grew with the library. Now (end, length) is the index key and
the length filter is part of the index range. The single-column indexes on the ends are replaced.

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


def upgrade() -> None:
    for table, (key, head, tail, length) in _KEYS.items():
        op.add_column(table, sa.Column(length, sa.Integer(), nullable=False, server_default="0"))
        op.execute(f"UPDATE {table} SET {length} = length({key})")  # characters, on SQLite and PostgreSQL
        op.drop_index(f"ix_{table}_{head}", table_name=table)
        op.drop_index(f"ix_{table}_{tail}", table_name=table)
        op.create_index(f"ix_{table}_{head}_len", table, [head, length])
        op.create_index(f"ix_{table}_{tail}_len", table, [tail, length])


def downgrade() -> None:
    for table, (_, head, tail, length) in _KEYS.items():
        op.drop_index(f"ix_{table}_{head}_len", table_name=table)
        op.drop_index(f"ix_{table}_{tail}_len", table_name=table)
        op.create_index(f"ix_{table}_{head}", table, [head])
        op.create_index(f"ix_{table}_{tail}", table, [tail])
        op.execute(f"ALTER TABLE {table} DROP COLUMN {length}")
