"""policies: list entry and last successful fetch, for incremental crawling

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.add_column(sa.Column("list_title", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("list_date", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("list_fields", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.drop_column("list_fields")
        batch_op.drop_column("last_fetched_at")
        batch_op.drop_column("list_date")
        batch_op.drop_column("list_title")
