"""policies.gone_runs and policies.held_hash: removals confirmed over two runs, suspect versions held

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.add_column(sa.Column("gone_runs", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("held_hash", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.drop_column("held_hash")
        batch_op.drop_column("gone_runs")
