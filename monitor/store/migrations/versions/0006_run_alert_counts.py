"""runs: alerts sent and failed by the run

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("alerts_sent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("alerts_failed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_column("alerts_failed")
        batch_op.drop_column("alerts_sent")
