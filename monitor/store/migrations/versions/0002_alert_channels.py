"""alerts: per-channel delivery record and digest key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.add_column(sa.Column("channels_done", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("digest_key", sa.String(length=80), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.drop_column("digest_key")
        batch_op.drop_column("channels_done")
