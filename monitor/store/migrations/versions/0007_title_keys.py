"""policies and repeal_links: indexed title keys, so matching never scans every policy

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 06:50:00
"""

import sqlalchemy as sa
from alembic import op

from monitor.titlekey import title_keys

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KEYS = {
    "policies": ("title", "title_key", "title_head", "title_tail"),
    "repeal_links": ("target_title", "target_key", "target_head", "target_tail"),
}


def upgrade() -> None:
    for table, (_, key, head, tail) in _KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(key, sa.Text(), nullable=False, server_default=""))
            batch_op.add_column(sa.Column(head, sa.String(length=16), nullable=False, server_default=""))
            batch_op.add_column(sa.Column(tail, sa.String(length=16), nullable=False, server_default=""))
        op.create_index(f"ix_{table}_{head}", table, [head])
        op.create_index(f"ix_{table}_{tail}", table, [tail])
    op.create_index("ix_repeal_links_target_doc_number", "repeal_links", ["target_doc_number"])
    _backfill()


def _backfill() -> None:
    """Existing rows get their keys from the current key function (the one the ORM keeps them with)."""
    conn = op.get_bind()
    for table, (title, key, head, tail) in _KEYS.items():
        rows = conn.execute(sa.text(f"SELECT id, {title} FROM {table}")).all()
        update = sa.text(f"UPDATE {table} SET {key} = :k, {head} = :h, {tail} = :t WHERE id = :id")
        params = [dict(zip(("k", "h", "t"), title_keys(row[1] or ""), strict=True), id=row[0]) for row in rows]
        if params:
            conn.execute(update, params)


def downgrade() -> None:
    op.drop_index("ix_repeal_links_target_doc_number", table_name="repeal_links")
    for table, (_, key, head, tail) in _KEYS.items():
        op.drop_index(f"ix_{table}_{tail}", table_name=table)
        op.drop_index(f"ix_{table}_{head}", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(tail)
            batch_op.drop_column(head)
            batch_op.drop_column(key)
